import { cartesian } from './bucket-name.js';
import { compileColumns, type OutputColumn } from './columns.js';
import { analyzeDataWhere, type ParameterMatch, type WhereBranch } from './data-where.js';
import type { ExprScope } from './expression.js';
import { jsonArrayElements } from './json-extract.js';
import { arrayJsonText, isSqliteValue, numberText, rowJsonText, valueJsonText } from './json-text.js';
import type { ReportIssue } from './sql-issue.js';
import { truthy } from './sqlite-ops.js';
import { fromSource, parseSelect } from './sql-statement.js';
import type { SqliteRow, SqliteValue } from './sqlite-value.js';
import { tableOf, type SourceTableName } from './source-table.js';

/** What one data query makes of one source row: the output row and the parameter values of its buckets. */
export interface DataQueryResult {
  /** Output table name (`object_type`). */
  table: string;
  id: string;
  /** JSON text of the output row. */
  data: string;
  /** One entry per bucket: parameter values in declaration order. */
  bucketParameters: SqliteValue[][];
}

/**
 * A data query: `SELECT * | columns FROM [schema.]table [AS name] [WHERE column = bucket.p AND ...]`.
 * `parameters` are the definition's bucket parameters, or `undefined` when they could not be determined
 * (a parameter query failed), in which case matching is not checked against them.
 */
export class DataQuery {
  private constructor(
    readonly table: SourceTableName,
    readonly outputTable: string,
    private readonly columns: OutputColumn[],
    private readonly branches: WhereBranch[],
    private readonly parameters: ReadonlyArray<string>,
  ) {}

  static compile(
    sql: string,
    parameters: ReadonlyArray<string> | undefined,
    defaultSchema: string,
    report: ReportIssue,
  ): DataQuery | undefined {
    const statement = parseSelect(sql, report);
    if (statement === undefined) return undefined;
    const from = fromSource(statement);
    if (from?.type !== 'table') {
      report(
        from === undefined
          ? 'a data query needs FROM <table>'
          : 'table-valued functions are not supported in data queries',
        from ?? statement,
      );
      return undefined;
    }
    const table = tableOf(from, defaultSchema);
    const alias = from.name.alias;
    const scope: ExprScope = {
      table: { qualifiers: alias === undefined ? [table.name] : [table.name, alias] },
      request: false,
    };
    const columns = compileColumns(statement.columns ?? [], scope, report, { allowStar: true });
    const hasId = columns.some((c) => c.kind === 'star' || c.name === 'id');
    if (!hasId) report('the query must return an `id` column (select `id`, or `<column> AS id`)', statement);
    const branches = analyzeDataWhere(statement.where, scope, parameters, report);
    if (branches === undefined || !hasId) return undefined;
    return new DataQuery(table, alias ?? table.name, columns, branches, parameters ?? []);
  }

  /** The buckets and output row for a source row; `undefined` when the row belongs to no bucket or has no id. */
  evaluate(row: SqliteRow): DataQueryResult | undefined {
    const bucketParameters = this.bucketParameters(row);
    if (bucketParameters.length === 0) return undefined;
    const output = this.output(row);
    const id = output['id'];
    if (id === null || !isSqliteValue(id)) return undefined;
    const idText = typeof id === 'string' ? id : numberText(id);
    return { table: this.outputTable, id: idText, data: rowJsonText(output), bucketParameters };
  }

  private bucketParameters(row: SqliteRow): SqliteValue[][] {
    const seen = new Map<string, SqliteValue[]>();
    for (const branch of this.branches) {
      if (!branch.filters.every((f) => truthy(f.evaluate({ row })) === true)) continue;
      const lists = this.parameters.map((p) =>
        candidates(
          branch.matches.filter((m) => m.parameter === p),
          row,
        ),
      );
      for (const combo of cartesian(lists)) seen.set(arrayJsonText(combo), combo);
    }
    return [...seen.values()];
  }

  private output(row: SqliteRow): Record<string, SqliteValue> {
    const output: Record<string, SqliteValue> = {};
    for (const column of this.columns) {
      if (column.kind === 'star') copyPublicColumns(row, output);
      else output[column.name] = column.value.evaluate({ row });
    }
    return output;
  }
}

/**
 * `SELECT *` copies every column except those whose name starts with `_`: the real service treats them as
 * internal and drops them (a column can still be selected by name).
 */
function copyPublicColumns(row: SqliteRow, output: Record<string, SqliteValue>): void {
  for (const name in row) if (name[0] !== '_') output[name] = row[name]!;
}

/** Values a parameter takes for this row: the intersection over its matches; NULL never matches. */
function candidates(matches: ParameterMatch[], row: SqliteRow): SqliteValue[] {
  let result: Map<string, SqliteValue> | undefined;
  for (const match of matches) {
    const value = match.value.evaluate({ row });
    const values = match.kind === 'equals' ? [value] : (jsonArrayElements(value) ?? []);
    const next = new Map<string, SqliteValue>();
    for (const v of values) {
      const key = valueJsonText(v);
      if (v !== null && (result === undefined || result.has(key))) next.set(key, v);
    }
    result = next;
  }
  return [...(result?.values() ?? [])];
}
