import type { FromTable } from 'pgsql-ast-parser';

/** A replicated table, named as Postgres stores it (unquoted identifiers are lowercase). */
export interface SourceTableName {
  schema: string;
  name: string;
}

export const DEFAULT_SCHEMA = 'public';

/** The table a FROM clause names; unqualified names are in `defaultSchema`. */
export function tableOf(from: FromTable, defaultSchema: string): SourceTableName {
  return { schema: from.name.schema ?? defaultSchema, name: from.name.name };
}

/** A map key for a table; case-sensitive, like Postgres identifiers. */
export function tableKey(table: SourceTableName): string {
  return `${table.schema}\u0000${table.name}`;
}
