import type pg from 'pg';
import { quoteIdent } from '../postgres/index.js';

/**
 * The source table a generator writes and the names of its columns. Keys are text; the owner column puts each
 * row in one user's bucket; the stamp column (int8, ms since the epoch, set by the database as the statement
 * runs) lets clients time a row's end-to-end visibility.
 */
export interface WriterTableSpec {
  table: string;
  /** Default `public`. */
  schema?: string;
  keyColumn: string;
  ownerColumn: string;
  payloadColumn: string;
  stampColumn: string;
  /** A timestamptz column set to now() on every write; null for none. Default null. */
  updatedAtColumn?: string | null;
  /** The dataset's users: owners of inserted rows (and of loaded rows). At least one. */
  users: readonly string[];
}

/** The default table shape: `todos(id, owner_id, payload, ss_ts, updated_at)`, matching fixtures/sync-config. */
export function defaultWriterTable(users: readonly string[], table = 'todos'): WriterTableSpec {
  return {
    table,
    keyColumn: 'id',
    ownerColumn: 'owner_id',
    payloadColumn: 'payload',
    stampColumn: 'ss_ts',
    updatedAtColumn: 'updated_at',
    users,
  };
}

/** `count` user ids, `user-0` … `user-(count-1)` (or with another prefix): the `sub` of each fleet client. */
export function userIds(count: number, prefix = 'user-'): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/**
 * The users of a scenario's dataset, `user0` … `user(count-1)`: the owners of its rows, the subjects of its
 * clients' tokens, and the ids of the embedded dataset's `users` table ('user' || g).
 */
export function datasetUserIds(count: number): string[] {
  return userIds(count, 'user');
}

/** The spec's names, quoted once for SQL. */
export interface QuotedTable {
  table: string;
  key: string;
  owner: string;
  payload: string;
  stamp: string;
  updatedAt: string | null;
}

export function quoteTable(spec: WriterTableSpec): QuotedTable {
  return {
    table: `${quoteIdent(spec.schema ?? 'public')}.${quoteIdent(spec.table)}`,
    key: quoteIdent(spec.keyColumn),
    owner: quoteIdent(spec.ownerColumn),
    payload: quoteIdent(spec.payloadColumn),
    stamp: quoteIdent(spec.stampColumn),
    updatedAt: spec.updatedAtColumn ? quoteIdent(spec.updatedAtColumn) : null,
  };
}

/** The database's clock when the row is written, in ms since the epoch (the stamp clients compare to). */
export const STAMP_SQL = '(extract(epoch from clock_timestamp()) * 1000)::int8';

/** Throws a RangeError naming every problem of a spec. */
export function validateWriterTable(spec: WriterTableSpec): void {
  const problems: string[] = [];
  for (const field of ['table', 'keyColumn', 'ownerColumn', 'payloadColumn', 'stampColumn'] as const) {
    if (typeof spec[field] !== 'string' || spec[field].length === 0) problems.push(`${field} must be a name`);
  }
  if (!Array.isArray(spec.users) || spec.users.length === 0)
    problems.push('users must list at least one user');
  if (problems.length > 0) throw new RangeError(`invalid writer table spec: ${problems.join('; ')}`);
}

export interface CreateWriterTableOptions {
  /** Drop the table first (a fresh dataset). Default false: keep an existing table. */
  dropExisting?: boolean;
}

/**
 * Creates the spec's table in the default shape: key text primary key, owner text not null, payload text,
 * stamp int8, and the updated-at timestamptz when named. Replication needs nothing more (the primary key is
 * the replica identity); publishing it is the caller's business.
 */
export async function createWriterTable(
  pool: pg.Pool,
  spec: WriterTableSpec,
  options: CreateWriterTableOptions = {},
): Promise<void> {
  validateWriterTable(spec);
  const q = quoteTable(spec);
  const columns = [
    `${q.key} text PRIMARY KEY`,
    `${q.owner} text NOT NULL`,
    `${q.payload} text`,
    `${q.stamp} int8`,
    ...(q.updatedAt ? [`${q.updatedAt} timestamptz`] : []),
  ];
  if (options.dropExisting) await pool.query(`DROP TABLE IF EXISTS ${q.table}`);
  await pool.query(`CREATE TABLE IF NOT EXISTS ${q.table} (${columns.join(', ')})`);
}
