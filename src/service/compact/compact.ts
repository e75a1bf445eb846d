import type pg from 'pg';
import { BucketCompactor, type BucketCompactStats } from './bucket-compactor.js';
import {
  resolveCompactSettings,
  type CompactOptions,
  type CompactResult,
  type CompactSettings,
} from './compact-options.js';

/** Buckets listed from `bucket_state` per query when compacting all of them. */
const BUCKET_PAGE_SIZE = 200;

interface CompactableStream {
  id: number;
  /** The stream's current checkpoint: ops above it are never touched. */
  maxOpId: string;
}

interface BucketToCompact {
  name: string;
  /** `ops_since_compact` when listed; subtracted afterwards so ops written meanwhile still count. */
  opsSinceCompact: string;
}

/**
 * Compacts bucket storage (service.md §5): for every replicating stream — ACTIVE, or PROCESSING with a
 * checkpoint — and every bucket of it (or only the named ones), rewrites superseded ops as MOVEs and replaces
 * the leading run of REMOVE/MOVE ops by CLEARs, up to the stream's checkpoint. Bucket checksums at that
 * checkpoint and later are unchanged, and so is what a client reduces the bucket to.
 */
export async function compact(storage: pg.Pool, options: CompactOptions = {}): Promise<CompactResult> {
  const started = performance.now();
  const settings = resolveCompactSettings(options);
  const result: CompactResult = {
    streams: [],
    buckets: 0,
    opsExamined: 0,
    movedOps: 0,
    clearedOps: 0,
    clearOpsWritten: 0,
    durationMs: 0,
    trackedRowsPeak: 0,
    memoryLimitMB: settings.memoryLimitMB,
  };
  for (const stream of await listCompactableStreams(storage)) {
    settings.signal?.throwIfAborted();
    result.streams.push(stream.id);
    for await (const bucket of bucketsToCompact(storage, stream.id, settings.buckets)) {
      settings.signal?.throwIfAborted();
      const stats = await compactBucket(storage, stream, bucket, settings);
      addStats(result, stats);
    }
  }
  result.durationMs = performance.now() - started;
  return result;
}

async function compactBucket(
  storage: pg.Pool,
  stream: CompactableStream,
  bucket: BucketToCompact,
  settings: CompactSettings,
): Promise<BucketCompactStats> {
  const stats = await new BucketCompactor(storage, stream.id, bucket.name, stream.maxOpId, settings).run();
  await storage.query(
    `UPDATE powersync.bucket_state SET ops_since_compact = greatest(ops_since_compact - $3::int8, 0)
     WHERE group_id = $1 AND bucket_name = $2`,
    [stream.id, bucket.name, bucket.opsSinceCompact],
  );
  return stats;
}

function addStats(result: CompactResult, stats: BucketCompactStats): void {
  result.buckets++;
  result.opsExamined += stats.opsExamined;
  result.movedOps += stats.movedOps;
  result.clearedOps += stats.clearedOps;
  result.clearOpsWritten += stats.clearOpsWritten;
  result.trackedRowsPeak = Math.max(result.trackedRowsPeak, stats.trackedRows);
}

async function listCompactableStreams(storage: pg.Pool): Promise<CompactableStream[]> {
  const { rows } = await storage.query<{ id: number; last_checkpoint: string }>(
    `SELECT id, last_checkpoint FROM powersync.sync_rules
     WHERE state IN ('ACTIVE', 'PROCESSING') AND last_checkpoint IS NOT NULL
     ORDER BY id`,
  );
  return rows.map((row) => ({ id: row.id, maxOpId: row.last_checkpoint }));
}

/** The named buckets that exist in the stream, or all of its buckets in pages (keyset on the name). */
async function* bucketsToCompact(
  storage: pg.Pool,
  groupId: number,
  names: string[] | undefined,
): AsyncGenerator<BucketToCompact> {
  if (names) {
    if (names.length === 0) return;
    const { rows } = await storage.query<{ bucket_name: string; ops_since_compact: string }>(
      `SELECT bucket_name, ops_since_compact FROM powersync.bucket_state
       WHERE group_id = $1 AND bucket_name = ANY($2::text[]) ORDER BY bucket_name`,
      [groupId, names],
    );
    for (const row of rows) yield { name: row.bucket_name, opsSinceCompact: row.ops_since_compact };
    return;
  }
  // Every bucket name sorts after '' (a bucket name has at least `[]`).
  let after = '';
  for (;;) {
    const { rows }: pg.QueryResult<{ bucket_name: string; ops_since_compact: string }> = await storage.query(
      `SELECT bucket_name, ops_since_compact FROM powersync.bucket_state
       WHERE group_id = $1 AND bucket_name > $2
       ORDER BY bucket_name LIMIT $3`,
      [groupId, after, BUCKET_PAGE_SIZE],
    );
    for (const row of rows) yield { name: row.bucket_name, opsSinceCompact: row.ops_since_compact };
    if (rows.length < BUCKET_PAGE_SIZE) return;
    after = rows[rows.length - 1]!.bucket_name;
  }
}
