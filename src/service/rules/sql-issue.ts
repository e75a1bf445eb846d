import type { PGNode } from 'pgsql-ast-parser';

/** Reports a problem in one SQL string; `node` (or an explicit offset) locates it inside the SQL text. */
export type ReportIssue = (message: string, at?: PGNode | number) => void;

/** Human names of SQL constructs this service rejects, by AST node type. */
const CONSTRUCT_NAMES: Record<string, string> = {
  select: 'subqueries',
  union: 'subqueries (UNION)',
  'union all': 'subqueries (UNION ALL)',
  with: 'subqueries (WITH)',
  'with recursive': 'subqueries (WITH RECURSIVE)',
  values: 'subqueries (VALUES)',
  'array select': 'subqueries (ARRAY(SELECT ...))',
  case: 'CASE expressions',
  cast: 'casts (::type / CAST)',
  parameter: 'query parameters ($n)',
  ternary: 'BETWEEN',
  extract: 'EXTRACT',
  keyword: 'SQL keywords such as CURRENT_TIMESTAMP',
  arrayIndex: 'array indexing',
  array: 'ARRAY[...] literals',
  overlay: 'OVERLAY',
  substring: 'SUBSTRING',
  default: 'DEFAULT',
  constant: 'typed constants',
};

export function constructName(type: string): string {
  return CONSTRUCT_NAMES[type] ?? `${type} expressions`;
}
