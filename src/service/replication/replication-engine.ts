import pg from 'pg';
import { isServiceError } from '../../errors/index.js';
import { describeError, type Logger } from '../logging/index.js';
import {
  clearSyncRulesData,
  createSyncRules,
  listSyncRules,
  recordFatalError,
  type RowEvaluator,
  type StorageLock,
  type SyncRulesRecord,
  type WriterLimits,
} from '../storage/index.js';
import { createReplicationMetrics, type ReplicationMetrics } from './replication-metrics.js';
import { ReplicationJob } from './replication-job.js';
import { acquireReplicationLock, type LockTiming } from './replication-lock.js';

export interface ReplicationEngineOptions {
  sourceUrl: string;
  storage: pg.Pool;
  /** The sync config text this process was started with. */
  syncConfigContent: string;
  /** Builds the row evaluator for a stream (bucket ids are prefixed with the stream id). */
  evaluatorFor: (
    stream: SyncRulesRecord,
  ) => RowEvaluator & { sourceTables(): Array<{ schema: string; name: string }> };
  slotNamePrefix: string;
  timing: LockTiming;
  log: Logger;
  heartbeatIntervalMs?: number;
  limits?: WriterLimits;
  snapshotChunkSize?: number;
  /** Liveness touch on every loop iteration and snapshot progress. */
  touch?: () => void;
  /** Backoff after a generic replication error (30 s like the real service). */
  errorBackoffMs?: number;
}

interface RunningJob {
  job: ReplicationJob;
  lock: StorageLock;
  abort: AbortController;
  done: Promise<void>;
  refreshTimer: NodeJS.Timeout;
  heartbeatTimer: NodeJS.Timeout;
}

/**
 * The replicator's refresh loop (service.md §6.2): lists replicating streams, takes each stream's lock and
 * runs a job for it; a process that finds the lock held logs PSYNC_S1003 once and retries every 0.5 s during
 * its first 120 s, then every 5 s. Jobs that end on error restart on a later iteration after a backoff.
 */
export class ReplicationEngine {
  readonly metrics: ReplicationMetrics = createReplicationMetrics();
  private readonly jobs = new Map<number, RunningJob>();
  private readonly retryAfter = new Map<number, number>();
  private readonly loggedStandby = new Set<string>();
  private readonly startedAt = Date.now();
  private everStarted = false;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: ReplicationEngineOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Ids of the streams this process is replicating. */
  get runningStreams(): number[] {
    return [...this.jobs.keys()];
  }

  /** Stops every job and releases its lock (graceful shutdown: another process can take over at once). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    await Promise.all([...this.jobs.keys()].map((id) => this.stopJob(id)));
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      this.options.touch?.();
      try {
        await this.iterate();
      } catch (error) {
        this.options.log.error(`Replication refresh failed: ${describeError(error)}`);
      }
      const fast = !this.everStarted && Date.now() - this.startedAt < this.options.timing.fastWindowMs;
      await this.sleep(fast ? this.options.timing.fastRetryMs : this.options.timing.slowRetryMs);
    }
  }

  private async iterate(): Promise<void> {
    const { storage, syncConfigContent } = this.options;
    let streams = await listSyncRules(storage, ['PROCESSING', 'ACTIVE', 'ERRORED']);
    if (!streams.some((s) => s.content === syncConfigContent)) {
      // A changed (or first) sync config: a new stream replicates beside the active one until it catches up.
      const created = await createSyncRules(storage, syncConfigContent, this.options.slotNamePrefix);
      this.options.log.info(
        `Sync config loaded as replication stream ${created.id} (slot ${created.slotName})`,
      );
      streams = [...streams, created];
    }
    for (const stream of streams) {
      if (this.stopping || this.jobs.has(stream.id)) continue;
      if ((this.retryAfter.get(stream.id) ?? 0) > Date.now()) continue;
      if (stream.state === 'PROCESSING' && stream.content !== syncConfigContent) {
        this.logOnce(
          `guard:${stream.id}`,
          `Stream ${stream.id} is processing a different sync config; not handled here`,
        );
        continue;
      }
      await this.tryStart(stream);
    }
    for (const stream of await listSyncRules(storage, ['STOP'])) {
      if (!this.stopping && !this.jobs.has(stream.id)) await this.cleanUp(stream);
    }
  }

  private async tryStart(stream: SyncRulesRecord): Promise<void> {
    let lock: StorageLock;
    try {
      lock = await acquireReplicationLock(this.options.storage, stream, this.options.timing.ttlMs);
    } catch (error) {
      if (isServiceError(error, 'PSYNC_S1003')) {
        this.logOnce(`lock:${stream.id}:${stream.state}`, error.message);
        return;
      }
      throw error;
    }
    this.everStarted = true;
    this.loggedStandby.delete(`lock:${stream.id}:${stream.state}`);
    const job = new ReplicationJob({
      sourceUrl: this.options.sourceUrl,
      storage: this.options.storage,
      stream,
      evaluator: this.options.evaluatorFor(stream),
      metrics: this.metrics,
      log: this.options.log,
      limits: this.options.limits,
      snapshotChunkSize: this.options.snapshotChunkSize,
      touch: this.options.touch,
    });
    const abort = new AbortController();
    const refreshTimer = setInterval(() => {
      lock.refresh().then(
        (held) => {
          if (!held) {
            this.options.log.error(`Replication lock of stream ${stream.id} was lost; refreshing stopped`);
            clearInterval(refreshTimer);
          }
        },
        (error) => {
          this.options.log.error(`Replication lock refresh failed: ${describeError(error)}`);
          clearInterval(refreshTimer);
        },
      );
    }, this.options.timing.refreshMs);
    const heartbeatTimer = setInterval(
      () => void job.heartbeat().catch(() => undefined),
      this.options.heartbeatIntervalMs ?? 60_000,
    );
    const done = job.run(abort.signal).then(
      () => this.onJobEnded(stream, undefined),
      (error: unknown) => this.onJobEnded(stream, abort.signal.aborted ? undefined : error),
    );
    this.jobs.set(stream.id, { job, lock, abort, done, refreshTimer, heartbeatTimer });
    this.options.log.info(`Acquired replication lock of stream ${stream.id}`);
  }

  private async onJobEnded(stream: SyncRulesRecord, error: unknown): Promise<void> {
    const running = this.jobs.get(stream.id);
    if (!running) return;
    clearInterval(running.refreshTimer);
    clearInterval(running.heartbeatTimer);
    this.jobs.delete(stream.id);
    await running.lock.release().then(
      () => this.options.log.info(`Released replication lock of stream ${stream.id}`),
      () => undefined,
    );
    if (error === undefined || this.stopping) return;
    const message = describeError(error);
    this.options.log.error(`Replication of stream ${stream.id} failed: ${message}`);
    await recordFatalError(this.options.storage, stream.id, message).catch(() => undefined);
    let backoff = this.options.errorBackoffMs ?? 30_000;
    if (isServiceError(error, 'PSYNC_S1146')) {
      backoff = 2_000;
      // The slot is gone after the snapshot: a new stream with the same config re-replicates from scratch.
      if (stream.state === 'ACTIVE' || stream.state === 'ERRORED') {
        await createSyncRules(this.options.storage, stream.content, this.options.slotNamePrefix).catch(
          () => undefined,
        );
      }
    }
    this.retryAfter.set(stream.id, Date.now() + Math.max(500, backoff));
  }

  private async stopJob(id: number): Promise<void> {
    const running = this.jobs.get(id);
    if (!running) return;
    running.abort.abort();
    await running.done;
  }

  /** A replaced stream: drop its slot and data, under its lock. */
  private async cleanUp(stream: SyncRulesRecord): Promise<void> {
    let lock: StorageLock;
    try {
      lock = await acquireReplicationLock(this.options.storage, stream, this.options.timing.ttlMs);
    } catch (error) {
      if (isServiceError(error, 'PSYNC_S1003')) return this.logOnce(`lock:${stream.id}:STOP`, error.message);
      throw error;
    }
    try {
      const source = new pg.Client({ connectionString: this.options.sourceUrl });
      source.on('error', () => undefined); // the query below rejects instead
      await source.connect();
      try {
        await source.query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
          [stream.slotName],
        );
      } finally {
        await source.end();
      }
      await clearSyncRulesData(this.options.storage, stream.id);
      this.options.log.info(`Stream ${stream.id} terminated; slot ${stream.slotName} dropped`);
    } finally {
      await lock.release();
    }
  }

  private logOnce(key: string, message: string): void {
    if (this.loggedStandby.has(key)) return;
    this.loggedStandby.add(key);
    this.options.log.info(message);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }
}
