import type pg from 'pg';
import { KeySpace } from './key-space.js';
import { quoteTable, STAMP_SQL, validateWriterTable, type WriterTableSpec } from './writer-table.js';

/** Rows per INSERT … SELECT: large enough to be fast, small enough to abort between statements. */
const CHUNK_ROWS = 50_000;
/** Random text the payloads are cut from: md5 hex strings (32 characters each). */
const BLOCK_CHARS = 64 * 1024;

export interface DatasetOptions {
  /** Owners of the rows; default the spec's users. */
  users?: readonly string[];
  rowsPerUser: number;
  /** Payload column size in bytes. */
  rowSize: number;
  /** Key prefix; default `k` (as KeySpace). */
  keyPrefix?: string;
  /**
   * Stamp the rows with the load time (default true). A run loads unstamped rows: a dataset row reaching a
   * client is the service catching up with the load, never an end-to-end sample of a phase.
   */
  stamp?: boolean;
  signal?: AbortSignal;
}

export interface LoadedDataset {
  rows: number;
  durationMs: number;
  /** The loaded keys, all live: pass as `keys` to every WriteGenerator on this table. */
  keys: KeySpace;
}

/**
 * Bulk-loads the initial dataset into an empty table: `rowsPerUser` rows for each user, keys `k0 … k(N-1)` in
 * user order (user i owns keys i·rowsPerUser …), payloads of `rowSize` random hex characters, stamped with the
 * load time. INSERT … SELECT generate_series in chunks, then ANALYZE.
 */
export async function loadDataset(
  pool: pg.Pool,
  spec: WriterTableSpec,
  options: DatasetOptions,
): Promise<LoadedDataset> {
  validateWriterTable(spec);
  const users = options.users ?? spec.users;
  checkDataset(users, options);
  const started = performance.now();
  const q = quoteTable(spec);
  const prefix = options.keyPrefix ?? 'k';
  const usersPerChunk = Math.max(1, Math.floor(CHUNK_ROWS / Math.max(1, options.rowsPerUser)));
  const blockMd5s = Math.ceil(Math.max(BLOCK_CHARS, 2 * options.rowSize) / 32);
  const sql = insertChunkSql(q.table, q.key, q.owner, q.payload, q.stamp, q.updatedAt, options.stamp ?? true);
  for (let first = 0; first < users.length && options.rowsPerUser > 0; first += usersPerChunk) {
    options.signal?.throwIfAborted();
    const chunk = users.slice(first, first + usersPerChunk);
    await pool.query(sql, [chunk, first, options.rowsPerUser, prefix, options.rowSize, blockMd5s]);
  }
  await pool.query(`ANALYZE ${q.table}`);
  const rows = users.length * options.rowsPerUser;
  return { rows, durationMs: performance.now() - started, keys: new KeySpace({ initialKeys: rows, prefix }) };
}

function insertChunkSql(
  table: string,
  key: string,
  owner: string,
  payload: string,
  stamp: string,
  updatedAt: string | null,
  stamped: boolean,
): string {
  // The block is bytea so a row's slice costs O(rowSize) (a text substr walks UTF-8 from the start), and an
  // InitPlan (scalar subquery), not a join, so the planner never materialises it once per row.
  return `WITH ss_block AS MATERIALIZED (
    SELECT convert_to(string_agg(md5(i::text || random()::text), ''), 'UTF8') AS b
    FROM generate_series(1, $6::int) AS i)
  INSERT INTO ${table} (${key}, ${owner}, ${payload}, ${stamp}${updatedAt ? `, ${updatedAt}` : ''})
  SELECT $4::text || ((u.ord - 1 + $2::int8) * $3::int8 + g - 1)::text,
         u.id,
         convert_from(substring((SELECT b FROM ss_block) FROM 1 + floor(random() * ($6::int * 32 - $5::int + 1))::int FOR $5::int), 'UTF8'),
         ${stamped ? STAMP_SQL : 'NULL'}${updatedAt ? ', now()' : ''}
  FROM unnest($1::text[]) WITH ORDINALITY AS u(id, ord)
  CROSS JOIN generate_series(1, $3::int8) AS g`;
}

function checkDataset(users: readonly string[], options: DatasetOptions): void {
  const problems: string[] = [];
  if (users.length === 0) problems.push('users must list at least one user');
  if (!Number.isSafeInteger(options.rowsPerUser) || options.rowsPerUser < 0) {
    problems.push(`rowsPerUser must be an integer ≥ 0, got ${options.rowsPerUser}`);
  }
  if (!Number.isSafeInteger(options.rowSize) || options.rowSize < 0) {
    problems.push(`rowSize must be an integer ≥ 0, got ${options.rowSize}`);
  }
  if (problems.length > 0) throw new RangeError(`invalid dataset: ${problems.join('; ')}`);
}
