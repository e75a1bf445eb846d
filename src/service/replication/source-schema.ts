import type pg from 'pg';
import { ServiceError } from '../../errors/index.js';

export const PUBLICATION_NAME = 'powersync';

/** Checks the `powersync` publication (service.md §6.3): exists, publishes every change, not via root. */
export async function checkPublication(source: pg.ClientBase | pg.Pool): Promise<void> {
  // Integers, not booleans: the snapshot pool returns every value as raw text.
  const { rows } = await source.query<{ all_changes: string | number; via_root: string | number }>(
    `SELECT (pubinsert AND pubupdate AND pubdelete AND pubtruncate)::int AS all_changes, pubviaroot::int AS via_root
     FROM pg_publication WHERE pubname = $1`,
    [PUBLICATION_NAME],
  );
  const publication = rows[0];
  if (!publication) {
    throw new ServiceError(
      'PSYNC_S1141',
      `Publication "${PUBLICATION_NAME}" does not exist: CREATE PUBLICATION ${PUBLICATION_NAME} FOR ALL TABLES`,
    );
  }
  if (Number(publication.all_changes) !== 1) {
    throw new ServiceError(
      'PSYNC_S1142',
      `Publication "${PUBLICATION_NAME}" does not publish all changes (insert, update, delete, truncate)`,
    );
  }
  if (Number(publication.via_root) === 1) {
    throw new ServiceError(
      'PSYNC_S1143',
      `Publication "${PUBLICATION_NAME}" uses publish_via_partition_root`,
    );
  }
}

export interface SourceTableInfo {
  schema: string;
  name: string;
  relationId: number;
  /** Columns identifying a row: the replica identity index or primary key; every column for FULL. */
  replicaIdColumns: string[];
  /** Whether the table is in the publication. */
  published: boolean;
}

/** Resolves a table named by the sync config, or undefined when it does not exist. */
export async function describeSourceTable(
  source: pg.ClientBase | pg.Pool,
  schema: string,
  name: string,
): Promise<SourceTableInfo | undefined> {
  const { rows } = await source.query<{ oid: number; relreplident: string }>(
    `SELECT c.oid, c.relreplident FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, name],
  );
  const table = rows[0];
  if (!table) return undefined;
  let columns: string[];
  if (table.relreplident === 'f') {
    const all = await source.query<{ attname: string }>(
      'SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum',
      [table.oid],
    );
    columns = all.rows.map((r) => r.attname);
  } else {
    const key = await source.query<{ attname: string }>(
      `SELECT a.attname FROM pg_index i
       JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
       WHERE i.indrelid = $1 AND (CASE WHEN $2 = 'i' THEN i.indisreplident ELSE i.indisprimary END)
       ORDER BY k.n`,
      [table.oid, table.relreplident],
    );
    columns = key.rows.map((r) => r.attname);
  }
  const published = await source.query(
    'SELECT 1 FROM pg_publication_tables WHERE pubname = $1 AND schemaname = $2 AND tablename = $3',
    [PUBLICATION_NAME, schema, name],
  );
  return {
    schema,
    name,
    relationId: Number(table.oid),
    replicaIdColumns: columns,
    published: (published.rowCount ?? 0) > 0,
  };
}

/** The source's current WAL position (zero-padded for lexical comparison). */
export async function currentWalLsn(source: pg.ClientBase | pg.Pool): Promise<string> {
  const { rows } = await source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
  return rows[0]!.lsn;
}
