import type { TrendAggregate } from './aggregates.js';
import { encodeHistogram, percentilesMs, type Histogram } from './histogram.js';

/** Exact figures a trend keeps beside its histogram, in milliseconds. */
export interface TrendMoments {
  /** Samples recorded. */
  n: number;
  /** Values in the histogram: samples plus synthetic (coordinated-omission) values. */
  total: number;
  min: number;
  max: number;
  /** Mean and population standard deviation of all `total` values. */
  mean: number;
  stdev: number;
}

const PERCENTILES = [50, 90, 95, 99, 99.9];

/**
 * A trend aggregate from its histogram (percentiles) and exact moments. Percentiles are clamped into
 * `[min, max]`: the histogram reports the top of a value's bucket, which may lie just above the true max.
 */
export function summarizeTrend(histogram: Histogram, moments: TrendMoments): TrendAggregate {
  const clamp = (value: number) => Math.min(moments.max, Math.max(moments.min, value));
  const [p50, p90, p95, p99, p999] = percentilesMs(histogram, PERCENTILES).map(clamp) as [
    number,
    number,
    number,
    number,
    number,
  ];
  return {
    kind: 'trend',
    n: moments.n,
    synthetic: moments.total - moments.n,
    min: moments.min,
    max: moments.max,
    mean: moments.mean,
    stdev: moments.stdev,
    p50,
    p90,
    p95,
    p99,
    p999,
    histogram: encodeHistogram(histogram),
  };
}

/** Moments of several trends together (Chan et al.'s parallel variance). */
export function combineMoments(parts: readonly TrendMoments[]): TrendMoments {
  const total = parts.reduce((sum, part) => sum + part.total, 0);
  const mean = total > 0 ? parts.reduce((sum, part) => sum + part.mean * part.total, 0) / total : 0;
  const spread = parts.reduce(
    (sum, part) => sum + part.total * (part.stdev ** 2 + (part.mean - mean) ** 2),
    0,
  );
  return {
    n: parts.reduce((sum, part) => sum + part.n, 0),
    total,
    min: parts.reduce((least, part) => Math.min(least, part.min), Infinity),
    max: parts.reduce((most, part) => Math.max(most, part.max), -Infinity),
    mean,
    stdev: total > 0 ? Math.sqrt(spread / total) : 0,
  };
}

/** The moments a trend aggregate carries. */
export function momentsOf(trend: TrendAggregate): TrendMoments {
  const { n, synthetic, min, max, mean, stdev } = trend;
  return { n, total: n + synthetic, min, max, mean, stdev };
}
