import type { Expr, SelectFromStatement } from 'pgsql-ast-parser';
import { compileColumns } from './columns.js';
import { compileExpr, type Compiled, type ExprScope } from './expression.js';
import { jsonArrayElements } from './json-extract.js';
import type { RequestValues } from './request-values.js';
import type { ReportIssue } from './sql-issue.js';
import { truthy } from './sqlite-ops.js';
import type { SqliteRow, SqliteValue } from './sqlite-value.js';

/**
 * A parameter query over request values only, e.g. `SELECT request.user_id() AS user_id`, optionally
 * `FROM json_each(<request JSON array>)` (one row per element, its value in column `value`) and a WHERE
 * over request values. Its rows depend only on the request.
 */
export class StaticParameterQuery {
  readonly kind = 'static';

  private constructor(
    readonly columns: ReadonlyArray<string>,
    private readonly values: ReadonlyArray<Compiled>,
    private readonly filter: Compiled | undefined,
    private readonly each: Compiled | undefined,
  ) {}

  static compile(statement: SelectFromStatement, report: ReportIssue): StaticParameterQuery | undefined {
    const from = statement.from?.[0];
    let each: Compiled | undefined;
    let scope: ExprScope = { request: true };
    if (from !== undefined) {
      if (
        from.type !== 'call' ||
        from.function.name !== 'json_each' ||
        from.function.schema !== undefined ||
        from.args.length !== 1
      ) {
        report('a table-less parameter query may only read FROM json_each(<request value>)', from);
        return undefined;
      }
      each = compileExpr(from.args[0] as Expr, { request: true }, report);
      if (each === undefined) return undefined;
      const alias = from.alias?.name;
      scope = {
        request: true,
        table: { qualifiers: alias === undefined ? ['json_each'] : ['json_each', alias] },
      };
    }
    const columns = compileColumns(statement.columns ?? [], scope, report, { allowStar: false });
    const filter = statement.where ? compileExpr(statement.where, scope, report) : undefined;
    if (statement.where && filter === undefined) return undefined;
    const named = columns.flatMap((c) => (c.kind === 'value' ? [c] : []));
    return new StaticParameterQuery(
      named.map((c) => c.name),
      named.map((c) => c.value),
      filter,
      each,
    );
  }

  /** The parameter rows for a request: column name → value. */
  evaluate(request: RequestValues): Array<Record<string, SqliteValue>> {
    const sources: Array<SqliteRow | undefined> =
      this.each === undefined ? [undefined] : this.elements(request);
    const rows: Array<Record<string, SqliteValue>> = [];
    for (const row of sources) {
      const context = { row, request };
      if (this.filter !== undefined && truthy(this.filter.evaluate(context)) !== true) continue;
      const out: Record<string, SqliteValue> = {};
      this.columns.forEach((name, index) => (out[name] = this.values[index]?.evaluate(context) ?? null));
      rows.push(out);
    }
    return rows;
  }

  private elements(request: RequestValues): SqliteRow[] {
    const elements = jsonArrayElements(this.each?.evaluate({ request }) ?? null) ?? [];
    return elements.map((value) => ({ value }));
  }
}
