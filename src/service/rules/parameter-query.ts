import { parseSelect } from './sql-statement.js';
import type { ReportIssue } from './sql-issue.js';
import { StaticParameterQuery } from './static-parameter-query.js';
import { TableParameterQuery } from './table-parameter-query.js';

export type ParameterQuery = StaticParameterQuery | TableParameterQuery;

/** Compiles a parameter query: over a replicated table (an index lookup) or over request values only. */
export function compileParameterQuery(
  sql: string,
  defaultSchema: string,
  report: ReportIssue,
): ParameterQuery | undefined {
  const statement = parseSelect(sql, report);
  if (statement === undefined) return undefined;
  const from = statement.from?.[0];
  if (from?.type === 'table') return TableParameterQuery.compile(statement, from, defaultSchema, report);
  return StaticParameterQuery.compile(statement, report);
}
