import { parse, type From, type SelectFromStatement, type Statement } from 'pgsql-ast-parser';
import { constructName, type ReportIssue } from './sql-issue.js';

/**
 * Parses one sync-config query and checks it is a plain `SELECT ... [FROM one source] [WHERE ...]`.
 * Clauses this service does not support (JOIN, ORDER BY, LIMIT, GROUP BY, ...) are reported by name;
 * the statement is still returned when its shape is usable, so later checks can report more problems.
 */
export function parseSelect(sql: string, report: ReportIssue): SelectFromStatement | undefined {
  let statements: Statement[];
  try {
    statements = parse(sql, { locationTracking: true });
  } catch (error) {
    report(`SQL syntax error: ${syntaxMessage(error)}`, syntaxOffset(error));
    return undefined;
  }
  const [first, second] = statements;
  if (first === undefined) {
    report('empty query');
    return undefined;
  }
  if (second !== undefined) report('only one statement per query is allowed', second);
  if (first.type !== 'select') {
    const what = ['union', 'union all', 'with', 'with recursive', 'values'].includes(first.type)
      ? `${constructName(first.type)} are not supported`
      : `only SELECT statements are supported (got ${first.type.toUpperCase()})`;
    report(what, first);
    return undefined;
  }
  checkClauses(first, sql, report);
  return first;
}

function checkClauses(statement: SelectFromStatement, sql: string, report: ReportIssue): void {
  const unsupported: Array<[unknown, string, string]> = [
    [statement.groupBy, 'GROUP BY', 'GROUP'],
    [statement.having, 'HAVING', 'HAVING'],
    [statement.orderBy, 'ORDER BY', 'ORDER'],
    [statement.limit, 'LIMIT/OFFSET', statement.limit?.offset && !statement.limit.limit ? 'OFFSET' : 'LIMIT'],
    [statement.distinct, 'DISTINCT', 'DISTINCT'],
    [statement.for, 'FOR UPDATE/SHARE', 'FOR'],
    [statement.skip, 'SKIP', 'SKIP'],
  ];
  for (const [clause, name, keyword] of unsupported) {
    if (clause === undefined || clause === null) continue;
    report(`${name} is not supported`, keywordBefore(sql, keyword, startOf(clause)) ?? statement);
  }
  const from = statement.from ?? [];
  for (const [index, source] of from.entries()) {
    if (source.join)
      report(
        `JOIN is not supported (${source.join.type})`,
        keywordBefore(sql, 'JOIN', startOf(source)) ?? source,
      );
    else if (index > 0) report('JOIN is not supported (several tables in FROM)', source);
    if (source.type === 'statement') report('subqueries are not supported (in FROM)', source);
  }
}

/** Offset of the last `keyword` (case-insensitive) before `offset`, so a problem points at the clause keyword. */
function keywordBefore(sql: string, keyword: string, offset: number | undefined): number | undefined {
  if (offset === undefined) return undefined;
  const found = sql.slice(0, offset).toUpperCase().lastIndexOf(keyword);
  return found < 0 ? offset : found;
}

function startOf(clause: unknown): number | undefined {
  const node = Array.isArray(clause) ? (clause[0] as unknown) : clause;
  if (typeof node !== 'object' || node === null) return undefined;
  const location = (node as { _location?: { start: number } })._location;
  // LIMIT/OFFSET nodes carry no location themselves; their values do.
  return (
    location?.start ??
    startOf((node as { limit?: unknown; offset?: unknown }).limit ?? (node as { offset?: unknown }).offset)
  );
}

/** The one FROM source, or `undefined` for a table-less query. */
export function fromSource(statement: SelectFromStatement): From | undefined {
  return statement.from?.[0];
}

function syntaxMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const detail = text.split('\n').find((line) => line.startsWith('Unexpected'));
  return (detail ?? text.split('\n')[0] ?? text).replace(/\. Instead, I was expecting.*$/, '').trim();
}

function syntaxOffset(error: unknown): number | undefined {
  const token = (error as { token?: { offset?: unknown } }).token;
  return typeof token?.offset === 'number' ? token.offset : undefined;
}
