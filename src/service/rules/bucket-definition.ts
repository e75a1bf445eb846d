import type { PGNode } from 'pgsql-ast-parser';
import type { DefinitionSource, SqlSource } from './config-source.js';
import { DataQuery } from './data-query.js';
import { compileParameterQuery, type ParameterQuery } from './parameter-query.js';
import type { ReportIssue } from './sql-issue.js';
import type { SyncConfigProblem } from './sync-config-error.js';

/** A parameter query with its id in the parameter index: its 0-based position in `parameters`. */
export interface IdentifiedParameterQuery {
  queryId: string;
  query: ParameterQuery;
}

/** One compiled `bucket_definitions` entry. */
export interface BucketDefinition {
  name: string;
  priority: number;
  /** Bucket parameter names in declaration order (the SELECT columns of the parameter queries). */
  parameterNames: ReadonlyArray<string>;
  parameterQueries: ReadonlyArray<IdentifiedParameterQuery>;
  dataQueries: ReadonlyArray<DataQuery>;
}

/** Compiles a definition's SQL; every problem is appended to `problems` (then the result must not be used). */
export function compileDefinition(
  source: DefinitionSource,
  defaultSchema: string,
  problems: SyncConfigProblem[],
): BucketDefinition {
  const parameterQueries: IdentifiedParameterQuery[] = [];
  let parametersKnown = true;
  for (const [index, sql] of source.parameters.entries()) {
    const query = compileSql(sql, problems, (report) =>
      compileParameterQuery(sql.sql, defaultSchema, report),
    );
    if (query === undefined) parametersKnown = false;
    else parameterQueries.push({ queryId: String(index), query });
  }
  const parameterNames = parameterQueries[0]?.query.columns ?? [];
  for (const { queryId, query } of parameterQueries) {
    const sql = source.parameters[Number(queryId)];
    if (sameNames(query.columns, parameterNames) || sql === undefined) continue;
    const expected = `expected (${parameterNames.join(', ')}), got (${query.columns.join(', ')})`;
    problems.push(
      problemAt(sql, `every parameter query of a definition must select the same columns: ${expected}`),
    );
  }
  const dataQueries: DataQuery[] = [];
  for (const sql of source.data) {
    const known = parametersKnown ? parameterNames : undefined;
    const query = compileSql(sql, problems, (report) =>
      DataQuery.compile(sql.sql, known, defaultSchema, report),
    );
    if (query !== undefined) dataQueries.push(query);
  }
  return { name: source.name, priority: source.priority, parameterNames, parameterQueries, dataQueries };
}

/** Runs a compiler on one SQL string, turning its issues into located problems; `undefined` if it had any. */
function compileSql<T>(
  sql: SqlSource,
  problems: SyncConfigProblem[],
  compile: (report: ReportIssue) => T | undefined,
): T | undefined {
  let issues = 0;
  const report: ReportIssue = (message, at) => {
    issues += 1;
    problems.push(problemAt(sql, message, typeof at === 'number' ? at : offsetOf(at)));
  };
  const result = compile(report);
  return issues === 0 ? result : undefined;
}

function problemAt(sql: SqlSource, message: string, offset?: number): SyncConfigProblem {
  const position = sql.position(offset);
  return {
    message,
    path: sql.path,
    line: position.line,
    ...(position.column === undefined ? {} : { column: position.column }),
  };
}

function offsetOf(node: PGNode | undefined): number | undefined {
  return node?._location?.start;
}

function sameNames(a: ReadonlyArray<string>, b: ReadonlyArray<string>): boolean {
  return a.length === b.length && a.every((name) => b.includes(name));
}
