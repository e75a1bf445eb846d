import type pg from 'pg';
import type { SqliteRow, SqliteValue } from '../rules/sqlite-value.js';
import { encodeReplicaId } from './json-values.js';
import {
  MAX_ROW_BYTES,
  evaluatePut,
  mergeUnchangedColumns,
  opsForDelete,
  opsForPut,
  type RowEvaluation,
  subkeyFor,
  type PendingOp,
  type PendingParameter,
  type RowEvaluator,
} from './row-ops.js';
import type { SourceTable } from './source-tables.js';
import { updateCheckpoint, type CommitResult } from './checkpoint-update.js';
import { loadCurrent, saveCurrent, type CurrentEntry } from './current-data.js';
import { BucketStateTotals, insertOps, insertParameters, type SourcedOp } from './op-writer.js';

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

export { CHECKPOINT_CHANNEL, type CommitResult } from './checkpoint-update.js';

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
  private readonly bucketStates = new BucketStateTotals();
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
    const current = this.newRowsOnly
      ? new Map<string, CurrentEntry>()
      : await loadCurrent(this.client, this.groupId, changes);
    const ops: SourcedOp[] = [];
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
    this.noteOpId(await insertOps(this.client, this.groupId, ops, this.bucketStates, this.counters));
    this.noteOpId(await insertParameters(this.client, this.groupId, parameters));
    await saveCurrent(this.client, this.groupId, current);
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
      await this.bucketStates.write(this.client, this.groupId);
      const result = await updateCheckpoint(this.client, this.groupId, this.lastOp, lsn, options.checkpoint);
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

  private noteOpId(id: bigint | null): void {
    if (id !== null && (this.lastOp === null || id > this.lastOp)) this.lastOp = id;
  }
}

interface PreparedChange {
  change: RowChange;
  sourceKey: Buffer;
  subkey: string;
  key: string;
  evaluation: RowEvaluation | undefined;
}

/** An op with its source row (a literal, not a spread: one allocation of a fixed shape per op). */
function withSource(op: PendingOp, sourceTable: string, sourceKey: Buffer): SourcedOp {
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

function estimateSize(row: Record<string, SqliteValue | undefined>): number {
  let size = 32;
  for (const value of Object.values(row)) size += typeof value === 'string' ? value.length : 8;
  return size;
}
