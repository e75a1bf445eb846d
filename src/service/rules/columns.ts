import type { Expr, SelectedColumn } from 'pgsql-ast-parser';
import { compileExpr, type Compiled, type ExprScope } from './expression.js';
import type { ReportIssue } from './sql-issue.js';

/** One entry of a SELECT list: a named value, or `*` (every column of the row, in the row's order). */
export type OutputColumn = { kind: 'value'; name: string; value: Compiled } | { kind: 'star' };

/**
 * Compiles a SELECT list. A column is named by its alias, else by the last identifier of the expression
 * (`token_parameters.x` → `x`, `request.user_id()` → `user_id`, `jwt ->> 'org'` → `org`).
 */
export function compileColumns(
  columns: ReadonlyArray<SelectedColumn>,
  scope: ExprScope,
  report: ReportIssue,
  options: { allowStar: boolean },
): OutputColumn[] {
  const result: OutputColumn[] = [];
  const names = new Set<string>();
  for (const column of columns) {
    const expr = column.expr;
    if (expr.type === 'ref' && expr.name === '*') {
      if (!options.allowStar) report('SELECT * is not allowed here; name the columns', expr);
      else if (expr.table !== undefined && !scope.table?.qualifiers.includes(expr.table.name)) {
        report(`unknown table "${expr.table.name}" in ${expr.table.name}.*`, expr);
      } else result.push({ kind: 'star' });
      continue;
    }
    const name = column.alias?.name ?? impliedName(expr);
    const value = compileExpr(expr, scope, report);
    if (name === undefined) {
      report('this column needs a name: add `AS <name>`', column);
      continue;
    }
    if (names.has(name)) report(`column "${name}" is selected twice`, column);
    names.add(name);
    if (value !== undefined) result.push({ kind: 'value', name, value });
  }
  return result;
}

function impliedName(expr: Expr): string | undefined {
  if (expr.type === 'ref') return expr.name;
  if (expr.type === 'call') return expr.function.name;
  if (expr.type === 'member') return String(expr.member);
  return undefined;
}
