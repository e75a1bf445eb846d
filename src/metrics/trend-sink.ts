import type { TrendAggregate } from './aggregates.js';
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  toHistogramUnits,
  HISTOGRAM_UNITS_PER_MS,
  type Histogram,
} from './histogram.js';
import { summarizeTrend } from './trend-summary.js';

/**
 * One trend series: an HDR histogram of values in milliseconds, plus exact count, min, max, sum and sum of
 * squares. Keeps no samples. With an expected interval (the time between samples a producer meant to keep), a
 * value of two intervals or more also records the samples a stall kept from being taken: value − interval,
 * value − 2·interval, … down to the interval (HdrHistogram's coordinated-omission correction).
 */
export class TrendSink {
  private readonly histogram: Histogram = createHistogram();
  private n = 0;
  private total = 0;
  private sum = 0;
  private sumOfSquares = 0;
  private min = Infinity;
  private max = -Infinity;

  /** Records `ms` (finite, ≥ 0); `expectedIntervalMs` > 0 turns on coordinated-omission correction. */
  record(ms: number, expectedIntervalMs?: number): void {
    const value = toHistogramUnits(ms);
    this.n += 1;
    this.add(1, ms, ms * ms);
    if (ms > this.max) this.max = ms;
    if (ms < this.min) this.min = ms;
    if (expectedIntervalMs === undefined) {
      this.histogram.recordValue(value);
      return;
    }
    const interval = Math.max(1, toHistogramUnits(expectedIntervalMs));
    this.histogram.recordValueWithExpectedInterval(value, interval);
    if (value >= 2 * interval) this.addSynthetic(value, interval);
  }

  /** The mergeable state of this sink: an encoded histogram and exact moments (for worker threads). */
  part(): TrendPart {
    return {
      histogram: encodeHistogram(this.histogram),
      n: this.n,
      total: this.total,
      sum: this.sum,
      sumOfSquares: this.sumOfSquares,
      min: this.min,
      max: this.max,
    };
  }

  /** Adds another sink's state (recorded elsewhere, e.g. in a worker thread): histograms merge, moments add. */
  merge(part: TrendPart): void {
    if (part.n === 0 && part.total === 0) return;
    this.histogram.add(decodeHistogram(part.histogram));
    this.n += part.n;
    this.add(part.total, part.sum, part.sumOfSquares);
    if (part.min < this.min) this.min = part.min;
    if (part.max > this.max) this.max = part.max;
  }

  aggregate(): TrendAggregate {
    const mean = this.total > 0 ? this.sum / this.total : 0;
    const variance = this.total > 0 ? Math.max(0, this.sumOfSquares / this.total - mean * mean) : 0;
    const moments = {
      n: this.n,
      total: this.total,
      min: this.min,
      max: this.max,
      mean,
      stdev: Math.sqrt(variance),
    };
    return summarizeTrend(this.histogram, moments);
  }

  /** Sums of the k synthetic values v − i, v − 2i, …, v − k·i (k = ⌊v/i⌋ − 1), in closed form. */
  private addSynthetic(value: number, interval: number): void {
    const k = Math.floor(value / interval) - 1;
    const steps = (k * (k + 1)) / 2;
    const sum = k * value - interval * steps;
    const squares =
      k * value * value -
      2 * value * interval * steps +
      (interval * interval * k * (k + 1) * (2 * k + 1)) / 6;
    this.add(k, sum / HISTOGRAM_UNITS_PER_MS, squares / HISTOGRAM_UNITS_PER_MS ** 2);
    // The smallest synthetic value is value − k·interval = interval + (value mod interval).
    this.min = Math.min(this.min, (value - k * interval) / HISTOGRAM_UNITS_PER_MS);
  }

  private add(count: number, sum: number, sumOfSquares: number): void {
    this.total += count;
    this.sum += sum;
    this.sumOfSquares += sumOfSquares;
  }
}

/** What a TrendSink ships to another thread: never the samples. */
export interface TrendPart {
  histogram: string;
  n: number;
  total: number;
  sum: number;
  sumOfSquares: number;
  min: number;
  max: number;
}
