import type { FromTable, SelectFromStatement } from 'pgsql-ast-parser';
import { cartesian } from './bucket-name.js';
import { compileColumns } from './columns.js';
import type { Compiled, ExprScope } from './expression.js';
import { jsonArrayElements } from './json-extract.js';
import { analyzeLookupWhere, type LookupTerm, type LookupWhere } from './lookup-where.js';
import type { RequestValues } from './request-values.js';
import type { ReportIssue } from './sql-issue.js';
import { truthy } from './sqlite-ops.js';
import type { SqliteRow, SqliteValue } from './sqlite-value.js';
import { tableOf, type SourceTableName } from './source-table.js';

/** One parameter-index entry of a source row: the values it is found by and the bucket parameters it gives. */
export interface IndexedParameters {
  lookupValues: SqliteValue[];
  parameters: Record<string, SqliteValue>;
}

/**
 * A parameter query over one replicated table, e.g. `SELECT org_id FROM users WHERE id = request.user_id()`.
 * Source rows are indexed by their lookup columns; a request looks its own values up in that index.
 */
export class TableParameterQuery {
  readonly kind = 'table';

  private constructor(
    readonly table: SourceTableName,
    readonly columns: ReadonlyArray<string>,
    private readonly values: ReadonlyArray<Compiled>,
    private readonly where: LookupWhere,
  ) {}

  static compile(
    statement: SelectFromStatement,
    from: FromTable,
    defaultSchema: string,
    report: ReportIssue,
  ): TableParameterQuery | undefined {
    const table = tableOf(from, defaultSchema);
    if (from.name.alias !== undefined) {
      report(
        `table aliases are not supported in parameter queries (FROM ${table.name} AS ${from.name.alias})`,
        from,
      );
      return undefined;
    }
    const scope: ExprScope = { request: true, table: { qualifiers: [table.name] } };
    const columns = compileColumns(statement.columns ?? [], scope, report, { allowStar: false });
    const named = columns.flatMap((c) => (c.kind === 'value' ? [c] : []));
    for (const column of named.filter((c) => c.value.usesRequest)) {
      report(
        `column "${column.name}" reads a request value; a parameter query over a table selects table columns only`,
        statement,
      );
    }
    const where = analyzeLookupWhere(statement.where, scope, report);
    if (where === undefined || named.some((c) => c.value.usesRequest)) return undefined;
    return new TableParameterQuery(
      table,
      named.map((c) => c.name),
      named.map((c) => c.value),
      where,
    );
  }

  /** Index entries for a source row; none when a filter fails, a lookup value is NULL, or an output is NULL. */
  evaluateRow(row: SqliteRow): IndexedParameters[] {
    const context = { row };
    if (!this.where.rowFilters.every((f) => truthy(f.evaluate(context)) === true)) return [];
    const parameters: Record<string, SqliteValue> = {};
    for (const [index, name] of this.columns.entries()) {
      const value = this.values[index]?.evaluate(context) ?? null;
      if (value === null) return [];
      parameters[name] = value;
    }
    const lists = this.where.lookups.map((term) =>
      expand(term.row.evaluate(context), term.kind === 'rowArray'),
    );
    return cartesian(lists).map((lookupValues) => ({ lookupValues, parameters }));
  }

  /** The lookup values of a request; none when a request filter fails or a value is NULL. */
  requestLookups(request: RequestValues): SqliteValue[][] {
    const context = { request };
    if (!this.where.requestFilters.every((f) => truthy(f.evaluate(context)) === true)) return [];
    const lists = this.where.lookups.map((term: LookupTerm) =>
      expand(term.request.evaluate(context), term.kind === 'requestArray'),
    );
    return cartesian(lists);
  }
}

/** The non-NULL values a lookup side stands for: itself, or each element of a JSON array. */
function expand(value: SqliteValue, isArray: boolean): SqliteValue[] {
  const values = isArray ? (jsonArrayElements(value) ?? []) : [value];
  return values.filter((v) => v !== null);
}
