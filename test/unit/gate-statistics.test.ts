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

describe('Welch t-test on logs (the gate decision rule)', () => {
  it('t distribution: CDF and quantiles of known values', async () => {
    const { studentTCdf, studentTQuantile, logGamma } = await import('../../src/gate/statistics.js');
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
    expect(studentTCdf(0, 3)).toBeCloseTo(0.5, 12);
    // Tables: t_{0.975, 4} = 2.776, t_{0.95, 10} = 1.812, t_{0.995, 2} = 9.925.
    expect(studentTQuantile(0.975, 4)).toBeCloseTo(2.776, 3);
    expect(studentTQuantile(0.95, 10)).toBeCloseTo(1.812, 3);
    expect(studentTQuantile(0.995, 2)).toBeCloseTo(9.925, 3);
    expect(studentTCdf(-2.776, 4)).toBeCloseTo(0.025, 4);
  });

  it('calls the measured 3 + 3 slowdown (p50 e2e 11 → 20 ms) that a rank test could not', async () => {
    const { welchLogRatio, holmAdjust, mannWhitneyGreater } = await import('../../src/gate/index.js');
    const baseline = [11.2, 10.6, 11.9];
    const candidate = [19.4, 21.0, 20.1];
    // The rank test's floor: 1/20 for 3 + 3, above α / 7 whatever the effect.
    expect(mannWhitneyGreater(candidate, baseline).p).toBe(0.05);
    const test = welchLogRatio(candidate, baseline, 1.05);
    expect(test.ratio).toBeGreaterThan(1.7);
    expect(test.low).toBeGreaterThan(1.05);
    // Holm over 7 metrics with this one the smallest: 7 × p.
    expect(holmAdjust([test.p, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])[0]).toBeLessThan(0.05);
    expect(test.detectable(0.05 / 7)).toBeLessThan(1.5);
  });

  it('an A/A pair is not significant, and noise widens what is detectable', async () => {
    const { welchLogRatio } = await import('../../src/gate/index.js');
    const a = welchLogRatio([10, 11, 10.5], [10.4, 10.8, 10.2], 1.05);
    expect(a.p).toBeGreaterThan(0.3);
    const noisy = welchLogRatio([10, 15, 8], [12, 9, 14], 1.05);
    expect(noisy.detectable(0.05)).toBeGreaterThan(a.detectable(0.05));
  });
});
