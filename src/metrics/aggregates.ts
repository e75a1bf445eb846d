import type { MetricKind } from './metric-kind.js';

/**
 * A trend over one window, in milliseconds, over `n + synthetic` values. Percentiles come from the HDR
 * histogram (3 significant digits, clamped into [min, max]); n, min, max, mean and stdev (population) are exact.
 */
export interface TrendAggregate {
  kind: 'trend';
  /** Samples recorded. */
  n: number;
  /** Values added by coordinated-omission correction (0 without an expected interval). */
  synthetic: number;
  min: number;
  max: number;
  mean: number;
  stdev: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  p999: number;
  /** Base64 of the compressed HDR encoding, in microseconds (`HISTOGRAM_UNITS_PER_MS`): merge it later. */
  histogram: string;
}

/** A counter over one window: the sum of its samples, and that sum per second of the window. */
export interface CounterAggregate {
  kind: 'counter';
  count: number;
  /** `count` per second of the window; `null` when the window has no duration yet. */
  rate: number | null;
}

/** A gauge over one window: its last value (and that sample's time), and the extremes it took. */
export interface GaugeAggregate {
  kind: 'gauge';
  last: number;
  /** Time of the last sample, milliseconds since the epoch (which series is latest, when merging). */
  lastTime: number;
  min: number;
  max: number;
}

export type MetricAggregate = TrendAggregate | CounterAggregate | GaugeAggregate;

/** One series (a metric and one set of tag values) in one window. */
export interface SeriesAggregate {
  metric: string;
  tags: Record<string, string>;
  aggregate: MetricAggregate;
}

/** Everything aggregated in one window: a phase, or the whole run (`cumulative`). */
export interface WindowAggregates {
  name: string;
  /** Milliseconds since the epoch. */
  start: number;
  /** When the window closed, or the snapshot time of a window still open. */
  end: number;
  open: boolean;
  series: SeriesAggregate[];
  /** Samples refused (non-finite values; negative trend or counter values), by metric. */
  rejected: Record<string, number>;
}

/** What `MetricRegistry.snapshot()` returns: every phase window in order, and the whole run. */
export interface RegistrySnapshot {
  at: number;
  windows: WindowAggregates[];
  cumulative: WindowAggregates;
}

export type { MetricKind };
