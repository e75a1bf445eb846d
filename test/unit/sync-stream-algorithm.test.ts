/* eslint-disable @typescript-eslint/no-explicit-any -- protocol lines are inspected loosely */
import type pg from 'pg';
import { describe, expect, it } from 'vitest';
import { putChecksum } from '../../src/protocol/index.js';
import type { CheckpointUpdate } from '../../src/service/api/checkpoints/checkpoint-broadcaster.js';
import { SyncStream, type SyncStreamDeps } from '../../src/service/api/sync/sync-stream.js';
import { SharedLine, type SyncLine } from '../../src/service/api/sync/stream-types.js';
import { SyncConfig } from '../../src/service/rules/index.js';
import type { BucketChecksum, OplogRow } from '../../src/service/storage/index.js';

/**
 * The stream algorithm against in-memory fakes of storage reads and checkpoint notifications, for the cases
 * a real service only hits under load: supersession after 1000 ops, and compaction invalidation.
 */
const CONFIG = SyncConfig.parse(
  `bucket_definitions:
  global:
    data: [SELECT * FROM lists]
  by_user:
    parameters: SELECT request.user_id() AS user_id
    data: [SELECT * FROM todos WHERE owner_id = bucket.user_id]`,
  { bucketIdPrefix: '1#' },
);
const GLOBAL = '1#global[]';
const USER = '1#by_user["u1"]';

function put(bucket: string, opId: bigint, id: string, targetOp: bigint | null = null): OplogRow {
  const data = JSON.stringify({ id });
  return {
    bucket,
    opId,
    op: targetOp === null ? 'PUT' : 'MOVE',
    objectType: 'lists',
    objectId: id,
    subkey: id,
    data,
    checksum: putChecksum('lists', id, data),
    targetOp,
  };
}

function harness(options: {
  ops: (checkpoint: bigint, positions: ReadonlyArray<{ bucket: string; after: bigint }>) => OplogRow[];
  onLine?: (line: SyncLine, lines: SyncLine[]) => void;
  /** Runs while the stream loads its sync config, i.e. before it subscribes and resolves its buckets. */
  whileStarting?: (publish: (checkpoint: bigint, changed: string[] | null) => void) => void;
  /** Checksums and one-bucket ranges are already held by the shared caches (the no-await path). */
  cached?: boolean;
  /** The ops a checkpoint added to a bucket, as the broadcaster's preparation read them. */
  since?: (checkpoint: bigint, previous: bigint, bucket: string) => OplogRow[] | undefined;
  sinceReads?: { count: number };
}) {
  const listeners = new Set<(u: CheckpointUpdate) => void>();
  const update = (checkpoint: bigint, changed: string[] | null): CheckpointUpdate => ({
    checkpoint: { syncRulesId: 1, checkpoint, lsn: null },
    changedBuckets: changed === null ? null : new Set(changed),
    parametersChanged: false,
    writeCheckpoints: new Map(),
    previous: changed === null ? null : current.checkpoint.checkpoint,
  });
  let current = update(10n, null);
  const lines: SyncLine[] = [];
  const abort = new AbortController();
  const checksums = (checkpoint: bigint, buckets: readonly string[]) =>
    new Map<string, BucketChecksum>(
      buckets.map((b) => [
        b,
        { bucket: b, checksum: Number(checkpoint) + b.length, count: Number(checkpoint) },
      ]),
    );
  const deps: SyncStreamDeps = {
    storage: { query: async () => ({ rows: [] }) } as unknown as pg.Pool,
    broadcaster: {
      get current() {
        return current;
      },
      subscribe(listener: (u: CheckpointUpdate) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      writeCheckpointOf: () => undefined,
    } as never,
    checksums: {
      get: async (_id: number, checkpoint: bigint, buckets: readonly string[]) =>
        checksums(checkpoint, buckets),
      peek: (_id: number, checkpoint: bigint, buckets: readonly string[]) =>
        options.cached ? checksums(checkpoint, buckets) : undefined,
    } as never,
    data: {
      read: async (_id: number, checkpoint: bigint, positions: any) => options.ops(checkpoint, positions),
      peek: (_id: number, checkpoint: bigint, bucket: string, after: bigint) =>
        options.cached ? options.ops(checkpoint, [{ bucket, after }]) : undefined,
      sinceCheckpoint: (_id: number, checkpoint: bigint, previous: bigint, bucket: string) => {
        const rows = options.since?.(checkpoint, previous, bucket);
        if (rows && options.sinceReads) options.sinceReads.count++;
        return rows;
      },
    } as never,
    syncConfig: async () => {
      options.whileStarting?.(publish);
      return CONFIG;
    },
    maxBucketsPerConnection: 1000,
    maxParameterQueryResults: 1000,
  };
  function publish(checkpoint: bigint, changed: string[] | null) {
    current = update(checkpoint, changed);
    for (const listener of listeners) listener(current);
  }
  /** A checkpoint the stream never hears of (it processed a newer one instead). */
  function publishQuietly(checkpoint: bigint, changed: string[] | null) {
    current = update(checkpoint, changed);
  }
  const stream = new SyncStream(deps, {
    token: { sub: 'u1', iat: 0, exp: Math.floor(Date.now() / 1000) + 3600, payload: { sub: 'u1' } },
    request: { raw_data: true },
    transport: 'http',
    signal: abort.signal,
    sink: {
      write: async (written) => {
        // Shared lines (one encoding for many streams) carry the same object.
        const line = written instanceof SharedLine ? written.line : written;
        lines.push(line);
        options.onLine?.(line, lines);
      },
    },
  });
  const done = stream.run();
  return { lines, publish, publishQuietly, stop: () => abort.abort(), done };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(condition()).toBe(true);
}

describe.each([
  ['storage reads', false],
  ['reads other streams already made (no-await path)', true],
])('sync stream algorithm, %s', (_name, cached) => {
  it('stops sending a superseded checkpoint after 1000 ops: no checkpoint_complete, a diff for the new one', async () => {
    let published = false;
    const h = harness({
      cached,
      ops: (checkpoint, positions) => {
        const { bucket, after } = positions[0]!;
        if (checkpoint === 10n && bucket === GLOBAL && after === 0n) {
          return Array.from({ length: 1000 }, (_, i) => put(GLOBAL, BigInt(i + 1), `l${i}`));
        }
        return [];
      },
      onLine: (line) => {
        // A newer checkpoint touching this stream arrives while the first 1000 ops are being sent.
        if ((line as any).data && !published) {
          published = true;
          h.publish(20n, [GLOBAL]);
        }
      },
    });
    await until(() => h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '20'));
    h.stop();
    await h.done;
    const kinds = h.lines.map((l) => Object.keys(l)[0]);
    expect(kinds[0]).toBe('checkpoint');
    expect(h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '10')).toBe(false);
    const diff = h.lines.findIndex((l: any) => l.checkpoint_diff?.last_op_id === '20');
    expect(diff).toBeGreaterThan(kinds.indexOf('data'));
  });

  it('withholds checkpoint_complete when a MOVE points past the checkpoint, and completes the next one', async () => {
    const h = harness({
      cached,
      ops: (checkpoint, positions) => {
        const { bucket, after } = positions[0]!;
        if (bucket !== GLOBAL) return [];
        if (checkpoint === 10n && after === 0n) return [put(GLOBAL, 5n, 'l1', 15n)];
        if (checkpoint === 20n && after === 5n) return [put(GLOBAL, 15n, 'l1')];
        return [];
      },
    });
    await until(() => h.lines.some((l: any) => l.data));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.lines.some((l: any) => l.checkpoint_complete)).toBe(false);
    h.publish(20n, [GLOBAL]);
    await until(() => h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '20'));
    h.stop();
    await h.done;
  });

  it('withholds an incremental checkpoint_complete when a MOVE points past it (one changed bucket)', async () => {
    const h = harness({
      cached,
      ops: (checkpoint, positions) => {
        const { bucket, after } = positions[0]!;
        if (positions.length !== 1 || bucket !== GLOBAL) return [];
        if (checkpoint === 20n && after === 0n) return [put(GLOBAL, 15n, 'l1', 25n)];
        if (checkpoint === 30n && after === 15n) return [put(GLOBAL, 25n, 'l1')];
        return [];
      },
    });
    await until(() => h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '10'));
    h.publish(20n, [GLOBAL]);
    await until(() => h.lines.some((l: any) => l.data?.next_after === '15'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '20')).toBe(false);
    h.publish(30n, [GLOBAL]);
    await until(() => h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '30'));
    const data = h.lines.filter((l: any) => l.data).map((l: any) => [l.data.after, l.data.next_after]);
    expect(data).toEqual([
      ['0', '15'],
      ['15', '25'],
    ]);
    h.stop();
    await h.done;
  });

  it('uses the ops a checkpoint added (read once for every stream) only when complete at the checkpoint before', async () => {
    // A storage-like op log: the global bucket gets one op per checkpoint.
    const log = [
      put(GLOBAL, 5n, 'l1'),
      put(GLOBAL, 15n, 'l2'),
      put(GLOBAL, 25n, 'l3'),
      put(GLOBAL, 35n, 'l4'),
    ];
    const inRange = (bucket: string, after: bigint, upTo: bigint) =>
      log.filter((op) => op.bucket === bucket && op.opId > after && op.opId <= upTo);
    const sinceReads = { count: 0 };
    const h = harness({
      cached,
      sinceReads,
      ops: (checkpoint, positions) => positions.flatMap((p) => inRange(p.bucket, p.after, checkpoint)),
      since: (checkpoint, previous, bucket) => inRange(bucket, previous, checkpoint),
    });
    await until(() => h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '10'));
    h.publish(20n, [GLOBAL]);
    await until(() => h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '20'));
    // The stream misses 30 (as if it were busy) and sees 40 relative to 30: it must read from its position.
    await new Promise((resolve) => setTimeout(resolve, 20));
    h.publishQuietly(30n, [GLOBAL]);
    h.publish(40n, [GLOBAL]);
    await until(() => h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '40'));
    const data = h.lines
      .filter((l: any) => l.data)
      .map((l: any) => [l.data.after, ...l.data.data.map((op: any) => op.op_id)]);
    expect(data).toEqual([
      ['0', '5'],
      ['5', '15'],
      ['15', '25', '35'],
    ]);
    expect(sinceReads.count).toBe(1);
    h.stop();
    await h.done;
  });

  it('a checkpoint published while the stream is starting reaches the client (no missed changes)', async () => {
    const h = harness({
      cached,
      ops: (checkpoint, positions) => {
        const global = positions.find((p) => p.bucket === GLOBAL);
        return checkpoint === 11n && global && global.after < 11n ? [put(GLOBAL, 11n, 'l-new')] : [];
      },
      whileStarting: (publish) => publish(11n, [GLOBAL]),
    });
    await until(() => h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '11'));
    expect(h.lines.some((l: any) => l.data?.data?.some((op: any) => op.object_id === 'l-new'))).toBe(true);
    h.stop();
    await h.done;
  });

  it('sends nothing for a checkpoint that changes none of its buckets', async () => {
    const h = harness({ cached, ops: () => [] });
    await until(() => h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '10'));
    const count = h.lines.length;
    h.publish(11n, ['1#by_user["someone-else"]']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(h.lines.length).toBe(count);
    h.publish(12n, [USER]);
    await until(() => h.lines.some((l: any) => l.checkpoint_complete?.last_op_id === '12'));
    h.stop();
    await h.done;
  });
});
