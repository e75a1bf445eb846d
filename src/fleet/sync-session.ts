import { MetricName } from '../metrics/index.js';
import type { ClientMetrics } from './client-metrics.js';
import { fleetClock } from './fleet-clock.js';
import { PendingStamps, STAMP_FIELD } from './pending-stamps.js';
import type {
  CheckpointCompleteLine,
  CheckpointDiffLine,
  CheckpointLine,
  DataLine,
  OplogEntry,
  PartialCheckpointCompleteLine,
  SyncLine,
} from './sync-lines.js';
import type { SyncObserver } from './sync-observer.js';
import { SyncState, type CheckpointOutcome } from './sync-state.js';
import { WriteCheckpointWaiters } from './write-checkpoint.js';

/** What a line meant for the connection. */
export const LineOutcome = {
  /** Nothing for the connection to do. */
  None: 0,
  /** A checkpoint completed and validated: the stream is healthy. */
  Completed: 1,
  /** Checksums failed: the failing buckets were deleted; reconnect without them. */
  ChecksumFailed: 2,
} as const;
export type LineOutcomeValue = (typeof LineOutcome)[keyof typeof LineOutcome];

/**
 * One client's sync state across its connections, and the samples its lines produce: checkpoint and
 * first-checkpoint latency, end-to-end latency of stamped rows, ops, completed checkpoints, checksum
 * failures and write-checkpoint round trips.
 */
export class SyncSession {
  readonly state = new SyncState();
  checkpointsCompleted = 0;
  checksumFailures = 0;
  opsReceived = 0;
  private stamps: PendingStamps | undefined;
  private writeCheckpoints: WriteCheckpointWaiters | undefined;
  private streamStartedAt = 0;
  /** Arrival of the last checkpoint or diff line (`performance.now()`), -1 when none on this stream. */
  private checkpointLineAt = -1;
  private completesOnStream = 0;

  constructor(
    private readonly metrics: ClientMetrics,
    private readonly observer?: SyncObserver,
  ) {}

  /** A new stream was started at `startedAt` (a `performance.now()` time). */
  streamStarted(startedAt: number): void {
    this.streamStartedAt = startedAt;
    this.checkpointLineAt = -1;
    this.completesOnStream = 0;
  }

  /** True once the current stream has completed a checkpoint. */
  get synced(): boolean {
    return this.completesOnStream > 0;
  }

  handle(line: SyncLine): LineOutcomeValue {
    if ('data' in line) return this.onData((line as DataLine).data);
    if ('checkpoint_complete' in line)
      return this.onComplete((line as CheckpointCompleteLine).checkpoint_complete.last_op_id);
    if ('checkpoint_diff' in line) {
      this.checkpointLineAt = performance.now();
      this.state.applyDiff((line as CheckpointDiffLine).checkpoint_diff);
    } else if ('checkpoint' in line) {
      this.checkpointLineAt = performance.now();
      this.state.applyCheckpoint((line as CheckpointLine).checkpoint);
    } else if ('partial_checkpoint_complete' in line) {
      const partial = (line as PartialCheckpointCompleteLine).partial_checkpoint_complete;
      return this.onPartial(partial.last_op_id, partial.priority);
    }
    return LineOutcome.None;
  }

  /** Before a reconnect: drop what no applied checkpoint covers (the server sends it again). */
  beforeReconnect(): void {
    this.state.rollback();
    this.stamps?.clear();
    this.observer?.rolledBack();
  }

  /**
   * Waits until a completed checkpoint carries write checkpoint ≥ `target`; resolves with the latency from
   * `startedAt` (a `performance.now()` time) and records it.
   */
  awaitWriteCheckpoint(
    target: string,
    startedAt: number,
    timeoutMs: number,
    onTimeout: () => void,
  ): Promise<number> {
    const waiters = (this.writeCheckpoints ??= new WriteCheckpointWaiters());
    const promise = waiters.wait(target, startedAt, timeoutMs, onTimeout);
    waiters.settle(this.state.completedWriteCheckpoint, performance.now(), this.recordWriteCheckpoint);
    return promise;
  }

  /** The client stopped: pending write-checkpoint waits fail. */
  stop(error: Error): void {
    this.writeCheckpoints?.rejectAll(error);
    this.stamps?.clear();
  }

  private onData(data: DataLine['data']): LineOutcomeValue {
    const count = this.state.applyData(data);
    this.observer?.data(data.bucket, data.data);
    this.opsReceived += count;
    this.metrics.add(MetricName.opsReceived, count);
    // End-to-end latency is about changes reaching a client that is already in sync: rows a stream downloads
    // before its first checkpoint completes (initial sync, catching up after a reconnect) were written before
    // the client could see them, and would time the connect, not the pipeline.
    if (this.completesOnStream > 0 && hasStamp(data.data))
      (this.stamps ??= new PendingStamps()).collect(data.bucket, data.data);
    return LineOutcome.None;
  }

  private onComplete(lastOpId: string): LineOutcomeValue {
    const now = performance.now();
    const outcome = this.state.complete(lastOpId);
    if (outcome.failed.length > 0) return this.onChecksumFailure(outcome);
    this.checkpointsCompleted++;
    this.observer?.completed(coversAll);
    this.metrics.add(MetricName.checkpointsCompleted, 1);
    if (this.checkpointLineAt >= 0)
      this.metrics.add(MetricName.checkpointLatency, now - this.checkpointLineAt);
    if (this.completesOnStream++ === 0)
      this.metrics.add(MetricName.firstCheckpoint, now - this.streamStartedAt);
    if (this.stamps && this.stamps.size > 0) this.releaseStamps(visibleAlways);
    this.writeCheckpoints?.settle(this.state.completedWriteCheckpoint, now, this.recordWriteCheckpoint);
    return LineOutcome.Completed;
  }

  private onPartial(lastOpId: string, priority: number): LineOutcomeValue {
    const outcome = this.state.completePartial(lastOpId, priority);
    if (outcome.failed.length > 0) return this.onChecksumFailure(outcome);
    if (this.observer) {
      const state = this.state;
      this.observer.completed((bucket) => state.priorityOf(bucket) <= priority);
    }
    if (this.stamps && this.stamps.size > 0) {
      const state = this.state;
      this.releaseStamps((bucket) => state.priorityOf(bucket) <= priority);
    }
    return LineOutcome.None;
  }

  private onChecksumFailure(outcome: CheckpointOutcome): LineOutcomeValue {
    this.checksumFailures += outcome.failed.length;
    this.observer?.dropped(outcome.failed);
    this.metrics.add(MetricName.checksumFailures, outcome.failed.length);
    this.stamps?.clear();
    return LineOutcome.ChecksumFailed;
  }

  /** Times the stamped rows now visible; rows committed before the current phase are counted, not timed. */
  private releaseStamps(visible: (bucket: string) => boolean): void {
    const floor = this.metrics.stampFloor;
    // Stamps are the source database's clock: read ours on it.
    const earlier = this.stamps!.release(fleetClock() - floor.offsetMs, visible, this.recordStamp, floor.ms);
    if (earlier > 0) this.metrics.add(MetricName.endToEndEarlierRows, earlier);
  }

  private readonly recordStamp = (latencyMs: number): void => {
    this.metrics.add(MetricName.endToEndLatency, latencyMs);
  };

  private readonly recordWriteCheckpoint = (latencyMs: number): void => {
    this.metrics.add(MetricName.writeCheckpointLatency, latencyMs);
  };
}

function visibleAlways(): boolean {
  return true;
}

function coversAll(): boolean {
  return true;
}

function hasStamp(ops: readonly OplogEntry[]): boolean {
  for (let i = 0; i < ops.length; i++) {
    const data = ops[i]!.data;
    if (typeof data === 'string' && data.includes(STAMP_FIELD)) return true;
  }
  return false;
}
