import { MetricName, type SampleSink } from '../metrics/index.js';
import { LogHistogram, type LatencyStats } from './log-histogram.js';
import type { WriteCounts } from './write-statement.js';
import { judgeSchedule, MIN_LATE_GAP_MS } from './schedule-verdict.js';

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
  /** Transactions that started after the settle window (judged), and how many started later than one gap. */
  started: number;
  /** Transactions that started in the settle window: lateness not judged. */
  settleStarts: number;
  lateStarts: number;
  /** Late starts that waited for a free writer connection (source backpressure), not counted in lateStarts. */
  lateWhileBusy: number;
  /** Dropped while every writer connection was busy (part of `dropped`). */
  droppedWhileBusy: number;
  /** What "late" meant: one inter-arrival gap at the target rate (at least 10 ms). */
  lateGapMs: number;
  /** The generator was the bottleneck (see schedule-verdict.ts): the phase's writes are invalid. */
  behindSchedule: boolean;
  /** The source database did not keep up: a finding; the level is not sized as sustained. */
  sourceBackpressure?: string;
  /** The level ran as asked: on schedule, no backpressure, rate achieved. */
  sustained: boolean;
  /** False when too few transactions started to judge lateness. */
  judged: boolean;
  reason: string;
}

export interface WriteStatsOptions {
  sink?: SampleSink;
  tags?: Record<string, string>;
  targetRate: number;
  rowsPerTransaction: number;
  maxLagMs: number;
  /** Transactions at once (writer connections), for the report. */
  concurrency?: number;
  /**
   * The schedule's first milliseconds are a settle window: starts scheduled in it are recorded but their
   * lateness is not judged (a level's clients connect then, in the same process). Default 0.
   */
  settleMs?: number;
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
  private startedCount = 0;
  private settleStarts = 0;
  private lateStarts = 0;
  private lateWhileBusy = 0;
  private droppedWhileBusy = 0;
  private scheduleEnd: number | undefined;
  private missedRows = 0;
  private startedAt: number | undefined;
  private endedAt: number | undefined;
  private lastCommitAt = 0;
  private aborted = false;
  private running = false;

  /** One inter-arrival gap at the target rate, never below MIN_LATE_GAP_MS (fixed per run: read per start). */
  private readonly lateGapMs: number;

  constructor(private readonly options: WriteStatsOptions) {
    const rate = options.targetRate;
    this.lateGapMs = Math.max(MIN_LATE_GAP_MS, rate > 0 ? 1000 / rate : Infinity);
  }

  begin(now: number): void {
    this.startedAt = now;
    this.running = true;
  }

  /** The run is over; `scheduleEnd` is where the schedule stopped (its end, or the abort). */
  end(scheduleEnd: number, aborted: boolean): void {
    this.scheduleEnd = scheduleEnd;
    this.endedAt = Math.max(scheduleEnd, this.lastCommitAt);
    this.aborted = aborted;
    this.running = false;
  }

  arrived(): void {
    this.scheduled++;
  }

  /**
   * A transaction started `lagMs` after its scheduled time (`scheduledAt`, on the clock of `begin`);
   * `waitedForSlot` when every connection was busy.
   */
  started(lagMs: number, waitedForSlot = false, scheduledAt?: number): void {
    this.lag.record(lagMs);
    this.emit(MetricName.writeScheduleLag, lagMs);
    const settle = this.options.settleMs ?? 0;
    if (
      settle > 0 &&
      scheduledAt !== undefined &&
      this.startedAt !== undefined &&
      scheduledAt < this.startedAt + settle
    ) {
      this.settleStarts++;
      return;
    }
    this.startedCount++;
    if (lagMs > this.lateGapMs) {
      if (waitedForSlot) this.lateWhileBusy++;
      else this.lateStarts++;
    }
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

  droppedOne(whileBusy = false): void {
    this.dropped++;
    if (whileBusy) this.droppedWhileBusy++;
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
    const commitMs = this.commit.stats();
    const scheduleMs =
      this.startedAt === undefined ? 0 : (this.scheduleEnd ?? this.endedAt ?? now) - this.startedAt;
    const verdict = judgeSchedule({
      scheduled: this.scheduled,
      started: this.startedCount,
      settleStarts: this.settleStarts,
      lateStarts: this.lateStarts,
      lateWhileBusy: this.lateWhileBusy,
      lateGapMs: this.lateGapMs,
      droppedFree: this.dropped - this.droppedWhileBusy,
      droppedWhileBusy: this.droppedWhileBusy,
      maxLagMs: this.options.maxLagMs,
      targetRate: this.options.targetRate,
      scheduledRate: scheduleMs > 0 ? (this.scheduled * 1000) / scheduleMs : 0,
      achievedRate: perSecond(this.transactions),
      failed: this.failed,
      commitP99Ms: commitMs.p99,
    });
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
      commitMs,
      scheduleLagMs,
      responseMs: this.response.stats(),
      missedRows: this.missedRows,
      errors: { ...this.errors },
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      aborted: this.aborted,
      running: this.running,
      started: this.startedCount,
      settleStarts: this.settleStarts,
      lateStarts: this.lateStarts,
      lateWhileBusy: this.lateWhileBusy,
      droppedWhileBusy: this.droppedWhileBusy,
      lateGapMs: this.lateGapMs,
      ...verdict,
    };
  }

  private emit(metric: string, value: number, extra?: Record<string, string>): void {
    const sink = this.options.sink;
    if (!sink) return;
    const tags = extra ? { ...this.options.tags, ...extra } : this.options.tags;
    sink.add({ metric, value, time: Date.now(), ...(tags ? { tags } : {}) });
  }
}

/** The `op` tag of `rows_written` for each counted operation. */
const OPERATION_TAGS = [
  ['inserted', 'insert'],
  ['updated', 'update'],
  ['deleted', 'delete'],
] as const;
