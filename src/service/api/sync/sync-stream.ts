import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { toInt32 } from '../../../protocol/index.js';
import { ServiceError } from '../../../errors/index.js';
import type { BucketDescription, SyncConfig } from '../../rules/index.js';
import {
  getParameterSets,
  getProcessedWriteCheckpoint,
  type BucketChecksum,
  type OplogRow,
} from '../../storage/index.js';
import type { CheckpointBroadcaster, CheckpointUpdate } from '../checkpoints/checkpoint-broadcaster.js';
import type { ChecksumCache } from '../checkpoints/checksum-cache.js';
import { oplogEntry, storedSize } from './oplog-lines.js';
import type { SharedDataReader } from './shared-data-reader.js';
import { SharedLine, type SyncLine, type SyncStreamContext } from './stream-types.js';
import { TokenExpiry } from './token-expiry.js';
import { costKnobFrom, spendCheckpointCpu, streamBallast } from './cost-knob.js';

/** The test-only cost knobs (cost-knob.ts), read once per process. */
const COST_KNOB = costKnobFrom(process.env);

export interface SyncStreamDeps {
  storage: pg.Pool;
  broadcaster: CheckpointBroadcaster;
  checksums: ChecksumCache;
  data: SharedDataReader;
  syncConfig: (syncRulesId: number) => Promise<SyncConfig>;
  maxBucketsPerConnection: number;
  maxParameterQueryResults: number;
  onOpsSynced?: (count: number) => void;
}

/** Ops per storage read of bucket data. */
export const OPS_PER_READ = 1000;
const CHUNK_BYTES = 1024 * 1024;
const SUPERSEDE_AFTER_OPS = 1000;
const ITERATION_PAUSE_MS = 10;

/**
 * One sync stream (protocol.md §1.5): a full checkpoint first, then diffs only when something changed, data
 * for changed buckets from the client's positions, partial completes per priority, supersession after 1000
 * ops, no complete when a compacted op points past the checkpoint, token expiry. Storage is read only for
 * this stream's changed buckets; checkpoints come from the process's shared broadcaster.
 */
export class SyncStream {
  private readonly positions = new Map<string, bigint>();
  private readonly announced = new Map<string, BucketChecksum>();
  private readonly pending = new Set<string>();
  private buckets: BucketDescription[] = [];
  /** This stream's buckets with their priority and stream index: derived once per bucket resolution. */
  private mine = new Map<string, { priority: number; stream: number }>();
  private dirty: Set<string> | 'all' = 'all';
  private newest: CheckpointUpdate | null = null;
  private wake: (() => void) | null = null;
  private sentWriteCheckpoint: bigint | undefined;
  private initialWriteCheckpoint: bigint | undefined;
  private forceNext = false;
  /** The checkpoint this stream last completed with nothing pending since; null while it is not complete. */
  private syncedAt: bigint | null = null;
  /** Buckets were (re)resolved since the last checkpoint line: look for removed ones. */
  private bucketsResolved = false;
  private ended = false;
  private readonly legacy: boolean;
  private readonly userKey: string;

  constructor(
    private readonly deps: SyncStreamDeps,
    private readonly ctx: SyncStreamContext,
  ) {
    this.legacy = ctx.legacyData === true;
    const clientId = ctx.request.client_id;
    this.userKey = clientId ? `${ctx.token.sub}/${clientId}` : ctx.token.sub;
    for (const position of ctx.request.buckets ?? []) {
      if (/^\d+$/.test(position.after)) this.positions.set(position.name, BigInt(position.after));
    }
  }

  async run(): Promise<void> {
    if (!this.deps.broadcaster.current) await this.deps.broadcaster.refresh();
    const first = this.deps.broadcaster.current;
    if (!first) throw new ServiceError('PSYNC_S2302', 'No sync config available');
    const syncRulesId = first.checkpoint.syncRulesId;
    const config = await this.deps.syncConfig(syncRulesId);
    this.initialWriteCheckpoint =
      (await getProcessedWriteCheckpoint(this.deps.storage, this.userKey)) ?? undefined;
    const unsubscribe = this.deps.broadcaster.subscribe((update) => this.onUpdate(update));
    const ballast = streamBallast(COST_KNOB);
    const expiry = new TokenExpiry(this.ctx, () => this.end());
    const onAbort = () => this.end();
    this.ctx.signal.addEventListener('abort', onAbort);
    try {
      let update: CheckpointUpdate = first;
      let full = true;
      for (;;) {
        if (this.ended || this.ctx.signal.aborted) return;
        // A new sync config became active: end the stream so the client reconnects for the new buckets.
        if (update.checkpoint.syncRulesId !== syncRulesId) return;
        if (full || (config.hasDynamicBuckets && update.parametersChanged)) {
          await this.resolveBuckets(config, update);
        }
        // A checkpoint that arrived before this point is not in `dirty` (untracked while it is 'all', and
        // before subscribing nothing is tracked): send the newest one known, or its changes would never reach
        // this client (found by `syncscale drill`: list rows written while a stream was starting).
        const latest = this.newest ?? this.deps.broadcaster.current;
        if (
          latest &&
          latest !== update &&
          latest.checkpoint.syncRulesId === syncRulesId &&
          isNewer(latest, update)
        )
          update = latest;
        await this.processCheckpoint(config, update, full);
        spendCheckpointCpu(COST_KNOB);
        full = false;
        // At least ITERATION_PAUSE_MS between two checkpoints of one stream (bursts coalesce into the newest),
        // waited for only when the next one comes that soon: an idle stream keeps no timer.
        const processedAt = performance.now();
        const next = await this.nextUpdate(update);
        if (!next) return;
        const pause = processedAt + ITERATION_PAUSE_MS - performance.now();
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
        update = this.newest ?? next;
      }
    } finally {
      unsubscribe();
      expiry.stop();
      void ballast?.length; // held until the stream ends
      this.ctx.signal.removeEventListener('abort', onAbort);
    }
  }

  private end(): void {
    this.ended = true;
    this.wake?.();
  }

  private onUpdate(update: CheckpointUpdate): void {
    this.newest = update;
    if (this.dirty !== 'all') {
      const changed = update.changedBuckets;
      if (changed === null) this.dirty = 'all';
      else if (this.mine.size <= changed.size) {
        for (const bucket of this.mine.keys()) if (changed.has(bucket)) this.dirty.add(bucket);
      } else {
        for (const bucket of changed) if (this.mine.has(bucket)) this.dirty.add(bucket);
      }
    }
    this.wake?.();
  }

  /** Resolves with the next update after `current`, or undefined when the stream ends. */
  private async nextUpdate(current: CheckpointUpdate): Promise<CheckpointUpdate | undefined> {
    while (!this.ended && !this.ctx.signal.aborted) {
      if (this.newest && this.newest !== current) return this.newest;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
    return undefined;
  }

  private async resolveBuckets(config: SyncConfig, update: CheckpointUpdate): Promise<void> {
    let parameterRows = 0;
    const buckets = await config.resolveBuckets(
      {
        userId: this.ctx.token.sub,
        jwt: this.ctx.token.payload,
        parameters: this.ctx.request.parameters ?? {},
      },
      async (lookups) => {
        const rows = await getParameterSets(
          this.deps.storage,
          update.checkpoint.syncRulesId,
          update.checkpoint.checkpoint,
          lookups,
        );
        parameterRows += rows.length;
        if (parameterRows > this.deps.maxParameterQueryResults) {
          throw new ServiceError(
            'PSYNC_S2305',
            `Too many parameter query results: ${parameterRows} (limit of ${this.deps.maxParameterQueryResults})`,
          );
        }
        return rows;
      },
    );
    if (buckets.length > this.deps.maxBucketsPerConnection) {
      throw new ServiceError(
        'PSYNC_S2305',
        `Too many buckets: ${buckets.length} (limit of ${this.deps.maxBucketsPerConnection})`,
      );
    }
    this.buckets = buckets;
    const streamIndex = new Map(config.definitions.map((d, i) => [d.name, i]));
    const next = new Map(
      buckets.map((b) => [b.bucket, { priority: b.priority, stream: streamIndex.get(b.definition) ?? 0 }]),
    );
    if (this.dirty !== 'all')
      for (const bucket of next.keys()) if (!this.mine.has(bucket)) this.dirty.add(bucket);
    this.mine = next;
    this.bucketsResolved = true;
  }

  private async processCheckpoint(
    config: SyncConfig,
    update: CheckpointUpdate,
    full: boolean,
  ): Promise<void> {
    // Awaits only where something is pending: at thousands of streams per checkpoint, every await and
    // promise per stream is paid thousands of times (each a microtask and garbage to collect).
    const sink = this.ctx.sink;
    sink.hold?.();
    try {
      const { syncRulesId, checkpoint } = update.checkpoint;
      const names = this.buckets.map((b) => b.bucket);
      const dirty = this.dirty;
      this.dirty = new Set();
      const need =
        full || dirty === 'all' ? names : names.filter((b) => dirty.has(b) || !this.announced.has(b));
      const checksums =
        this.deps.checksums.peek(syncRulesId, checkpoint, need) ??
        (await this.deps.checksums.get(syncRulesId, checkpoint, need));
      // A bucket announced for the first time (new parameters) has no position in it yet.
      const announcedBefore = need.every((bucket) => this.announced.has(bucket));
      const line = this.checkpointLine(config, checkpoint, names, need, checksums, full);
      if (!line) {
        // Nothing of this stream's changed: still complete, now at this checkpoint.
        if (this.syncedAt !== null && this.pending.size === 0) this.syncedAt = checkpoint;
        return;
      }
      const syncedBefore = announcedBefore ? this.syncedAt : null;
      this.syncedAt = null;
      const written = this.send(line);
      if (written) await written;
      // One changed bucket (the common incremental case): its range is read once for every stream (the
      // shared reader), then sent without further awaits. Anything else takes the general path.
      const only = this.pending.size === 1 ? this.pending.values().next().value! : undefined;
      if (only === undefined) return await this.sendData(syncRulesId, checkpoint);
      const after = this.positions.get(only) ?? 0n;
      // Complete at the checkpoint this update is relative to: the ops after its position are exactly the
      // ones the checkpoint added, read once for every stream before they were told.
      const since =
        syncedBefore !== null && syncedBefore === update.previous
          ? this.deps.data.sinceCheckpoint(syncRulesId, checkpoint, syncedBefore, only)
          : undefined;
      const rows =
        since ??
        this.deps.data.peek(syncRulesId, checkpoint, only, after, OPS_PER_READ) ??
        (await this.deps.data.read(syncRulesId, checkpoint, [{ bucket: only, after }], OPS_PER_READ));
      const waits = this.sendOneBucket(only, rows, checkpoint);
      if (waits === null) await this.sendData(syncRulesId, checkpoint);
      else if (waits.length > 0) await Promise.all(waits);
    } finally {
      const released = sink.release?.();
      if (released) await released;
    }
  }

  /** The checkpoint or checkpoint_diff line to send (buckets marked pending), or undefined when nothing changed. */
  private checkpointLine(
    config: SyncConfig,
    checkpoint: bigint,
    names: string[],
    need: string[],
    checksums: ReadonlyMap<string, BucketChecksum>,
    full: boolean,
  ): SyncLine | SharedLine | undefined {
    const updated: string[] = [];
    for (const bucket of need) {
      const value = checksums.get(bucket)!;
      const previous = this.announced.get(bucket);
      if (full || !previous || previous.checksum !== value.checksum || previous.count !== value.count) {
        updated.push(bucket);
      }
      this.announced.set(bucket, value);
    }
    const removed: string[] = [];
    // Buckets leave only when they are resolved again.
    if (this.bucketsResolved) {
      for (const bucket of this.announced.keys()) if (!this.mine.has(bucket)) removed.push(bucket);
    }
    this.bucketsResolved = false;
    for (const bucket of removed) {
      this.announced.delete(bucket);
      this.pending.delete(bucket);
    }
    const writeCheckpoint =
      this.deps.broadcaster.writeCheckpointOf(this.userKey) ?? this.initialWriteCheckpoint;
    const writeCheckpointChanged =
      writeCheckpoint !== undefined && writeCheckpoint !== this.sentWriteCheckpoint;
    if (!full && !this.forceNext && updated.length === 0 && removed.length === 0 && !writeCheckpointChanged) {
      return undefined;
    }
    this.forceNext = false;
    this.sentWriteCheckpoint = writeCheckpoint;
    const lastOpId = checkpoint.toString();
    const describe = (bucket: string) => {
      const value = this.announced.get(bucket)!;
      return {
        bucket,
        checksum: toInt32(value.checksum),
        count: value.count,
        priority: this.mine.get(bucket)?.priority ?? 3,
        subscriptions: [{ default: this.mine.get(bucket)?.stream ?? 0 }],
      };
    };
    const wc = writeCheckpoint === undefined ? {} : { write_checkpoint: writeCheckpoint.toString() };
    for (const bucket of updated) this.pending.add(bucket);
    if (full) {
      return {
        checkpoint: {
          last_op_id: lastOpId,
          ...wc,
          buckets: names.map(describe),
          streams: config.definitions.map((d) => ({ name: d.name, is_default: true, errors: [] })),
        },
      };
    }
    if (updated.length === 1 && removed.length === 0 && writeCheckpoint === undefined) {
      // One changed bucket, described the same for every stream that has it: one line for all of them.
      const only = describe(updated[0]!);
      const key = `${lastOpId}:${only.bucket}:${only.checksum}:${only.count}:${only.priority}:${only.subscriptions[0]!.default}`;
      if (lastDiff?.key !== key) {
        lastDiff = {
          key,
          line: new SharedLine({
            checkpoint_diff: { last_op_id: lastOpId, updated_buckets: [only], removed_buckets: [] },
          }),
        };
      }
      return lastDiff.line;
    }
    return {
      checkpoint_diff: {
        last_op_id: lastOpId,
        ...wc,
        updated_buckets: updated.map(describe),
        removed_buckets: removed,
      },
    };
  }

  /**
   * Sends the data of the one pending bucket and the complete, without awaiting: returns the writes still
   * waiting for the transport, or null when the rows fill a whole read (the general path pages on).
   */
  private sendOneBucket(bucket: string, rows: OplogRow[], checkpoint: bigint): Array<Promise<void>> | null {
    if (rows.length === OPS_PER_READ) return null;
    const waits: Array<Promise<void>> = [];
    if (this.ended || this.ctx.signal.aborted) return waits;
    const invalidated = rows.length > 0 && this.sendChunksNow(bucket, rows, false, checkpoint, waits);
    this.pending.delete(bucket);
    if (invalidated) {
      // A compacted op points past this checkpoint: the client must not apply it; the next one completes.
      this.forceNext = true;
      return waits;
    }
    const written = this.send(completeLine(checkpoint.toString()));
    if (written) waits.push(written);
    this.syncedAt = checkpoint;
    return waits;
  }

  private async sendData(syncRulesId: number, checkpoint: bigint): Promise<void> {
    const lastOpId = checkpoint.toString();
    const priorities = [...new Set([...this.pending].map((b) => this.priorityOf(b)))].sort((a, b) => a - b);
    let opsSent = 0;
    let invalidated = false;
    for (let i = 0; i < priorities.length; i++) {
      const priority = priorities[i]!;
      let queue = [...this.pending].filter((b) => this.priorityOf(b) === priority);
      while (queue.length > 0) {
        if (this.ended || this.ctx.signal.aborted) return;
        if (opsSent >= SUPERSEDE_AFTER_OPS && this.superseded(checkpoint)) return;
        const positions = queue.map((bucket) => ({ bucket, after: this.positions.get(bucket) ?? 0n }));
        const rows = await this.deps.data.read(syncRulesId, checkpoint, positions, OPS_PER_READ);
        const truncated = rows.length === OPS_PER_READ;
        const lastBucket = rows.length > 0 ? rows[rows.length - 1]!.bucket : undefined;
        // One bucket read: the rows are the shared reader's array itself, so its data lines can be shared.
        // Rows regrouped per stream are this stream's own: encoding them for sharing would only keep them.
        const shared = queue.length === 1;
        const byBucket =
          queue.length === 1 ? new Map(rows.length > 0 ? [[queue[0]!, rows]] : []) : groupByBucket(rows);
        const done = new Set<string>();
        for (const bucket of queue) {
          const ops = byBucket.get(bucket);
          if (truncated && bucket === lastBucket) {
            invalidated = (await this.sendChunks(bucket, ops!, true, checkpoint, shared)) || invalidated;
            opsSent += ops!.length;
            break;
          }
          if (ops) {
            invalidated = (await this.sendChunks(bucket, ops, false, checkpoint, shared)) || invalidated;
            opsSent += ops.length;
          }
          done.add(bucket);
        }
        for (const bucket of done) this.pending.delete(bucket);
        queue = queue.filter((b) => !done.has(b));
      }
      if (i < priorities.length - 1) {
        const written = this.send({ partial_checkpoint_complete: { last_op_id: lastOpId, priority } });
        if (written) await written;
      }
    }
    if (invalidated) {
      // A compacted op points past this checkpoint: the client must not apply it; the next one completes.
      this.forceNext = true;
      return;
    }
    const written = this.send(completeLine(lastOpId));
    this.syncedAt = checkpoint;
    if (written) await written;
  }

  /** Sends ops of one bucket as data lines cut near 1 MiB; true when an op's target is past the checkpoint. */
  private async sendChunks(
    bucket: string,
    ops: OplogRow[],
    hasMore: boolean,
    checkpoint: bigint,
    shared: boolean,
  ): Promise<boolean> {
    let invalidated = false;
    for (let start = 0; start < ops.length;) {
      const chunk = this.nextChunk(bucket, ops, start, hasMore, checkpoint, shared);
      invalidated ||= chunk.invalidated;
      start = chunk.end;
      const written = this.send(chunk.line);
      if (written) await written;
    }
    return invalidated;
  }

  /**
   * As sendChunks for rows shared by every stream, without waiting between lines: writes the transport could
   * not take yet go to `waits`.
   */
  private sendChunksNow(
    bucket: string,
    ops: OplogRow[],
    hasMore: boolean,
    checkpoint: bigint,
    waits: Array<Promise<void>>,
  ): boolean {
    let invalidated = false;
    for (let start = 0; start < ops.length;) {
      const chunk = this.nextChunk(bucket, ops, start, hasMore, checkpoint, true);
      invalidated ||= chunk.invalidated;
      start = chunk.end;
      const written = this.send(chunk.line);
      if (written) waits.push(written);
    }
    return invalidated;
  }

  /** The data line of the ops from `start` up to near 1 MiB; advances this stream's position past them. */
  private nextChunk(
    bucket: string,
    ops: OplogRow[],
    start: number,
    hasMore: boolean,
    checkpoint: bigint,
    /** `ops` is an array other streams send from too: its encoded line is kept for them. */
    shared: boolean,
  ): { line: SyncLine | SharedLine; end: number; invalidated: boolean } {
    let end = start;
    let size = 0;
    let invalidated = false;
    while (end < ops.length && (end === start || size < CHUNK_BYTES)) {
      const op = ops[end++]!;
      size += storedSize(op);
      if (op.targetOp !== null && op.targetOp > checkpoint) invalidated = true;
    }
    const after = this.positions.get(bucket) ?? 0n;
    const nextAfter = ops[end - 1]!.opId;
    const more = hasMore || end < ops.length;
    const build = (): SyncLine => ({
      data: {
        bucket,
        after: after.toString(),
        next_after: nextAfter.toString(),
        has_more: more,
        data: ops.slice(start, end).map((op) => oplogEntry(op, this.legacy)),
      },
    });
    const line = shared ? dataLine(ops, start, end, build, `${after}:${more}:${this.legacy}`) : build();
    this.positions.set(bucket, nextAfter);
    this.deps.onOpsSynced?.(end - start);
    return { line, end, invalidated };
  }

  private priorityOf(bucket: string): number {
    return this.mine.get(bucket)?.priority ?? 3;
  }

  /** A newer checkpoint that touches this stream's buckets has arrived. */
  private superseded(checkpoint: bigint): boolean {
    const newest = this.newest;
    if (!newest || newest.checkpoint.checkpoint <= checkpoint) return false;
    return this.dirty === 'all' || this.dirty.size > 0;
  }

  /** Writes a line; a promise only while the transport cannot take it yet. */
  private send(line: SyncLine | SharedLine): Promise<void> | undefined {
    return this.ctx.sink.write(line);
  }
}

/**
 * Data lines by the rows array they were cut from: streams reading the same bucket range get the shared
 * reader's one array, so they share the encoded line too (a change to a global bucket is encoded once, not
 * once per stream). Entries go when the array does.
 */
const dataLines = new WeakMap<OplogRow[], Map<string, SharedLine>>();

function dataLine(
  ops: OplogRow[],
  start: number,
  end: number,
  build: () => SyncLine,
  variant: string,
): SharedLine {
  let lines = dataLines.get(ops);
  if (!lines) dataLines.set(ops, (lines = new Map()));
  const key = `${start}:${end}:${variant}`;
  let line = lines.get(key);
  if (!line) lines.set(key, (line = new SharedLine(build())));
  return line;
}

/** The newest single-bucket checkpoint_diff, shared by every stream it describes exactly. */
let lastDiff: { key: string; line: SharedLine } | undefined;

/** The checkpoint_complete of the newest checkpoint, shared by every stream completing it. */
let lastComplete: { lastOpId: string; line: SharedLine } | undefined;

function completeLine(lastOpId: string): SharedLine {
  if (lastComplete?.lastOpId !== lastOpId)
    lastComplete = { lastOpId, line: new SharedLine({ checkpoint_complete: { last_op_id: lastOpId } }) };
  return lastComplete.line;
}

function groupByBucket(rows: OplogRow[]): Map<string, OplogRow[]> {
  const groups = new Map<string, OplogRow[]>();
  for (const row of rows) {
    const list = groups.get(row.bucket);
    if (list) list.push(row);
    else groups.set(row.bucket, [row]);
  }
  return groups;
}

/** True when `a` is a later checkpoint than `b` of the same stream. */
function isNewer(a: CheckpointUpdate, b: CheckpointUpdate): boolean {
  return a.checkpoint.checkpoint > b.checkpoint.checkpoint;
}
