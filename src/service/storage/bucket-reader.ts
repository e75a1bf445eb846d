import type pg from 'pg';
import type { SqliteValue } from '../rules/sqlite-value.js';
import { decodeValues } from './json-values.js';

/** A committed checkpoint of the stream served to clients. */
export interface Checkpoint {
  syncRulesId: number;
  checkpoint: bigint;
  lsn: string | null;
}

export interface BucketChecksum {
  bucket: string;
  /** Wrapping sum of the checksums of every op ≤ the checkpoint, as uint32. */
  checksum: number;
  /** Number of op records ≤ the checkpoint. */
  count: number;
}

/** One stored op as the sync stream serves it. */
export interface OplogRow {
  bucket: string;
  opId: bigint;
  op: 'PUT' | 'REMOVE' | 'MOVE' | 'CLEAR';
  objectType: string | null;
  objectId: string | null;
  subkey: string | null;
  data: string | null;
  checksum: number;
  targetOp: bigint | null;
}

type Queryable = pg.Pool | pg.ClientBase;

export async function getActiveCheckpoint(db: Queryable): Promise<Checkpoint | null> {
  const { rows } = await db.query<{
    id: number;
    last_checkpoint: string | null;
    last_checkpoint_lsn: string | null;
  }>(
    "SELECT id, last_checkpoint, last_checkpoint_lsn FROM powersync.sync_rules WHERE state = 'ACTIVE' LIMIT 1",
  );
  const row = rows[0];
  if (!row) return null;
  return { syncRulesId: row.id, checkpoint: BigInt(row.last_checkpoint ?? 0), lsn: row.last_checkpoint_lsn };
}

/**
 * Checksums and counts at a checkpoint from the per-bucket pre-aggregate, minus the few ops committed after
 * the checkpoint (an index range scan), so no bucket is scanned in full.
 */
export async function getBucketChecksums(
  db: Queryable,
  groupId: number,
  checkpoint: bigint,
  buckets: readonly string[],
): Promise<Map<string, BucketChecksum>> {
  const result = new Map<string, BucketChecksum>();
  for (const bucket of buckets) result.set(bucket, { bucket, checksum: 0, count: 0 });
  if (buckets.length === 0) return result;
  const { rows } = await db.query<{ bucket_name: string; count: string; checksum: string }>(
    `SELECT s.bucket_name,
            s.op_count - coalesce(newer.count, 0) AS count,
            ((s.checksum - coalesce(newer.checksum, 0)) % 4294967296 + 4294967296) % 4294967296 AS checksum
     FROM powersync.bucket_state s
     LEFT JOIN LATERAL (
       SELECT count(*) AS count, sum(d.checksum) AS checksum FROM powersync.bucket_data d
       WHERE d.group_id = s.group_id AND d.bucket_name = s.bucket_name AND d.op_id > $3
     ) newer ON true
     WHERE s.group_id = $1 AND s.bucket_name = ANY($2::text[])`,
    [groupId, buckets, checkpoint.toString()],
  );
  for (const row of rows) {
    result.set(row.bucket_name, {
      bucket: row.bucket_name,
      checksum: Number(row.checksum),
      count: Number(row.count),
    });
  }
  return result;
}

/**
 * Ops with `after < op_id ≤ checkpoint` for each bucket, ascending per bucket, at most `limit` in total
 * (the stream reads at most 1000 ops per storage read).
 */
export async function getBucketData(
  db: Queryable,
  groupId: number,
  checkpoint: bigint,
  positions: ReadonlyArray<{ bucket: string; after: bigint }>,
  limit = 1000,
): Promise<OplogRow[]> {
  if (positions.length === 0) return [];
  const { rows } = await db.query<{
    bucket_name: string;
    op_id: string;
    op: OplogRow['op'];
    table_name: string | null;
    row_id: string | null;
    subkey: string | null;
    data: string | null;
    checksum: string;
    target_op: string | null;
  }>(
    `SELECT d.bucket_name, d.op_id, d.op, d.table_name, d.row_id, d.subkey, d.data, d.checksum, d.target_op
     FROM unnest($2::text[], $3::int8[]) WITH ORDINALITY AS p(bucket, after, n)
     CROSS JOIN LATERAL (
       SELECT * FROM powersync.bucket_data b
       WHERE b.group_id = $1 AND b.bucket_name = p.bucket AND b.op_id > p.after AND b.op_id <= $4
       ORDER BY b.op_id LIMIT $5
     ) d
     ORDER BY p.n, d.op_id
     LIMIT $5`,
    [
      groupId,
      positions.map((p) => p.bucket),
      positions.map((p) => p.after.toString()),
      checkpoint.toString(),
      limit,
    ],
  );
  return rows.map((r) => ({
    bucket: r.bucket_name,
    opId: BigInt(r.op_id),
    op: r.op,
    objectType: r.table_name,
    objectId: r.row_id,
    subkey: r.subkey,
    data: r.data,
    checksum: Number(r.checksum),
    targetOp: r.target_op === null ? null : BigInt(r.target_op),
  }));
}

/** The parameter rows currently stored (as of the checkpoint) for the given lookups. */
export async function getParameterSets(
  db: Queryable,
  groupId: number,
  checkpoint: bigint,
  lookups: readonly string[],
): Promise<Array<Record<string, SqliteValue>>> {
  if (lookups.length === 0) return [];
  const { rows } = await db.query<{ bucket_parameters: string }>(
    `SELECT DISTINCT ON (lookup, source_table, source_key) bucket_parameters
     FROM powersync.bucket_parameters
     WHERE group_id = $1 AND lookup = ANY(ARRAY(SELECT convert_to(l, 'UTF8') FROM unnest($2::text[]) l)) AND id <= $3
     ORDER BY lookup, source_table, source_key, id DESC`,
    [groupId, lookups, checkpoint.toString()],
  );
  return rows.flatMap((r) => decodeValues<Array<Record<string, SqliteValue>>>(r.bucket_parameters));
}

/**
 * Buckets with ops after `after`: every bucket a newer checkpoint changed (possibly a few changed by a
 * checkpoint committed since, which costs a reader one checksum look-up, never a wrong answer).
 */
export async function getChangedBuckets(db: Queryable, groupId: number, after: bigint): Promise<string[]> {
  const { rows } = await db.query<{ bucket_name: string }>(
    'SELECT bucket_name FROM powersync.bucket_state WHERE group_id = $1 AND last_op > $2',
    [groupId, after.toString()],
  );
  return rows.map((r) => r.bucket_name);
}

/** Whether parameter-index rows were written in (after, upTo]: dynamic bucket sets must be re-resolved. */
export async function hasParameterChanges(
  db: Queryable,
  groupId: number,
  after: bigint,
  upTo: bigint,
): Promise<boolean> {
  const { rowCount } = await db.query(
    'SELECT 1 FROM powersync.bucket_parameters WHERE id > $1 AND id <= $2 AND group_id = $3 LIMIT 1',
    [after.toString(), upTo.toString(), groupId],
  );
  return (rowCount ?? 0) > 0;
}
