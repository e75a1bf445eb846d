import { describe, expect, it } from 'vitest';
import {
  decodeHistogram,
  HISTOGRAM_UNITS_PER_MS,
  mergeAggregates,
  mergeEncodedHistograms,
  type TrendAggregate,
} from '../../src/metrics/index.js';
import { createHistogram, percentilesMs, toHistogramUnits } from '../../src/metrics/histogram.js';
import { TrendSink } from '../../src/metrics/trend-sink.js';

/** HDR with 3 significant digits: every reported value is within 0.1 % of the true one. */
function expectWithinHdr(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(expected * 0.001 + 1e-9);
}

/** Deterministic uniform [0, 1) (mulberry32), so distributions are the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The nearest-rank percentile of sorted values (what HDR approximates). */
function exactPercentile(sorted: readonly number[], percentile: number): number {
  const rank = Math.max(1, Math.ceil((percentile / 100) * sorted.length - 1e-9));
  return sorted[rank - 1] as number;
}

function trendOf(values: readonly number[], expectedIntervalMs?: number): TrendAggregate {
  const sink = new TrendSink();
  for (const value of values) sink.record(value, expectedIntervalMs);
  return sink.aggregate();
}

describe('trend histograms', () => {
  it('gives the percentiles of 1..1000 ms within HDR precision', () => {
    const trend = trendOf(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(trend.n).toBe(1000);
    expect(trend.synthetic).toBe(0);
    expect(trend.min).toBe(1);
    expect(trend.max).toBe(1000);
    expectWithinHdr(trend.p50, 500);
    expectWithinHdr(trend.p90, 900);
    expectWithinHdr(trend.p95, 950);
    expectWithinHdr(trend.p99, 990);
    expectWithinHdr(trend.p999, 999);
    expectWithinHdr(trend.mean, 500.5);
    expect(trend.stdev).toBeCloseTo(288.675, 0);
  });

  it('matches exact percentiles of a skewed (exponential) distribution', () => {
    const next = random(42);
    const values = Array.from({ length: 20_000 }, () => -Math.log(1 - next()) * 40);
    const sorted = [...values].sort((a, b) => a - b);
    const trend = trendOf(values);
    const histogram = decodeHistogram(trend.histogram);
    for (const percentile of [50, 90, 95, 99, 99.9]) {
      const fromHistogram = histogram.getValueAtPercentile(percentile) / HISTOGRAM_UNITS_PER_MS;
      // One microsecond of recording resolution, plus HDR's 0.1 %.
      expect(Math.abs(fromHistogram - exactPercentile(sorted, percentile))).toBeLessThanOrEqual(
        exactPercentile(sorted, percentile) * 0.001 + 0.001,
      );
    }
    expect(trend.min).toBe(sorted[0]);
    expect(trend.max).toBe(sorted.at(-1));
  });

  it('reads many percentiles in one pass exactly as getValueAtPercentile does', () => {
    const next = random(3);
    const histogram = createHistogram();
    for (let i = 0; i < 7919; i++) histogram.recordValue(toHistogramUnits(next() ** 3 * 5000));
    const percentiles = [0, 0.1, 1, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];
    expect(percentilesMs(histogram, percentiles)).toEqual(
      percentiles.map((p) => histogram.getValueAtPercentile(p) / HISTOGRAM_UNITS_PER_MS),
    );
    expect(percentilesMs(createHistogram(), [50, 99])).toEqual([0, 0]);
  });

  it('has exact mean and stdev, synthetic values included', () => {
    const values = [3, 7, 11, 1000];
    const corrected = trendOf(values, 10);
    const all = [...values, ...Array.from({ length: 99 }, (_, i) => 990 - 10 * i)];
    const mean = all.reduce((a, b) => a + b, 0) / all.length;
    const stdev = Math.sqrt(all.reduce((a, b) => a + (b - mean) ** 2, 0) / all.length);
    expect(corrected.synthetic).toBe(99);
    expect(corrected.mean).toBeCloseTo(mean, 9);
    expect(corrected.stdev).toBeCloseTo(stdev, 9);
  });

  it('keeps sub-millisecond resolution (values are recorded in microseconds)', () => {
    const trend = trendOf([0.25, 0.5, 0.75]);
    expect(trend.p50).toBeCloseTo(0.5, 3);
    expect(trend.min).toBe(0.25);
    expect(toHistogramUnits(0.25)).toBe(250);
  });

  it('clamps percentiles into [min, max]: a single sample is every percentile', () => {
    const trend = trendOf([1234.5]);
    expect([trend.p50, trend.p99, trend.p999]).toEqual([1234.5, 1234.5, 1234.5]);
  });

  it('adds the samples a stall hid when an expected interval is set (coordinated omission)', () => {
    // A producer meant to sample every 10 ms; 100 fast answers, then one that took a whole second.
    const values = [...Array.from({ length: 100 }, () => 1), 1000];
    const plain = trendOf(values);
    const corrected = trendOf(values, 10);
    expect(plain.synthetic).toBe(0);
    expect(plain.p99).toBe(1);
    // 990, 980, …, 10 ms: the 99 requests that would have been sent during the stall.
    expect(corrected.n).toBe(101);
    expect(corrected.synthetic).toBe(99);
    expect(decodeHistogram(corrected.histogram).totalCount).toBe(200);
    expect(corrected.p99).toBeGreaterThan(900);
    expect(corrected.p50).toBeGreaterThanOrEqual(1);
    expect(corrected.max).toBe(1000);
    expect(corrected.min).toBe(1);
  });

  it('counts the lowest synthetic value in min', () => {
    const corrected = trendOf([15, 15, 1000], 10);
    expect(corrected.min).toBe(10);
    expect(corrected.synthetic).toBe(99);
  });

  it('adds nothing for values below twice the expected interval', () => {
    expect(trendOf([5, 12, 19], 10).synthetic).toBe(0);
  });
});

describe('merging histograms', () => {
  const next = random(7);
  const first = Array.from({ length: 5000 }, () => next() * 200);
  const second = Array.from({ length: 3000 }, () => 50 + next() * 2000);

  it('mergeEncodedHistograms equals recording every value into one histogram', () => {
    const all = createHistogram();
    for (const value of [...first, ...second]) all.recordValue(toHistogramUnits(value));
    const merged = decodeHistogram(
      mergeEncodedHistograms([trendOf(first).histogram, trendOf(second).histogram]),
    );
    expect(merged.totalCount).toBe(all.totalCount);
    for (let percentile = 0; percentile <= 100; percentile += 2.5) {
      expect(merged.getValueAtPercentile(percentile)).toBe(all.getValueAtPercentile(percentile));
    }
    expect(merged.mean).toBe(all.mean);
    expect(merged.stdDeviation).toBeCloseTo(all.stdDeviation, 9);
  });

  it('mergeAggregates of two trends equals the trend of all samples', () => {
    const merged = mergeAggregates([trendOf(first), trendOf(second)]);
    const single = trendOf([...first, ...second]);
    const { histogram: mergedHistogram, ...mergedFigures } = merged as TrendAggregate;
    const { histogram: singleHistogram, ...singleFigures } = single;
    expect(mergedFigures).toEqual({
      ...singleFigures,
      mean: expect.closeTo(single.mean, 9),
      stdev: expect.closeTo(single.stdev, 9),
    });
    expect(decodeHistogram(mergedHistogram).totalCount).toBe(decodeHistogram(singleHistogram).totalCount);
  });

  it('merges an empty list into an empty histogram', () => {
    expect(decodeHistogram(mergeEncodedHistograms([])).totalCount).toBe(0);
  });

  it('rejects text that is not an encoded histogram', () => {
    expect(() => mergeEncodedHistograms(['not a histogram'])).toThrow();
  });
});
