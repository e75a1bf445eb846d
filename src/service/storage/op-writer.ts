import type pg from 'pg';
import { copyBytea, copyInto, copyText } from './copy-rows.js';
import type { PendingOp, PendingParameter } from './row-ops.js';

/** An op with the source row it came from. */
export type SourcedOp = PendingOp & { sourceTable: string; sourceKey: Buffer };

/** Above this many buckets with unwritten pre-aggregates, they are written before the commit. */
const MAX_PENDING_BUCKET_STATES = 50_000;

/** Per-bucket (count, checksum, last op) of ops written but not yet added to bucket_state. */
export class BucketStateTotals {
  private buckets = new Map<string, { b: string; n: number; c: number; i: string }>();

  get size(): number {
    return this.buckets.size;
  }

  add(bucket: string, checksum: number, opId: string): void {
    const entry = this.buckets.get(bucket);
    if (entry) {
      entry.n++;
      entry.c = (entry.c + checksum) % 4294967296;
      entry.i = opId;
    } else this.buckets.set(bucket, { b: bucket, n: 1, c: checksum % 4294967296, i: opId });
  }

  /**
   * The per-bucket pre-aggregates summed over the transaction so far, one upsert per bucket touched. Written
   * once at commit (or when many buckets are pending), not per batch: fewer upserts, and concurrent snapshot
   * chunks do not queue behind each other's bucket_state row locks batch after batch.
   */
  async write(client: pg.PoolClient, groupId: number): Promise<void> {
    const state = this.buckets;
    if (state.size === 0) return;
    this.buckets = new Map();
    await client.query(
      `INSERT INTO powersync.bucket_state AS s (group_id, bucket_name, op_count, checksum, last_op, ops_since_compact)
       SELECT $1, b, n, c, i, n FROM json_to_recordset($2::json) AS r(b text, n int8, c int8, i int8)
       ON CONFLICT (group_id, bucket_name) DO UPDATE SET
         op_count = s.op_count + excluded.op_count,
         checksum = (s.checksum + excluded.checksum) % 4294967296,
         last_op = greatest(s.last_op, excluded.last_op),
         ops_since_compact = s.ops_since_compact + excluded.ops_since_compact`,
      [groupId, JSON.stringify([...state.values()])],
    );
  }
}

/**
 * Takes `count` op ids from the sequence in one statement, ascending. Each is a nextval, so ids stay unique
 * whoever else draws from the sequence at the same time (another chunk's transaction of this snapshot, a
 * replicator that has not noticed it lost the lock). Usually they are one contiguous range, returned as
 * its ends; when another session drew in between, the ids themselves.
 */
export async function reserveOpIds(
  client: pg.PoolClient,
  count: number,
): Promise<{ first: bigint; last: bigint } | bigint[]> {
  const { rows } = await client.query<{ first: string; last: string; ids: string | null }>(
    `WITH ids AS MATERIALIZED (SELECT nextval('powersync.op_id_sequence') AS id FROM generate_series(1, $1))
     SELECT min(id)::text AS first, max(id)::text AS last,
            CASE WHEN max(id) - min(id) + 1 = $1 THEN NULL ELSE array_agg(id ORDER BY id)::text END AS ids
     FROM ids`,
    [count],
  );
  const row = rows[0]!;
  if (row.ids === null) return { first: BigInt(row.first), last: BigInt(row.last) };
  return row.ids.slice(1, -1).split(',').map(BigInt);
}

/**
 * Ops by COPY; their per-bucket pre-aggregate (count, checksum, last op) is summed here and written with
 * the commit (`BucketStateTotals.write`).
 */
export async function insertOps(
  client: pg.PoolClient,
  groupId: number,
  ops: ReadonlyArray<SourcedOp>,
  totals: BucketStateTotals,
  counters: { bytes: number },
): Promise<bigint | null> {
  if (ops.length === 0) return null;
  const reserved = await reserveOpIds(client, ops.length);
  const idAt = Array.isArray(reserved)
    ? (i: number) => reserved[i]!
    : (i: number) => reserved.first + BigInt(i);
  const last = idAt(ops.length - 1);
  const group = String(groupId);
  const lines = new Array<string>(ops.length);
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    const opId = idAt(i).toString();
    lines[i] =
      `${group}\t${copyText(op.bucket)}\t${opId}\t${op.op}\t${op.sourceTable}\t${copyBytea(op.sourceKey)}\t` +
      `${copyText(op.subkey)}\t${copyText(op.table)}\t${copyText(op.rowId)}\t${op.checksum}\t${copyText(op.data)}\n`;
    counters.bytes += op.data?.length ?? 0;
    totals.add(op.bucket, op.checksum, opId);
  }
  await copyInto(
    client,
    'powersync.bucket_data (group_id, bucket_name, op_id, op, source_table, source_key, subkey, table_name, row_id, checksum, data)',
    lines.join(''),
  );
  if (totals.size >= MAX_PENDING_BUCKET_STATES) await totals.write(client, groupId);
  return last;
}

/** Parameter index rows, each with an op id from the same sequence; returns the highest. */
export async function insertParameters(
  client: pg.PoolClient,
  groupId: number,
  parameters: ReadonlyArray<PendingParameter & { sourceTable: string; sourceKey: Buffer }>,
): Promise<bigint | null> {
  if (parameters.length === 0) return null;
  const rows = parameters.map((p) => ({
    t: p.sourceTable,
    k: p.sourceKey.toString('utf8'),
    l: p.lookup,
    p: p.bucketParameters,
  }));
  const { rows: result } = await client.query<{ last: string }>(
    `WITH inserted AS (
       INSERT INTO powersync.bucket_parameters (id, group_id, source_table, source_key, lookup, bucket_parameters)
       SELECT nextval('powersync.op_id_sequence'), $1, t, convert_to(k, 'UTF8'), convert_to(l, 'UTF8'), p
       FROM json_to_recordset($2::json) AS r(t int8, k text, l text, p text)
       RETURNING id
     )
     SELECT max(id)::text AS last FROM inserted`,
    [groupId, JSON.stringify(rows)],
  );
  return BigInt(result[0]!.last);
}
