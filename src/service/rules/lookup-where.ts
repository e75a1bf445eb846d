import type { Expr } from 'pgsql-ast-parser';
import { compileExpr, type Compiled, type ExprScope } from './expression.js';
import type { ReportIssue } from './sql-issue.js';

/**
 * One indexed condition of a parameter query over a table:
 * - `equals`: `column = <request value>`;
 * - `requestArray`: `column IN <request JSON array>` (one lookup per request element);
 * - `rowArray`: `<request value> IN column` (one index entry per element of the row's JSON array).
 */
export interface LookupTerm {
  row: Compiled;
  request: Compiled;
  kind: 'equals' | 'requestArray' | 'rowArray';
}

export interface LookupWhere {
  lookups: LookupTerm[];
  /** Conditions on the row alone, applied when the row is indexed. */
  rowFilters: Compiled[];
  /** Conditions on the request alone, applied when buckets are resolved. */
  requestFilters: Compiled[];
}

const silent: ReportIssue = () => undefined;

/** Splits the WHERE of a parameter query over a table into lookups and filters (AND only between them). */
export function analyzeLookupWhere(
  where: Expr | null | undefined,
  scope: ExprScope,
  report: ReportIssue,
): LookupWhere | undefined {
  const result: LookupWhere = { lookups: [], rowFilters: [], requestFilters: [] };
  let ok = true;
  for (const term of where ? conjuncts(where) : []) {
    const whole = compileExpr(term, scope, report);
    if (whole === undefined) {
      ok = false;
    } else if (!whole.usesRow || !whole.usesRequest) {
      (whole.usesRequest ? result.requestFilters : result.rowFilters).push(whole);
    } else {
      const lookup = lookupTerm(term, scope);
      if (lookup !== undefined) result.lookups.push(lookup);
      else {
        report(
          'conditions mixing table columns and request values must be `column = <request value>` or `column IN <request value>` joined with AND (OR across them is not supported)',
          term,
        );
        ok = false;
      }
    }
  }
  return ok ? result : undefined;
}

function conjuncts(expr: Expr): Expr[] {
  return expr.type === 'binary' && expr.op === 'AND'
    ? [...conjuncts(expr.left), ...conjuncts(expr.right)]
    : [expr];
}

/** Classifies a comparison whose whole already compiled (so its sides compile without issues). */
function lookupTerm(term: Expr, scope: ExprScope): LookupTerm | undefined {
  if (term.type !== 'binary' || (term.op !== '=' && term.op !== 'IN') || term.right.type === 'list')
    return undefined;
  const left = compileExpr(term.left, scope, silent);
  const right = compileExpr(term.right, scope, silent);
  if (left === undefined || right === undefined) return undefined;
  const rowOnly = (c: Compiled) => c.usesRow && !c.usesRequest;
  const requestOnly = (c: Compiled) => c.usesRequest && !c.usesRow;
  const inArray = term.op === 'IN';
  if (rowOnly(left) && requestOnly(right))
    return { row: left, request: right, kind: inArray ? 'requestArray' : 'equals' };
  if (requestOnly(left) && rowOnly(right))
    return { row: right, request: left, kind: inArray ? 'rowArray' : 'equals' };
  return undefined;
}
