import type { RegistrySnapshot, WindowAggregates } from './aggregates.js';
import { metricKind, type MetricKind, type MetricKindTable } from './metric-kind.js';
import { MetricWindow } from './metric-window.js';
import type { TrendPart } from './trend-sink.js';
import type { Sample, SampleSink } from './sample.js';
import { seriesKey, type Tags } from './tags.js';

export interface MetricRegistryOptions {
  /** Clock for window boundaries and snapshots, milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Kinds of metrics not in `MetricKinds` (or overriding it); other unknown names are gauges. */
  kinds?: MetricKindTable;
  /** Per trend metric, the interval between samples its producer meant to keep (coordinated omission). */
  expectedIntervalsMs?: Readonly<Record<string, number>>;
  /** Name of the window open from construction until the first `beginWindow`. Default `start`. */
  firstWindow?: string;
}

/** The window that spans the whole run in snapshots. */
export const CUMULATIVE_WINDOW = 'cumulative';

/**
 * The sink every producer's samples go to. Per (metric, tags) series it keeps an aggregate chosen by the
 * metric's kind (HDR histogram for trends, sum for counters, last/min/max for gauges), never the samples.
 * Samples land in the current window (by arrival) and in the cumulative one; `beginWindow` at each phase
 * boundary freezes the current window into its aggregates and opens the next.
 */
export class MetricRegistry implements SampleSink {
  private readonly now: () => number;
  private readonly kinds: MetricKindTable;
  private readonly intervals = new Map<string, number>();
  private readonly declared = new Map<string, { metric: string; tags: Tags | undefined }>();
  private readonly closed: WindowAggregates[] = [];
  private readonly cumulative: MetricWindow;
  private readonly cumulativeRejected: Record<string, number> = {};
  private current: MetricWindow;
  private currentRejected: Record<string, number> = {};

  constructor(options: MetricRegistryOptions = {}) {
    this.now = options.now ?? Date.now;
    this.kinds = { ...options.kinds };
    for (const [metric, ms] of Object.entries(options.expectedIntervalsMs ?? {})) {
      this.setExpectedInterval(metric, ms);
    }
    const start = this.now();
    this.cumulative = new MetricWindow(CUMULATIVE_WINDOW, start);
    this.current = new MetricWindow(options.firstWindow ?? 'start', start);
  }

  add(sample: Sample): void {
    const kind = this.kindOf(sample.metric);
    if (!acceptable(sample.value, kind)) {
      this.currentRejected[sample.metric] = (this.currentRejected[sample.metric] ?? 0) + 1;
      this.cumulativeRejected[sample.metric] = (this.cumulativeRejected[sample.metric] ?? 0) + 1;
      return;
    }
    const interval = kind === 'trend' ? this.intervals.get(sample.metric) : undefined;
    const key = seriesKey(sample.metric, sample.tags);
    this.current.record(key, sample, kind, interval);
    this.cumulative.record(key, sample, kind, interval);
  }

  /**
   * Merges a trend recorded elsewhere (a fleet worker thread) into the current window and the cumulative
   * one: histograms and exact moments, never samples.
   */
  mergeTrend(metric: string, tags: Tags | undefined, part: TrendPart): void {
    const key = seriesKey(metric, tags);
    this.current.mergeTrend(key, metric, tags, part);
    this.cumulative.mergeTrend(key, metric, tags, part);
  }

  kindOf(metric: string): MetricKind {
    return metricKind(metric, this.kinds);
  }

  /**
   * Sets (or, with `undefined`, clears) the expected interval of a trend metric, for example when a phase
   * changes the write rate. Applies to samples added from now on.
   */
  setExpectedInterval(metric: string, ms: number | undefined): void {
    if (ms === undefined) {
      this.intervals.delete(metric);
      return;
    }
    if (!Number.isFinite(ms) || ms <= 0) {
      throw new RangeError(`expected interval of ${metric} must be a positive number of ms, got ${ms}`);
    }
    this.intervals.set(metric, ms);
  }

  /**
   * Declares a counter series that reports 0 in every window until counted (so `checksum_failures: ["count
   * == 0"]` has data on a clean run). Returns false, and does nothing, for trends and gauges: they have no
   * meaningful zero.
   */
  declare(metric: string, tags?: Tags): boolean {
    if (this.kindOf(metric) !== 'counter') return false;
    this.declared.set(seriesKey(metric, tags), { metric, tags });
    this.current.declareCounter(metric, tags);
    this.cumulative.declareCounter(metric, tags);
    return true;
  }

  /** Closes the current window at `at` and opens `name`; returns the closed window's aggregates. */
  beginWindow(name: string, at: number = this.now()): WindowAggregates {
    const closed = this.current.aggregates(at, false, this.currentRejected);
    this.closed.push(closed);
    this.current = new MetricWindow(name, at);
    this.currentRejected = {};
    for (const { metric, tags } of this.declared.values()) this.current.declareCounter(metric, tags);
    return closed;
  }

  /** Aggregates of every window so far (the current one still open, ending at `at`) and of the whole run. */
  snapshot(at: number = this.now()): RegistrySnapshot {
    return {
      at,
      windows: [...this.closed, this.current.aggregates(at, true, this.currentRejected)],
      cumulative: this.cumulative.aggregates(at, true, this.cumulativeRejected),
    };
  }
}

function acceptable(value: number, kind: MetricKind): boolean {
  if (!Number.isFinite(value)) return false;
  return kind === 'gauge' || value >= 0;
}
