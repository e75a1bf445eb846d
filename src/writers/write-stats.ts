import { MetricName, type SampleSink } from '../metrics/index.js';
import { LogHistogram, type LatencyStats } from './log-histogram.js';
import type { WriteCounts } from './write-statement.js';

/** What a generator did, and whether it kept its schedule. Rates in per second, times in ms. */
export interface WriteSummary {
  /** The shape's mean rate over the planned schedule (tx/s), and × rowsPerTransaction (rows/s). */
  targetRate: number;
  targetRowsRate: number;
  /** Transactions whose scheduled time came. */
  scheduled: number;
  /** Committed transactions, and the rows they wrote as the database counted them. */
  transactions: number;
  rows: number;
  rowsByOperation: WriteCounts;
  /** Transactions that failed (by error code in `errors`). */
  failed: number;
  /** Transactions never started because they would have started more than maxLagMs late. */
  dropped: number;
  /** Transactions queued or running when the run stopped (abort, or drain timeout) and cancelled. */
  cancelled: number;
  /** The active window: from the schedule's start to its end or the last commit, whichever is later. */
  windowMs: number;
  /** Committed transactions and rows per second over the active window. */
  achievedRate: number;
  achievedRowsRate: number;
  /** Statement start to commit acknowledged. */
  commitMs: LatencyStats;
  /** How late each transaction started after its scheduled time. */
  scheduleLagMs: LatencyStats;
  /** Scheduled time to commit: commit latency corrected for coordinated omission. */
  responseMs: LatencyStats;
  /** Planned update/delete rows the database did not find (0 unless something else changed the table). */
  missedRows: number;
  errors: Record<string, number>;
  lastError?: string;
  aborted: boolean;
  /** True while `run()` has not returned. */
  running: boolean;
  /** Dropped transactions, or a p99 schedule lag above the threshold: the generator was the bottleneck. */
  behindSchedule: boolean;
  reason: string;
}

export interface WriteStatsOptions {
  sink?: SampleSink;
  tags?: Record<string, string>;
  targetRate: number;
  rowsPerTransaction: number;
  maxLagMs: number;
  lagThresholdMs: number;
}

/** Counters and histograms of one generator run; emits a sample for every event as it happens. */
export class WriteStats {
  private readonly commit = new LogHistogram();
  private readonly lag = new LogHistogram();
  private readonly response = new LogHistogram();
  private readonly counts: WriteCounts = { inserted: 0, updated: 0, deleted: 0 };
  private readonly errors: Record<string, number> = {};
  private lastError: string | undefined;
  private scheduled = 0;
  private transactions = 0;
  private failed = 0;
  private dropped = 0;
  private cancelled = 0;
  private missedRows = 0;
  private startedAt: number | undefined;
  private endedAt: number | undefined;
  private lastCommitAt = 0;
  private aborted = false;
  private running = false;

  constructor(private readonly options: WriteStatsOptions) {}

  begin(now: number): void {
    this.startedAt = now;
    this.running = true;
  }

  /** The run is over; `scheduleEnd` is where the schedule stopped (its end, or the abort). */
  end(scheduleEnd: number, aborted: boolean): void {
    this.endedAt = Math.max(scheduleEnd, this.lastCommitAt);
    this.aborted = aborted;
    this.running = false;
  }

  arrived(): void {
    this.scheduled++;
  }

  started(lagMs: number): void {
    this.lag.record(lagMs);
    this.emit(MetricName.writeScheduleLag, lagMs);
  }

  committed(
    now: number,
    commitMs: number,
    responseMs: number,
    counts: WriteCounts,
    plannedRows: number,
  ): void {
    this.transactions++;
    this.lastCommitAt = Math.max(this.lastCommitAt, now);
    this.commit.record(commitMs);
    this.response.record(responseMs);
    this.emit(MetricName.writeCommit, commitMs);
    this.emit(MetricName.transactions, 1);
    for (const [op, tag] of OPERATION_TAGS) {
      this.counts[op] += counts[op];
      if (counts[op] > 0) this.emit(MetricName.rowsWritten, counts[op], { op: tag });
    }
    this.missedRows += Math.max(0, plannedRows - (counts.inserted + counts.updated + counts.deleted));
  }

  failedWith(code: string, message: string): void {
    this.failed++;
    this.errors[code] = (this.errors[code] ?? 0) + 1;
    this.lastError = `${code}: ${message}`;
    this.emit(MetricName.errors, 1, { code, source: 'writer' });
  }

  droppedOne(): void {
    this.dropped++;
    this.emit(MetricName.droppedWrites, 1);
  }

  cancelledSome(n: number): void {
    this.cancelled += n;
  }

  summary(now: number): WriteSummary {
    const rows = this.counts.inserted + this.counts.updated + this.counts.deleted;
    const windowMs = this.startedAt === undefined ? 0 : (this.endedAt ?? now) - this.startedAt;
    const perSecond = (n: number) => (windowMs > 0 ? (n * 1000) / windowMs : 0);
    const scheduleLagMs = this.lag.stats();
    const verdict = this.verdict(scheduleLagMs);
    return {
      targetRate: this.options.targetRate,
      targetRowsRate: this.options.targetRate * this.options.rowsPerTransaction,
      scheduled: this.scheduled,
      transactions: this.transactions,
      rows,
      rowsByOperation: { ...this.counts },
      failed: this.failed,
      dropped: this.dropped,
      cancelled: this.cancelled,
      windowMs,
      achievedRate: perSecond(this.transactions),
      achievedRowsRate: perSecond(rows),
      commitMs: this.commit.stats(),
      scheduleLagMs,
      responseMs: this.response.stats(),
      missedRows: this.missedRows,
      errors: { ...this.errors },
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      aborted: this.aborted,
      running: this.running,
      ...verdict,
    };
  }

  private verdict(lag: LatencyStats): { behindSchedule: boolean; reason: string } {
    const { maxLagMs, lagThresholdMs } = this.options;
    const reasons: string[] = [];
    if (this.dropped > 0) {
      reasons.push(
        `${this.dropped} of ${this.scheduled} scheduled transactions dropped (they would have started more than ${maxLagMs} ms late)`,
      );
    }
    if (lag.p99 > lagThresholdMs) {
      reasons.push(`p99 schedule lag ${round(lag.p99)} ms > ${lagThresholdMs} ms (n=${lag.n})`);
    }
    if (reasons.length > 0) return { behindSchedule: true, reason: `behind schedule: ${reasons.join('; ')}` };
    return {
      behindSchedule: false,
      reason: `on schedule: p99 schedule lag ${round(lag.p99)} ms ≤ ${lagThresholdMs} ms (n=${lag.n}), none dropped`,
    };
  }

  private emit(metric: string, value: number, extra?: Record<string, string>): void {
    const sink = this.options.sink;
    if (!sink) return;
    const tags = extra ? { ...this.options.tags, ...extra } : this.options.tags;
    sink.add({ metric, value, time: Date.now(), ...(tags ? { tags } : {}) });
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

/** The `op` tag of `rows_written` for each counted operation. */
const OPERATION_TAGS = [
  ['inserted', 'insert'],
  ['updated', 'update'],
  ['deleted', 'delete'],
] as const;
