import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seededRandom as prng } from '../../src/analysis/index.js';
import { isServiceError } from '../../src/errors/index.js';
import { putChecksum, removeChecksum, sumChecksums } from '../../src/protocol/index.js';
import { compact, validateBucketNames, type CompactOptions } from '../../src/service/compact/index.js';
import { clearPrefix } from '../../src/service/compact/clear-prefix.js';
import {
  createStoragePool,
  getBucketChecksums,
  migrate,
  subkeyFor,
} from '../../src/service/storage/index.js';
import { createTestDatabase } from '../support/databases.js';

// ---------------------------------------------------------------------------------------------------------
// Fixtures: an op log written straight into storage (bucket_state kept consistent), and a simulated client.
// ---------------------------------------------------------------------------------------------------------

type OpType = 'PUT' | 'REMOVE' | 'MOVE' | 'CLEAR';

/** One op as stored, or as written before any compaction. */
interface StoredOp {
  opId: bigint;
  op: OpType;
  table: string | null;
  rowId: string | null;
  subkey: string | null;
  data: string | null;
  checksum: number;
  targetOp: bigint | null;
}

type Change = { kind: 'put'; id: string; data?: string } | { kind: 'remove'; id: string };

const TABLE = 'todos';

/** Writes PUT/REMOVE ops as replication would, and remembers every op written (the uncompacted truth). */
class OpLog {
  readonly written = new Map<string, StoredOp[]>();
  private version = 0;

  constructor(
    private readonly pool: pg.Pool,
    readonly groupId: number,
  ) {}

  async write(bucket: string, changes: Change[]): Promise<bigint[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      "SELECT nextval('powersync.op_id_sequence') AS id FROM generate_series(1, $1) ORDER BY id",
      [changes.length],
    );
    const ops = changes.map((change, i): StoredOp => {
      const subkey = subkeyFor('1', Buffer.from(change.id));
      const opId = BigInt(rows[i]!.id);
      if (change.kind === 'remove') {
        const checksum = removeChecksum(subkey);
        return {
          opId,
          op: 'REMOVE',
          table: TABLE,
          rowId: change.id,
          subkey,
          data: null,
          checksum,
          targetOp: null,
        };
      }
      const data = change.data ?? JSON.stringify({ id: change.id, v: ++this.version });
      const checksum = putChecksum(TABLE, change.id, data);
      return { opId, op: 'PUT', table: TABLE, rowId: change.id, subkey, data, checksum, targetOp: null };
    });
    await this.pool.query(
      `WITH ins AS (
         INSERT INTO powersync.bucket_data
           (group_id, bucket_name, op_id, op, source_table, source_key, subkey, table_name, row_id, checksum, data)
         SELECT $1, $2, o, op, 1, convert_to(r, 'UTF8'), s, $3, r, c, d
         FROM unnest($4::int8[], $5::text[], $6::text[], $7::text[], $8::int8[], $9::text[]) AS u(o, op, s, r, c, d)
         RETURNING op_id, checksum
       )
       INSERT INTO powersync.bucket_state AS s (group_id, bucket_name, op_count, checksum, last_op, ops_since_compact)
       SELECT $1, $2, count(*), sum(checksum) % 4294967296, max(op_id), count(*) FROM ins
       ON CONFLICT (group_id, bucket_name) DO UPDATE SET
         op_count = s.op_count + excluded.op_count,
         checksum = (s.checksum + excluded.checksum) % 4294967296,
         last_op = greatest(s.last_op, excluded.last_op),
         ops_since_compact = s.ops_since_compact + excluded.ops_since_compact`,
      [
        this.groupId,
        bucket,
        TABLE,
        ops.map((o) => o.opId.toString()),
        ops.map((o) => o.op),
        ops.map((o) => o.subkey),
        ops.map((o) => o.rowId),
        ops.map((o) => o.checksum),
        ops.map((o) => o.data),
      ],
    );
    this.written.set(bucket, [...(this.written.get(bucket) ?? []), ...ops]);
    return ops.map((o) => o.opId);
  }

  /** Commits a checkpoint at the highest op id allocated so far. */
  async checkpoint(): Promise<bigint> {
    const { rows } = await this.pool.query<{ id: string }>(
      `UPDATE powersync.sync_rules SET last_checkpoint = (SELECT last_value FROM powersync.op_id_sequence)
       WHERE id = $1 RETURNING last_checkpoint::text AS id`,
      [this.groupId],
    );
    return BigInt(rows[0]!.id);
  }

  original(bucket: string, upTo: bigint, after = 0n): StoredOp[] {
    return (this.written.get(bucket) ?? []).filter((o) => o.opId > after && o.opId <= upTo);
  }

  get buckets(): string[] {
    return [...this.written.keys()];
  }
}

/** A client's copy of one bucket: the sync core's oplog with add_checksum (protocol.md §1.7). */
class ClientBucket {
  private readonly rows = new Map<
    string,
    { checksum: number; table: string; id: string; data: string | null }
  >();
  private add = 0;

  apply(ops: StoredOp[]): this {
    for (const op of ops) {
      const key = `${op.table}/${op.rowId}/${op.subkey}`;
      const previous = op.op === 'PUT' || op.op === 'REMOVE' ? this.rows.get(key) : undefined;
      if (previous) this.add = (this.add + previous.checksum) >>> 0;
      if (op.op === 'PUT')
        this.rows.set(key, { checksum: op.checksum, table: op.table!, id: op.rowId!, data: op.data });
      if (op.op === 'REMOVE') this.rows.delete(key);
      if (op.op === 'REMOVE' || op.op === 'MOVE') this.add = (this.add + op.checksum) >>> 0;
      if (op.op === 'CLEAR') {
        this.rows.clear();
        this.add = op.checksum;
      }
    }
    return this;
  }

  get checksum(): number {
    return (sumChecksums([...this.rows.values()].map((r) => r.checksum)) + this.add) >>> 0;
  }

  /** r(B): the rows the client ends up with, as `table/id → data`. */
  view(): Record<string, string | null> {
    const view: Record<string, string | null> = {};
    for (const row of [...this.rows.values()].sort((a, b) => a.id.localeCompare(b.id))) {
      view[`${row.table}/${row.id}`] = row.data;
    }
    return view;
  }
}

const reduce = (ops: StoredOp[]) => new ClientBucket().apply(ops).view();

async function readBucket(
  pool: pg.Pool,
  groupId: number,
  bucket: string,
  upTo?: bigint,
): Promise<StoredOp[]> {
  const { rows } = await pool.query<{
    op_id: string;
    op: OpType;
    table_name: string | null;
    row_id: string | null;
    subkey: string | null;
    data: string | null;
    checksum: string;
    target_op: string | null;
  }>(
    `SELECT op_id, op, table_name, row_id, subkey, data, checksum, target_op FROM powersync.bucket_data
     WHERE group_id = $1 AND bucket_name = $2 AND ($3::int8 IS NULL OR op_id <= $3) ORDER BY op_id`,
    [groupId, bucket, upTo?.toString() ?? null],
  );
  return rows.map((r) => ({
    opId: BigInt(r.op_id),
    op: r.op,
    table: r.table_name,
    rowId: r.row_id,
    subkey: r.subkey,
    data: r.data,
    checksum: Number(r.checksum),
    targetOp: r.target_op === null ? null : BigInt(r.target_op),
  }));
}

async function createStream(pool: pg.Pool, id: number, state: string, lastCheckpoint: bigint | null = null) {
  await pool.query(
    `INSERT INTO powersync.sync_rules (id, state, content, slot_name, last_checkpoint) VALUES ($1, $2, '', $3, $4)`,
    [id, state, `slot_${id}`, lastCheckpoint?.toString() ?? null],
  );
}

/** Asserts the compaction invariants for every bucket of the log at checkpoint `at` (≥ the compacted one). */
async function expectInvariants(pool: pg.Pool, log: OpLog, at: bigint): Promise<void> {
  const server = await getBucketChecksums(pool, log.groupId, at, log.buckets);
  for (const bucket of log.buckets) {
    const original = log.original(bucket, at);
    const compacted = await readBucket(pool, log.groupId, bucket, at);
    const label = `${bucket} @${at}`;
    // (1) checksum at the checkpoint = wrapping sum of every op ever written ≤ it; count = stored ops.
    expect(server.get(bucket)?.checksum, label).toBe(sumChecksums(original.map((o) => o.checksum)));
    expect(server.get(bucket)?.count, label).toBe(compacted.length);
    // (2) r(B) = r(compact(B)), and the client's checksum agrees with the server's.
    expect(reduce(compacted), label).toEqual(reduce(original));
    expect(new ClientBucket().apply(compacted).checksum, label).toBe(server.get(bucket)?.checksum);
    // (2') a client that synced to any op id p before compaction, then the compacted tail (p, at].
    for (const p of [0n, ...original.map((o) => o.opId)]) {
      const client = new ClientBucket().apply(log.original(bucket, p));
      const tail = compacted.filter((o) => o.opId > p);
      expect(
        tail.every((o) => o.targetOp === null || o.targetOp <= at),
        `${label} target_op`,
      ).toBe(true);
      client.apply(tail);
      expect(client.view(), `${label} from ${p}`).toEqual(reduce(original));
      expect(client.checksum, `${label} from ${p}`).toBe(server.get(bucket)?.checksum);
    }
  }
  await expectStateConsistent(pool, log.groupId);
}

/** bucket_state's pre-aggregate equals a full scan of bucket_data. */
async function expectStateConsistent(pool: pg.Pool, groupId: number): Promise<void> {
  const { rows } = await pool.query(
    `SELECT s.bucket_name, s.op_count::int AS state_count, d.n AS data_count, s.checksum::text AS state_sum,
            d.sum::text AS data_sum
     FROM powersync.bucket_state s
     JOIN LATERAL (SELECT count(*)::int AS n, coalesce(sum(checksum), 0) % 4294967296 AS sum FROM powersync.bucket_data
                   WHERE group_id = s.group_id AND bucket_name = s.bucket_name) d ON true
     WHERE s.group_id = $1`,
    [groupId],
  );
  for (const row of rows) {
    expect(row.state_count, row.bucket_name).toBe(row.data_count);
    expect(row.state_sum, row.bucket_name).toBe(row.data_sum);
  }
}

// ---------------------------------------------------------------------------------------------------------

describe('compact (Postgres bucket storage)', () => {
  let pool: pg.Pool;
  let drop: () => Promise<void>;
  let log: OpLog;

  beforeAll(async () => {
    const db = await createTestDatabase('compact');
    drop = db.drop;
    pool = createStoragePool(db.url);
    await migrate(pool, 'up');
  });

  afterAll(async () => {
    await pool?.end();
    await drop?.();
  });

  beforeEach(async () => {
    await pool.query(`TRUNCATE powersync.bucket_data, powersync.bucket_state, powersync.sync_rules;
                      ALTER SEQUENCE powersync.op_id_sequence RESTART`);
    await createStream(pool, 1, 'ACTIVE');
    log = new OpLog(pool, 1);
  });

  const put = (id: string, data?: string): Change => ({ kind: 'put', id, data });
  const remove = (id: string): Change => ({ kind: 'remove', id });

  it('rewrites superseded ops as MOVEs and the leading run as one CLEAR, keeping checksums', async () => {
    const [, , a2, c1, bRemoved, a3] = await log.write('global[]', [
      put('a'),
      put('b'),
      put('a'),
      put('c'),
      remove('b'),
      put('a'),
    ]);
    await log.write('1#by_user["u1"]', [put('x'), put('x'), put('y')]);
    const checkpoint = await log.checkpoint();
    const before = await getBucketChecksums(pool, 1, checkpoint, log.buckets);

    const result = await compact(pool);

    expect(result).toMatchObject({ streams: [1], buckets: 2, opsExamined: 9, movedOps: 4 });
    expect(result).toMatchObject({ clearedOps: 3, clearOpsWritten: 1, trackedRowsPeak: 3 });
    const ops = await readBucket(pool, 1, 'global[]');
    const original = log.original('global[]', checkpoint);
    expect(ops.map((o) => [o.opId, o.op, o.targetOp])).toEqual([
      [a2, 'CLEAR', a3],
      [c1, 'PUT', null],
      [bRemoved, 'REMOVE', null],
      [a3, 'PUT', null],
    ]);
    expect(ops[0]).toMatchObject({ table: null, rowId: null, subkey: null, data: null });
    expect(ops[0]!.checksum).toBe(sumChecksums(original.slice(0, 3).map((o) => o.checksum)));
    const moved = (await readBucket(pool, 1, '1#by_user["u1"]'))[0]!;
    expect(moved).toMatchObject({ op: 'MOVE', table: null, rowId: null, subkey: null, data: null });
    expect(moved.checksum).toBe(log.original('1#by_user["u1"]', checkpoint)[0]!.checksum);

    const after = await getBucketChecksums(pool, 1, checkpoint, log.buckets);
    expect(after.get('global[]')).toEqual({ ...before.get('global[]'), count: 4 });
    expect(after.get('1#by_user["u1"]')).toEqual(before.get('1#by_user["u1"]'));
    await expectInvariants(pool, log, checkpoint);

    // Later checkpoints: same checksum as if nothing had been compacted.
    await log.write('global[]', [put('c'), remove('a'), put('d')]);
    await log.write('1#by_user["u1"]', [remove('x')]);
    await expectInvariants(pool, log, await log.checkpoint());
    const { rows } = await pool.query(
      'SELECT DISTINCT ops_since_compact::int AS n FROM powersync.bucket_state',
    );
    expect(rows.map((r) => r.n).sort()).toEqual([1, 3]);
  });

  it('never touches ops above the checkpoint', async () => {
    await log.write('global[]', [put('a'), put('b'), put('a')]);
    const checkpoint = await log.checkpoint();
    await log.write('global[]', [put('b'), put('a'), remove('b')]);
    const newer = (await readBucket(pool, 1, 'global[]')).filter((o) => o.opId > checkpoint);

    await compact(pool);

    expect((await readBucket(pool, 1, 'global[]')).filter((o) => o.opId > checkpoint)).toEqual(newer);
    // b@2 is superseded only above the checkpoint, so it stays a PUT; a@1 is superseded by a@3.
    const ops = await readBucket(pool, 1, 'global[]', checkpoint);
    expect(ops.map((o) => o.op)).toEqual(['MOVE', 'PUT', 'PUT']);
    await expectInvariants(pool, log, checkpoint);
    await expectInvariants(pool, log, await log.checkpoint());
  });

  it('writes a CLEAR only when the leading run has more than one REMOVE/MOVE', async () => {
    const [, single] = await log.write('a[]', [put('a'), put('a')]);
    const [, , aRemoved, bRemoved] = await log.write('b[]', [put('a'), put('b'), remove('a'), remove('b')]);
    await log.checkpoint();

    const result = await compact(pool);

    expect((await readBucket(pool, 1, 'a[]')).map((o) => [o.op, o.targetOp])).toEqual([
      ['MOVE', single],
      ['PUT', null],
    ]);
    // Everything in b[] is gone: one CLEAR at the newest op, target = highest MOVE target.
    const [clear, ...rest] = await readBucket(pool, 1, 'b[]');
    expect(rest).toEqual([]);
    expect(clear).toMatchObject({ opId: bRemoved, op: 'CLEAR', targetOp: bRemoved });
    expect(clear!.targetOp! > aRemoved!).toBe(true);
    expect(result).toMatchObject({ movedOps: 3, clearedOps: 4, clearOpsWritten: 1 });
    await expectInvariants(pool, log, await log.checkpoint());
  });

  it('clears in transactions of clearBatchLimit ops and merges an earlier CLEAR', async () => {
    const rows = Array.from({ length: 7 }, (_, i) => `r${i}`);
    await log.write('global[]', [...rows.map((id) => put(id)), ...rows.map(remove), put('keep')]);
    await log.checkpoint();
    const first = await compact(pool, { clearBatchLimit: 3 });
    // 14 ops in the run: 3 in the first transaction, then the previous CLEAR + 2 new ops per transaction.
    expect(first).toMatchObject({ clearedOps: 3 + 5 * 3 + 2, clearOpsWritten: 7 });
    expect((await readBucket(pool, 1, 'global[]')).map((o) => o.op)).toEqual(['CLEAR', 'PUT']);
    await expectInvariants(pool, log, await log.checkpoint());

    await log.write('global[]', [remove('keep'), put('z'), put('z')]);
    await log.checkpoint();
    // Run: MOVE(z), REMOVE(keep), MOVE(keep), then the old CLEAR: merged into a CLEAR at the first MOVE(z).
    const second = await compact(pool, { clearBatchLimit: 3 });
    const ops = await readBucket(pool, 1, 'global[]');
    expect(ops.map((o) => o.op)).toEqual(['CLEAR', 'PUT']);
    expect(second).toMatchObject({ movedOps: 2, clearedOps: 5, clearOpsWritten: 2 });
    await expectInvariants(pool, log, await log.checkpoint());
  });

  it('reports a PUT inside the range to clear as an assertion error', async () => {
    await log.write('global[]', [put('a'), remove('b'), remove('c')]);
    const error = await clearPrefix(pool, 1, 'global[]', '3', 10).catch((e: unknown) => e);
    expect(isServiceError(error, 'PSYNC_S0001')).toBe(true);
    expect((await readBucket(pool, 1, 'global[]')).map((o) => o.op)).toEqual(['PUT', 'REMOVE', 'REMOVE']);
  });

  it('compacts only the named buckets and rejects names that are not full bucket names', async () => {
    await log.write('a[]', [put('a'), put('a')]);
    await log.write('b[]', [put('a'), put('a')]);
    await log.checkpoint();

    expect(validateBucketNames(['a[]', 'lists', '1#by_user["u1"]'])).toEqual([
      expect.stringContaining('buckets[1]: "lists"'),
    ]);
    const error = await compact(pool, { buckets: ['a[]', 'lists'] }).catch((e: unknown) => e);
    expect(isServiceError(error, 'SSCALE_E0003')).toBe(true);
    expect(await compact(pool, { buckets: [] })).toMatchObject({ buckets: 0, opsExamined: 0 });

    const result = await compact(pool, { buckets: ['a[]', 'missing[]'] });

    expect(result).toMatchObject({ buckets: 1, movedOps: 1 });
    expect((await readBucket(pool, 1, 'a[]')).map((o) => o.op)).toEqual(['MOVE', 'PUT']);
    expect((await readBucket(pool, 1, 'b[]')).map((o) => o.op)).toEqual(['PUT', 'PUT']);
  });

  it('compacts less but stays correct on a tiny memory budget', async () => {
    const changes = Array.from({ length: 60 }, (_, i) =>
      i % 7 === 6 ? remove(`r${i % 10}`) : put(`r${i % 10}`),
    );
    await log.write('global[]', changes);
    const checkpoint = await log.checkpoint();
    const full = await readBucket(pool, 1, 'global[]');
    const restore = async () => {
      await pool.query('DELETE FROM powersync.bucket_data; DELETE FROM powersync.bucket_state');
      await pool.query(
        `INSERT INTO powersync.bucket_data (group_id, bucket_name, op_id, op, table_name, row_id, subkey, checksum, data)
       SELECT 1, 'global[]', * FROM unnest($1::int8[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int8[], $7::text[])`,
        [
          full.map((o) => o.opId.toString()),
          full.map((o) => o.op),
          full.map((o) => o.table),
          full.map((o) => o.rowId),
          full.map((o) => o.subkey),
          full.map((o) => o.checksum),
          full.map((o) => o.data),
        ],
      );
      await pool.query(
        `INSERT INTO powersync.bucket_state (group_id, bucket_name, op_count, checksum, last_op)
       SELECT 1, 'global[]', count(*), sum(checksum) % 4294967296, max(op_id) FROM powersync.bucket_data`,
      );
    };

    // No budget at all: nothing is tracked, so nothing becomes a MOVE.
    expect(await compact(pool, { memoryLimitMB: 0 })).toMatchObject({ movedOps: 0, trackedRowsPeak: 0 });
    await expectInvariants(pool, log, checkpoint);

    await restore();
    const tiny = await compact(pool, { memoryLimitMB: 0.001 });
    expect(tiny.memoryLimitMB).toBe(0.001);
    expect(tiny.trackedRowsPeak).toBe(5); // 1048 bytes / (45-character key + 140)
    expect(tiny.movedOps).toBeGreaterThan(0);
    await expectInvariants(pool, log, checkpoint);

    await restore();
    const roomy = await compact(pool, { memoryLimitMB: 1 });
    expect(roomy.trackedRowsPeak).toBe(10);
    expect(roomy.movedOps).toBeGreaterThan(tiny.movedOps);
    await expectInvariants(pool, log, checkpoint);
  });

  it('compacts ACTIVE streams and PROCESSING streams with a checkpoint only', async () => {
    for (const [id, state, checkpoint] of [
      [2, 'PROCESSING', 1_000n],
      [3, 'PROCESSING', null],
      [4, 'STOP', 1_000n],
      [5, 'ERRORED', 1_000n],
    ] as const) {
      await createStream(pool, id, state, checkpoint);
      await new OpLog(pool, id).write('global[]', [put('a'), put('a')]);
    }
    await log.write('global[]', [put('a'), put('a')]);
    await log.checkpoint();
    const progress: Array<{ bucket: string; opsExamined: number }> = [];

    const result = await compact(pool, { onProgress: (p) => progress.push(p) });

    expect(result.streams).toEqual([1, 2]);
    expect(progress).toEqual([
      { bucket: 'global[]', opsExamined: 2 },
      { bucket: 'global[]', opsExamined: 2 },
    ]);
    const { rows } = await pool.query<{ group_id: number; ops: string[] }>(
      `SELECT group_id, array_agg(op ORDER BY op_id) AS ops FROM powersync.bucket_data GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.map((r) => [r.group_id, r.ops])).toEqual([
      [1, ['MOVE', 'PUT']],
      [2, ['MOVE', 'PUT']],
      [3, ['PUT', 'PUT']],
      [4, ['PUT', 'PUT']],
      [5, ['PUT', 'PUT']],
    ]);
  });

  it('stops on abort without leaving anything inconsistent', async () => {
    await log.write('global[]', [put('a'), put('a'), remove('a')]);
    const checkpoint = await log.checkpoint();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(compact(pool, { signal: controller.signal })).rejects.toThrow('stop');
    await expectInvariants(pool, log, checkpoint);
  });

  it.each([1, 2, 3, 4, 5, 6])('keeps checksums and r(B) for a random op log (seed %i)', async (seed) => {
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const buckets = ['global[]', '1#by_user["u1"]', '1#by_user["u2"]'];
    const present = new Map(buckets.map((b) => [b, new Set<string>()]));
    const writeRandom = async (ops: number) => {
      for (let written = 0; written < ops;) {
        const bucket = pick(buckets);
        const rows = present.get(bucket)!;
        const changes: Change[] = [];
        for (let n = 1 + Math.floor(random() * 8); n > 0; n--) {
          const id = `r${Math.floor(random() * 30)}`;
          if (rows.has(id) && random() < 0.3) {
            rows.delete(id);
            changes.push(remove(id));
          } else {
            rows.add(id);
            changes.push(put(id));
          }
        }
        await log.write(bucket, changes);
        written += changes.length;
      }
    };
    const options = (): CompactOptions => ({
      moveBatchQueryLimit: 1 + Math.floor(random() * 20),
      moveBatchLimit: 1 + Math.floor(random() * 10),
      clearBatchLimit: 2 + Math.floor(random() * 10),
      memoryLimitMB: random() < 0.25 ? 0.002 : 16,
    });

    await writeRandom(200);
    const first = await log.checkpoint();
    await writeRandom(60);
    const r1 = await compact(pool, options());
    expect(r1.movedOps).toBeGreaterThan(0);
    await expectInvariants(pool, log, first);
    await expectInvariants(pool, log, await log.checkpoint());

    await writeRandom(100);
    const second = await log.checkpoint();
    const r2 = await compact(pool, options());
    expect(r2.opsExamined).toBeGreaterThan(r1.opsExamined);
    await expectInvariants(pool, log, second);
    await writeRandom(40);
    await expectInvariants(pool, log, await log.checkpoint());
  });
});
