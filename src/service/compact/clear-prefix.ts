import type pg from 'pg';
import { ServiceError } from '../../errors/index.js';
import { inTransaction } from '../storage/index.js';

export interface ClearStats {
  /** Ops deleted (REMOVE, MOVE and older CLEARs). */
  clearedOps: number;
  /** CLEAR ops inserted (one per transaction). */
  clearOpsWritten: number;
}

interface BatchSummary {
  n: number;
  replaceable: number;
  last_op_id: string | null;
  checksum: string;
  target_op: string | null;
  unexpected_op: string | null;
  unexpected_op_id: string | null;
}

/** Postgres errors worth retrying the whole transaction for: serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 5;
const RETRY_BASE_MS = 25;

/**
 * The CLEAR step (service.md §5 step 5): replaces the bucket's ops ≤ `upTo` — a prefix of REMOVE/MOVE/CLEAR
 * ops found by the scan — by CLEAR ops, oldest first, at most `batchLimit` ops per REPEATABLE READ transaction.
 * Each CLEAR takes the op id of the last op it replaces, the wrapping sum of their checksums and the highest
 * of their target ops, so the bucket checksum at every checkpoint ≥ `upTo` is unchanged; `bucket_state`'s
 * count drops in the same transaction. Stops when a batch holds nothing but the CLEAR itself.
 */
export async function clearPrefix(
  pool: pg.Pool,
  groupId: number,
  bucket: string,
  upTo: string,
  batchLimit: number,
  signal?: AbortSignal,
): Promise<ClearStats> {
  const stats: ClearStats = { clearedOps: 0, clearOpsWritten: 0 };
  for (;;) {
    signal?.throwIfAborted();
    const deleted = await withRetry(() =>
      inTransaction(
        pool,
        (client) => clearBatch(client, groupId, bucket, upTo, batchLimit),
        'REPEATABLE READ',
      ),
    );
    if (deleted === 0) return stats;
    stats.clearedOps += deleted;
    stats.clearOpsWritten++;
  }
}

/** One transaction: returns the number of ops deleted, 0 when there was nothing left to replace. */
async function clearBatch(
  client: pg.ClientBase,
  groupId: number,
  bucket: string,
  upTo: string,
  batchLimit: number,
): Promise<number> {
  // Lock the pre-aggregate first: concurrent replication of this bucket waits for this short transaction.
  await client.query(
    'SELECT 1 FROM powersync.bucket_state WHERE group_id = $1 AND bucket_name = $2 FOR UPDATE',
    [groupId, bucket],
  );
  const { rows } = await client.query<BatchSummary>(
    `WITH batch AS (
       SELECT op_id, op, checksum, target_op FROM powersync.bucket_data
       WHERE group_id = $1 AND bucket_name = $2 AND op_id <= $3
       ORDER BY op_id LIMIT $4
     )
     SELECT count(*)::int AS n,
            count(*) FILTER (WHERE op IN ('REMOVE', 'MOVE'))::int AS replaceable,
            max(op_id) AS last_op_id,
            coalesce(sum(checksum), 0) % 4294967296 AS checksum,
            max(target_op) AS target_op,
            min(op) FILTER (WHERE op NOT IN ('REMOVE', 'MOVE', 'CLEAR')) AS unexpected_op,
            min(op_id) FILTER (WHERE op NOT IN ('REMOVE', 'MOVE', 'CLEAR')) AS unexpected_op_id
     FROM batch`,
    [groupId, bucket, upTo, batchLimit],
  );
  const batch = rows[0]!;
  if (batch.unexpected_op_id !== null) {
    throw new ServiceError(
      'PSYNC_S0001',
      `Unexpected ${batch.unexpected_op} operation at ${groupId}:${bucket}:${batch.unexpected_op_id} while clearing`,
    );
  }
  if (batch.replaceable === 0 || batch.last_op_id === null) return 0;
  const deleted = await client.query(
    'DELETE FROM powersync.bucket_data WHERE group_id = $1 AND bucket_name = $2 AND op_id <= $3',
    [groupId, bucket, batch.last_op_id],
  );
  if (deleted.rowCount !== batch.n) {
    throw new ServiceError(
      'PSYNC_S0001',
      `CLEAR of ${groupId}:${bucket} up to ${batch.last_op_id} deleted ${deleted.rowCount} ops, expected ${batch.n}`,
    );
  }
  await client.query(
    `INSERT INTO powersync.bucket_data (group_id, bucket_name, op_id, op, checksum, target_op)
     VALUES ($1, $2, $3, 'CLEAR', $4, $5)`,
    [groupId, bucket, batch.last_op_id, batch.checksum, batch.target_op],
  );
  await client.query(
    'UPDATE powersync.bucket_state SET op_count = op_count - $3 WHERE group_id = $1 AND bucket_name = $2',
    [groupId, bucket, batch.n - 1],
  );
  return batch.n;
}

async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= MAX_ATTEMPTS || typeof code !== 'string' || !RETRYABLE.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, RETRY_BASE_MS * 2 ** (attempt - 1)));
    }
  }
}
