import type pg from 'pg';
import { ServiceError } from '../../errors/index.js';
import type { SqliteRow, SqliteValue } from '../rules/sqlite-value.js';
import { copyBytea, copyInto, copyText } from './copy-rows.js';
import { decodeRow, encodeReplicaId, encodeValues } from './json-values.js';
import {
  MAX_ROW_BYTES,
  evaluatePut,
  mergeUnchangedColumns,
  opsForDelete,
  opsForPut,
  type RowEvaluation,
  subkeyFor,
  type CurrentRow,
  type PendingOp,
  type PendingParameter,
  type RowEvaluator,
} from './row-ops.js';
import type { SourceTable } from './source-tables.js';
import { getSyncRules } from './sync-rules-store.js';

/** One change of one source row, with values already converted for the sync config. */
export type RowChange =
  | {
      kind: 'put';
      table: SourceTable;
      replicaId: SqliteValue[];
      row: Record<string, SqliteValue | undefined>;
    }
  | { kind: 'delete'; table: SourceTable; replicaId: SqliteValue[]; sourceKey?: Buffer };

export interface WriterLimits {
  /** Changes buffered before a flush inside the transaction (batch_limits.max_record_count). */
  maxRecordCount: number;
  /** Estimated bytes buffered before a flush (batch_limits.max_estimated_size). */
  maxEstimatedSize: number;
}

export const DEFAULT_WRITER_LIMITS: WriterLimits = {
  maxRecordCount: 2000,
  maxEstimatedSize: 5 * 1024 * 1024,
};

export interface CommitResult {
  /** The checkpoint after this commit, when one was made. */
  checkpoint: bigint | null;
  /** True when the checkpoint could not be made yet (snapshot not done or LSN before no_checkpoint_before). */
  parked: boolean;
  activated: boolean;
  writeCheckpointsProcessed: number;
}

export const CHECKPOINT_CHANNEL = 'powersynccheckpoints';

interface Counters {
  ops: number;
  rows: number;
  bytes: number;
}

/**
 * A storage transaction of the replicator: buffers row changes, flushes them as bucket ops (with the checksum
 * pre-aggregates, parameter index and current_data) and commits them together with the checkpoint, so a source
 * transaction is either wholly in storage and checkpointed or not at all.
 */
export class BucketWriteTransaction {
  private buffer: PreparedChange[] = [];
  private bufferedBytes = 0;
  private lastOp: bigint | null = null;
  private finished = false;
  private inFlight: Promise<void> | null = null;
  private readonly queuedBatches: Array<Promise<void>> = [];
  /** Per-bucket (count, checksum, last op) of ops written but not yet added to bucket_state. */
  private bucketStates = new Map<string, { b: string; n: number; c: number; i: string }>();
  readonly counters: Counters = { ops: 0, rows: 0, bytes: 0 };

  private constructor(
    private readonly client: pg.PoolClient,
    readonly groupId: number,
    private readonly evaluator: RowEvaluator,
    private readonly limits: WriterLimits,
    private readonly warn: (message: string) => void,
    private readonly newRowsOnly: boolean,
  ) {}

  static async begin(
    pool: pg.Pool,
    groupId: number,
    evaluator: RowEvaluator,
    options: {
      limits?: WriterLimits;
      warn?: (message: string) => void;
      /** Every row saved is known to have no stored state (a key-ordered snapshot past its last key). */
      newRowsOnly?: boolean;
    } = {},
  ): Promise<BucketWriteTransaction> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
    } catch (error) {
      client.release();
      throw error;
    }
    return new BucketWriteTransaction(
      client,
      groupId,
      evaluator,
      options.limits ?? DEFAULT_WRITER_LIMITS,
      options.warn ?? (() => undefined),
      options.newRowsOnly ?? false,
    );
  }

  /** Highest op id written in this transaction so far. */
  get lastOpId(): bigint | null {
    return this.lastOp;
  }

  /**
   * Buffers a change; returns a promise only when the buffer is full and is being flushed (wait for it
   * before the next save). Most saves return nothing: no promise or microtask per row.
   */
  save(change: RowChange): Promise<void> | undefined {
    this.buffer.push(this.prepare(change));
    this.bufferedBytes += change.kind === 'put' ? estimateSize(change.row) : 64;
    if (
      this.buffer.length >= this.limits.maxRecordCount ||
      this.bufferedBytes >= this.limits.maxEstimatedSize
    ) {
      return this.flush();
    }
    return undefined;
  }

  /** Keys, subkey and (unless TOASTed columns need the previous image) the evaluation, done up front. */
  private prepare(change: RowChange): PreparedChange {
    const sourceKey = (change.kind === 'delete' && change.sourceKey) || encodeReplicaId(change.replicaId);
    const subkey = subkeyFor(change.table.id, sourceKey);
    const prepared: PreparedChange = {
      change,
      sourceKey,
      subkey,
      key: `${change.table.id}:${sourceKey.toString('latin1')}`,
      evaluation: undefined,
    };
    if (change.kind === 'put' && !Object.values(change.row).includes(undefined)) {
      prepared.evaluation = evaluatePut(this.evaluator, change.table, subkey, change.row as SqliteRow);
    }
    return prepared;
  }

  /** Every row of a truncated (or replaced) table leaves its buckets and lookups. */
  async truncate(table: SourceTable): Promise<void> {
    await this.flush();
    await this.settleWrites();
    let after: Buffer = Buffer.alloc(0);
    for (;;) {
      const { rows } = await this.client.query<{ source_key: Buffer }>(
        `SELECT source_key FROM powersync.current_data WHERE group_id = $1 AND source_table = $2 AND source_key > $3
         ORDER BY source_key LIMIT $4`,
        [this.groupId, table.id, after, this.limits.maxRecordCount],
      );
      if (rows.length === 0) return;
      for (const row of rows)
        this.buffer.push(this.prepare({ kind: 'delete', table, replicaId: [], sourceKey: row.source_key }));
      after = rows[rows.length - 1]!.source_key;
      await this.flush();
      await this.settleWrites();
    }
  }

  /** Records snapshot progress of a table in the same transaction as the rows it covers. */
  async setSnapshotProgress(
    tableId: string,
    progress: { lastKey: string | null; replicated: number; done: boolean },
  ) {
    await this.flush();
    await this.settleWrites();
    await this.client.query(
      `UPDATE powersync.source_tables SET snapshot_last_key = $2, snapshot_replicated_count = $3, snapshot_done = $4
       WHERE id = $1`,
      [tableId, progress.lastKey, progress.replicated, progress.done],
    );
  }

  async setTableNoCheckpointBefore(tableId: string, lsn: string): Promise<void> {
    await this.settleWrites();
    await this.client.query('UPDATE powersync.source_tables SET no_checkpoint_before = $2 WHERE id = $1', [
      tableId,
      lsn,
    ]);
  }

  /**
   * Hands the buffered changes to the transaction's write queue and returns at once, so the caller goes on
   * decoding and evaluating the next batch while this one is looked up, turned into ops and written (batches
   * run one after another on the transaction's connection, in order). Returns a promise only when more than
   * MAX_QUEUED_BATCHES are queued: wait for it (bounded memory). The commit, and anything that must see the
   * writes, waits for the whole queue and surfaces its errors.
   */
  flush(): Promise<void> | undefined {
    if (this.buffer.length === 0) return undefined;
    const changes = this.buffer;
    this.buffer = [];
    this.bufferedBytes = 0;
    const before = this.inFlight;
    const batch = (async () => {
      // The batch before wrote current_data rows this one may need to read.
      await before;
      await this.writeBatch(changes);
    })();
    // Observed by settleWrites(); never an unhandled rejection in between.
    batch.catch(() => undefined);
    this.inFlight = batch;
    const queued = this.queuedBatches;
    queued.push(batch);
    const done = () => void queued.splice(queued.indexOf(batch), 1);
    void batch.then(done, done);
    // Full queue: wait until its oldest batch is written (batches finish in order), not for all of them.
    return queued.length > MAX_QUEUED_BATCHES ? queued[0] : undefined;
  }

  /** Looks up the stored state of a batch's rows, turns the changes into ops and writes them. */
  private async writeBatch(changes: PreparedChange[]): Promise<void> {
    const current = this.newRowsOnly ? new Map<string, CurrentEntry>() : await this.loadCurrent(changes);
    const ops: Array<PendingOp & { sourceTable: string; sourceKey: Buffer }> = [];
    const parameters: Array<PendingParameter & { sourceTable: string; sourceKey: Buffer }> = [];
    for (const { change, sourceKey, key, subkey, evaluation } of changes) {
      const entry = current.get(key);
      const previous = entry && !('deleted' in entry) ? entry : undefined;
      const sourceTable = change.table.id;
      if (change.kind === 'put') {
        const evaluated =
          evaluation ??
          evaluatePut(
            this.evaluator,
            change.table,
            subkey,
            mergeUnchangedColumns(change.row, previous?.data),
          );
        if (evaluated.puts.some((op) => op.data !== null && op.data.length > MAX_ROW_BYTES)) {
          this.warn(
            `[PSYNC_S1002] Row ${change.table.schema}.${change.table.name} ${subkey} is larger than 15 MB; dropped`,
          );
          continue;
        }
        const result = opsForPut(evaluated, subkey, previous);
        for (const op of result.ops) ops.push(withSource(op, sourceTable, sourceKey));
        for (const p of result.parameters) parameters.push({ ...p, sourceTable, sourceKey });
        current.set(key, {
          buckets: result.current.buckets,
          lookups: result.current.lookups,
          data: result.current.data,
          sourceTable,
          sourceKey,
          dirty: true,
          stored: entry?.stored ?? false,
        });
      } else {
        const result = opsForDelete(subkey, previous);
        for (const op of result.ops) ops.push(withSource(op, sourceTable, sourceKey));
        for (const p of result.parameters) parameters.push({ ...p, sourceTable, sourceKey });
        current.set(key, {
          deleted: true,
          sourceTable,
          sourceKey,
          dirty: true,
          stored: entry?.stored ?? false,
        });
      }
    }

    this.counters.rows += changes.length;
    this.counters.ops += ops.length;
    // Op ids are reserved in array order.
    this.noteOpId(await this.insertOps(ops));
    this.noteOpId(await this.insertParameters(parameters));
    await this.saveCurrent(current);
  }

  private async settleWrites(): Promise<void> {
    const inFlight = this.inFlight;
    this.inFlight = null;
    await inFlight;
  }

  /**
   * Flushes and commits. With an LSN and `checkpoint: true` the stream's checkpoint advances when allowed
   * (snapshot done, LSN not going backwards, past no_checkpoint_before); otherwise the ops are parked in
   * keepalive_op for a later checkpoint. Processes write checkpoints up to the LSN and notifies readers.
   */
  async commit(
    lsn: string | null,
    options: { checkpoint: boolean } = { checkpoint: true },
  ): Promise<CommitResult> {
    try {
      await this.flush();
      await this.settleWrites();
      await this.writeBucketStates();
      const result = await this.updateCheckpoint(lsn, options.checkpoint);
      await this.client.query('COMMIT');
      return result;
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      this.finish();
    }
  }

  async rollback(): Promise<void> {
    if (this.finished) return;
    await this.settleWrites().catch(() => undefined);
    await this.client.query('ROLLBACK').catch(() => undefined);
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.client.release();
  }

  private async updateCheckpoint(lsn: string | null, wantCheckpoint: boolean): Promise<CommitResult> {
    await this.client.query('SELECT 1 FROM powersync.sync_rules WHERE id = $1 FOR UPDATE', [this.groupId]);
    const stream = await getSyncRules(this.client, this.groupId);
    if (!stream) throw new ServiceError('PSYNC_S1101', `Replication stream ${this.groupId} does not exist`);
    const result: CommitResult = {
      checkpoint: null,
      parked: false,
      activated: false,
      writeCheckpointsProcessed: 0,
    };
    const canCheckpoint =
      wantCheckpoint &&
      lsn !== null &&
      stream.snapshotDone &&
      (stream.noCheckpointBefore === null || lsn >= stream.noCheckpointBefore) &&
      (stream.lastCheckpointLsn === null || lsn >= stream.lastCheckpointLsn);
    if (!canCheckpoint) {
      result.parked = this.lastOp !== null || wantCheckpoint;
      await this.client.query(
        `UPDATE powersync.sync_rules SET keepalive_op = greatest(keepalive_op, $2::int8),
           persisted_lsn = CASE WHEN $3::text IS NULL THEN persisted_lsn ELSE greatest(persisted_lsn, $3) END
         WHERE id = $1`,
        [this.groupId, this.lastOp?.toString() ?? null, lsn],
      );
      return result;
    }
    const previous = stream.lastCheckpoint ?? 0n;
    const next = [previous, stream.keepaliveOp ?? 0n, this.lastOp ?? 0n].reduce((a, b) => (b > a ? b : a));
    await this.client.query(
      `UPDATE powersync.sync_rules SET last_checkpoint = $2, last_checkpoint_lsn = $3, keepalive_op = NULL,
         persisted_lsn = greatest(persisted_lsn, $3), last_keepalive_ts = now(),
         last_checkpoint_ts = CASE WHEN $2::int8 <> coalesce(last_checkpoint, -1) THEN now() ELSE last_checkpoint_ts END
       WHERE id = $1`,
      [this.groupId, next.toString(), lsn],
    );
    result.checkpoint = next;
    let state = stream.state;
    if (state === 'PROCESSING') {
      await this.client.query(
        "UPDATE powersync.sync_rules SET state = 'STOP' WHERE state = 'ACTIVE' AND id <> $1",
        [this.groupId],
      );
      await this.client.query("UPDATE powersync.sync_rules SET state = 'ACTIVE' WHERE id = $1", [
        this.groupId,
      ]);
      state = 'ACTIVE';
      result.activated = true;
    }
    if (state === 'ACTIVE') {
      const processed = await this.client.query(
        `UPDATE powersync.write_checkpoints SET processed_at_lsn = $1
         WHERE processed_at_lsn IS NULL AND lsns->>'1' <= $1`,
        [lsn],
      );
      result.writeCheckpointsProcessed = processed.rowCount ?? 0;
    }
    if (next !== stream.lastCheckpoint || result.activated || result.writeCheckpointsProcessed > 0) {
      // Delivered to LISTENers when this transaction commits.
      await this.client.query('SELECT pg_notify($1, $2)', [
        CHECKPOINT_CHANNEL,
        JSON.stringify({
          active_checkpoint: { id: this.groupId, last_checkpoint: next.toString(), last_checkpoint_lsn: lsn },
        }),
      ]);
    }
    return result;
  }

  private async loadCurrent(keyed: PreparedChange[]): Promise<Map<string, CurrentEntry>> {
    // Keys grouped by source table: `source_key = ANY(...)` is an index scan on the primary key, where a join
    // against unnest() may be planned as a sequential scan of current_data.
    const byTable = new Map<string, Buffer[]>();
    const seen = new Set<string>();
    for (const { change, sourceKey, key } of keyed) {
      if (seen.has(key)) continue;
      seen.add(key);
      const keys = byTable.get(change.table.id) ?? [];
      keys.push(sourceKey);
      byTable.set(change.table.id, keys);
    }
    const rows: Array<{
      source_table: string;
      source_key: Buffer;
      buckets: CurrentRow['buckets'];
      data: Buffer | null;
      lookups: Buffer[];
    }> = [];
    for (const [table, keys] of byTable) {
      const result = await this.client.query(
        `SELECT source_table, source_key, buckets, data, lookups FROM powersync.current_data
         WHERE group_id = $1 AND source_table = $2 AND source_key = ANY($3::bytea[])`,
        [this.groupId, table, keys],
      );
      rows.push(...result.rows);
    }
    const map = new Map<string, CurrentEntry>();
    for (const row of rows) {
      map.set(`${row.source_table}:${row.source_key.toString('latin1')}`, {
        buckets: row.buckets,
        lookups: row.lookups.map((l) => l.toString('utf8')),
        data: row.data ? decodeRow(row.data) : null,
        sourceTable: row.source_table,
        sourceKey: row.source_key,
        dirty: false,
        stored: true,
      });
    }
    return map;
  }

  private noteOpId(id: bigint | null): void {
    if (id !== null && (this.lastOp === null || id > this.lastOp)) this.lastOp = id;
  }

  /**
   * Takes `count` op ids from the sequence in one statement, ascending. Each is a nextval, so ids stay unique
   * whoever else draws from the sequence at the same time (another chunk's transaction of this snapshot, a
   * replicator that has not noticed it lost the lock). Usually they are one contiguous range, returned as
   * its ends; when another session drew in between, the ids themselves.
   */
  private async reserveOpIds(count: number): Promise<{ first: bigint; last: bigint } | bigint[]> {
    const { rows } = await this.client.query<{ first: string; last: string; ids: string | null }>(
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
   * the commit (writeBucketStates).
   */
  private async insertOps(
    ops: Array<PendingOp & { sourceTable: string; sourceKey: Buffer }>,
  ): Promise<bigint | null> {
    if (ops.length === 0) return null;
    const reserved = await this.reserveOpIds(ops.length);
    const idAt = Array.isArray(reserved)
      ? (i: number) => reserved[i]!
      : (i: number) => reserved.first + BigInt(i);
    const last = idAt(ops.length - 1);
    const group = String(this.groupId);
    const lines = new Array<string>(ops.length);
    const state = this.bucketStates;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const opId = idAt(i).toString();
      lines[i] =
        `${group}\t${copyText(op.bucket)}\t${opId}\t${op.op}\t${op.sourceTable}\t${copyBytea(op.sourceKey)}\t` +
        `${copyText(op.subkey)}\t${copyText(op.table)}\t${copyText(op.rowId)}\t${op.checksum}\t${copyText(op.data)}\n`;
      this.counters.bytes += op.data?.length ?? 0;
      const bucket = state.get(op.bucket);
      if (bucket) {
        bucket.n++;
        bucket.c = (bucket.c + op.checksum) % 4294967296;
        bucket.i = opId;
      } else state.set(op.bucket, { b: op.bucket, n: 1, c: op.checksum % 4294967296, i: opId });
    }
    await copyInto(
      this.client,
      'powersync.bucket_data (group_id, bucket_name, op_id, op, source_table, source_key, subkey, table_name, row_id, checksum, data)',
      lines.join(''),
    );
    if (state.size >= MAX_PENDING_BUCKET_STATES) await this.writeBucketStates();
    return last;
  }

  /**
   * The per-bucket pre-aggregates summed over the transaction so far, one upsert per bucket touched. Written
   * once at commit (or when many buckets are pending), not per batch: fewer upserts, and concurrent snapshot
   * chunks do not queue behind each other's bucket_state row locks batch after batch.
   */
  private async writeBucketStates(): Promise<void> {
    const state = this.bucketStates;
    if (state.size === 0) return;
    this.bucketStates = new Map();
    await this.client.query(
      `INSERT INTO powersync.bucket_state AS s (group_id, bucket_name, op_count, checksum, last_op, ops_since_compact)
       SELECT $1, b, n, c, i, n FROM json_to_recordset($2::json) AS r(b text, n int8, c int8, i int8)
       ON CONFLICT (group_id, bucket_name) DO UPDATE SET
         op_count = s.op_count + excluded.op_count,
         checksum = (s.checksum + excluded.checksum) % 4294967296,
         last_op = greatest(s.last_op, excluded.last_op),
         ops_since_compact = s.ops_since_compact + excluded.ops_since_compact`,
      [this.groupId, JSON.stringify([...state.values()])],
    );
  }

  private async insertParameters(
    parameters: Array<PendingParameter & { sourceTable: string; sourceKey: Buffer }>,
  ): Promise<bigint | null> {
    if (parameters.length === 0) return null;
    const rows = parameters.map((p) => ({
      t: p.sourceTable,
      k: p.sourceKey.toString('utf8'),
      l: p.lookup,
      p: p.bucketParameters,
    }));
    const { rows: result } = await this.client.query<{ last: string }>(
      `WITH inserted AS (
         INSERT INTO powersync.bucket_parameters (id, group_id, source_table, source_key, lookup, bucket_parameters)
         SELECT nextval('powersync.op_id_sequence'), $1, t, convert_to(k, 'UTF8'), convert_to(l, 'UTF8'), p
         FROM json_to_recordset($2::json) AS r(t int8, k text, l text, p text)
         RETURNING id
       )
       SELECT max(id)::text AS last FROM inserted`,
      [this.groupId, JSON.stringify(rows)],
    );
    return BigInt(result[0]!.last);
  }

  private async saveCurrent(current: Map<string, CurrentEntry>) {
    const upserts: Array<Record<string, unknown>> = [];
    const deletes: Array<Record<string, unknown>> = [];
    // Rows storage does not hold yet (and without parameter lookups, whose bytea[] stays on the SQL path)
    // are plain inserts: COPY.
    const inserts: string[] = [];
    const group = String(this.groupId);
    for (const entry of current.values()) {
      if (!entry.dirty) continue;
      if ('deleted' in entry) {
        deletes.push({ t: entry.sourceTable, k: entry.sourceKey.toString('utf8') });
        continue;
      }
      if (!entry.stored && entry.lookups.length === 0) {
        const data = entry.data ? Buffer.from(encodeValues(entry.data), 'utf8') : null;
        inserts.push(
          `${group}\t${entry.sourceTable}\t${copyBytea(entry.sourceKey)}\t${copyText(JSON.stringify(entry.buckets))}\t${copyBytea(data)}\t{}\n`,
        );
        continue;
      }
      upserts.push({
        t: entry.sourceTable,
        k: entry.sourceKey.toString('utf8'),
        b: entry.buckets,
        d: entry.data ? encodeValues(entry.data) : null,
        l: entry.lookups.length === 0 ? null : entry.lookups,
      });
    }
    if (inserts.length > 0) {
      await copyInto(
        this.client,
        'powersync.current_data (group_id, source_table, source_key, buckets, data, lookups)',
        inserts.join(''),
      );
    }
    if (upserts.length > 0) {
      await this.client.query(
        `INSERT INTO powersync.current_data AS c (group_id, source_table, source_key, buckets, data, lookups)
         SELECT $1, t, convert_to(k, 'UTF8'), b, convert_to(d, 'UTF8'),
                CASE WHEN l IS NULL THEN '{}'::bytea[]
                     ELSE ARRAY(SELECT convert_to(x, 'UTF8') FROM json_array_elements_text(l) x) END
         FROM json_to_recordset($2::json) AS r(t int8, k text, b jsonb, d text, l json)
         ON CONFLICT (group_id, source_table, source_key) DO UPDATE SET
           buckets = excluded.buckets, data = excluded.data, lookups = excluded.lookups`,
        [this.groupId, JSON.stringify(upserts)],
      );
    }
    if (deletes.length > 0) {
      await this.client.query(
        `DELETE FROM powersync.current_data c USING json_to_recordset($2::json) AS r(t int8, k text)
         WHERE c.group_id = $1 AND c.source_table = r.t AND c.source_key = convert_to(r.k, 'UTF8')`,
        [this.groupId, JSON.stringify(deletes)],
      );
    }
  }
}

interface PreparedChange {
  change: RowChange;
  sourceKey: Buffer;
  subkey: string;
  key: string;
  evaluation: RowEvaluation | undefined;
}

/** `stored`: current_data holds a row for this key (as loaded at the start of the flush). */
type LiveEntry = CurrentRow & { sourceTable: string; sourceKey: Buffer; dirty: boolean; stored: boolean };
type DeletedEntry = {
  deleted: true;
  sourceTable: string;
  sourceKey: Buffer;
  dirty: boolean;
  stored: boolean;
};
type CurrentEntry = LiveEntry | DeletedEntry;

/** An op with its source row (a literal, not a spread: one allocation of a fixed shape per op). */
function withSource(
  op: PendingOp,
  sourceTable: string,
  sourceKey: Buffer,
): PendingOp & { sourceTable: string; sourceKey: Buffer } {
  return {
    bucket: op.bucket,
    op: op.op,
    subkey: op.subkey,
    table: op.table,
    rowId: op.rowId,
    checksum: op.checksum,
    data: op.data,
    sourceTable,
    sourceKey,
  };
}

/** Batches handed to the write queue and not yet written, before a flush makes its caller wait. */
const MAX_QUEUED_BATCHES = 3;

/** Above this many buckets with unwritten pre-aggregates, they are written before the commit. */
const MAX_PENDING_BUCKET_STATES = 50_000;

function estimateSize(row: Record<string, SqliteValue | undefined>): number {
  let size = 32;
  for (const value of Object.values(row)) size += typeof value === 'string' ? value.length : 8;
  return size;
}
