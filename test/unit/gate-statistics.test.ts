import { describe, expect, it } from 'vitest';
import {
  bootstrapRatioOfMedians,
  holmAdjust,
  mannWhitneyGreater,
  median,
  normalCdf,
  relativeMad,
} from '../../src/gate/index.js';

describe('gate statistics', () => {
  it('median and relative MAD', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(relativeMad([10, 11, 9, 10, 30])).toBeCloseTo(0.1);
    expect(() => median([])).toThrow();
  });

  it('Mann–Whitney U: exact one-sided p-values of textbook cases', () => {
    // Complete separation of 3 vs 3: 1 ordering in C(6,3) = 20.
    expect(mannWhitneyGreater([4, 5, 6], [1, 2, 3])).toEqual({ u: 9, p: 1 / 20, method: 'exact' });
    expect(mannWhitneyGreater([1, 2, 3], [4, 5, 6]).p).toBe(1);
    // 5 vs 5 separated: 1 / C(10,5) = 1/252; one overlap: 2/252.
    expect(mannWhitneyGreater([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]).p).toBeCloseTo(1 / 252, 12);
    expect(mannWhitneyGreater([4.5, 7, 8, 9, 10], [1, 2, 3, 4, 5]).p).toBeCloseTo(2 / 252, 12);
    // The exact distribution sums to 1: P(U ≥ 0) = 1.
    expect(mannWhitneyGreater([1, 2], [3, 4, 5]).p).toBe(1);
  });

  it('Mann–Whitney U: normal approximation with ties agrees with the exact test roughly', () => {
    const tied = mannWhitneyGreater([2, 3, 3, 4, 5, 6], [1, 2, 2, 3, 3, 4]);
    expect(tied.method).toBe('normal');
    expect(tied.p).toBeGreaterThan(0.02);
    expect(tied.p).toBeLessThan(0.2);
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 5);
  });

  it('Holm–Bonferroni adjusts step-down and stays monotone', () => {
    expect(holmAdjust([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06]);
    expect(holmAdjust([0.5, 0.001])).toEqual([0.5, 0.002]);
    expect(holmAdjust([0.9, 0.9])).toEqual([1, 1]);
  });

  it('bootstrap interval of the ratio of medians: seeded, contains the ratio, narrows with data', () => {
    const base = [100, 104, 98, 101, 99];
    const cand = [125, 130, 124, 127, 126];
    const a = bootstrapRatioOfMedians(cand, base, { seed: 7 });
    const b = bootstrapRatioOfMedians(cand, base, { seed: 7 });
    expect(a).toEqual(b);
    expect(a.ratio).toBeCloseTo(126 / 100, 10);
    expect(a.low).toBeLessThanOrEqual(a.ratio);
    expect(a.high).toBeGreaterThanOrEqual(a.ratio);
    expect(a.low).toBeGreaterThan(1.15);
    const same = bootstrapRatioOfMedians(base, base);
    expect(same.low).toBeLessThanOrEqual(1);
    expect(same.high).toBeGreaterThanOrEqual(1);
    const wide = bootstrapRatioOfMedians([90, 110, 95, 105, 100], [80, 120, 100, 90, 110]);
    expect(wide.high - wide.low).toBeGreaterThan(a.high - a.low);
  });
});
