import { median as ssMedian } from 'simple-statistics';
import { seededRandom } from '../analysis/index.js';

/** Median of a non-empty list (simple-statistics; throws on an empty one). */
export function median(values: readonly number[]): number {
  return ssMedian(values as number[]);
}

/** Robust spread: median absolute deviation from the median, relative to the median (0 when it is 0). */
export function relativeMad(values: readonly number[]): number {
  const m = median(values);
  if (m === 0) return 0;
  return median(values.map((v) => Math.abs(v - m))) / Math.abs(m);
}

export interface RatioInterval {
  /** median(numerator) / median(denominator). */
  ratio: number;
  low: number;
  high: number;
  level: number;
  replicates: number;
}

/**
 * Percentile bootstrap interval of the ratio of medians `median(numerator) / median(denominator)`: each
 * side resampled with replacement on its own (the runs of two builds are independent), seeded so the
 * same figures always give the same interval. A replicate whose denominator median is 0 is skipped.
 */
export function bootstrapRatioOfMedians(
  numerator: readonly number[],
  denominator: readonly number[],
  options: { level?: number; replicates?: number; seed?: number } = {},
): RatioInterval {
  const level = options.level ?? 0.95;
  const replicates = options.replicates ?? 4000;
  const random = seededRandom(options.seed ?? 0x5eed);
  const resampleMedian = (values: readonly number[]) => {
    const draw = new Array<number>(values.length);
    for (let i = 0; i < values.length; i++) draw[i] = values[Math.floor(random() * values.length)]!;
    return median(draw);
  };
  const ratios: number[] = [];
  for (let r = 0; r < replicates; r++) {
    const d = resampleMedian(denominator);
    if (d !== 0) ratios.push(resampleMedian(numerator) / d);
  }
  ratios.sort((a, b) => a - b);
  const at = (q: number) => ratios[Math.min(ratios.length - 1, Math.max(0, Math.floor(q * ratios.length)))]!;
  const alpha = 1 - level;
  const m = median(denominator);
  return {
    ratio: m === 0 ? Number.NaN : median(numerator) / m,
    low: ratios.length ? at(alpha / 2) : Number.NaN,
    high: ratios.length ? at(1 - alpha / 2) : Number.NaN,
    level,
    replicates: ratios.length,
  };
}

export interface MannWhitneyResult {
  /** U of the first sample: pairs (x, y) with x > y, ties counting ½. */
  u: number;
  /** One-sided p-value for "the first sample tends to be larger". */
  p: number;
  method: 'exact' | 'normal';
}

/**
 * Mann–Whitney U test, one-sided: does `x` tend to be larger than `y`? Exact null distribution when there
 * are no ties and the samples are small (the usual gate sizes); otherwise the normal approximation with
 * tie correction and continuity correction.
 */
export function mannWhitneyGreater(x: readonly number[], y: readonly number[]): MannWhitneyResult {
  const m = x.length;
  const n = y.length;
  if (m === 0 || n === 0) throw new Error('Mann–Whitney needs two non-empty samples');
  let u = 0;
  for (const a of x) for (const b of y) u += a > b ? 1 : a === b ? 0.5 : 0;
  const all = [...x, ...y];
  const ties = tieGroups(all);
  if (ties.length === 0 && m + n <= 60) {
    const counts = exactUDistribution(m, n);
    const total = counts.reduce((s, c) => s + c, 0);
    let tail = 0;
    for (let k = Math.ceil(u); k < counts.length; k++) tail += counts[k]!;
    return { u, p: tail / total, method: 'exact' };
  }
  const N = m + n;
  const mean = (m * n) / 2;
  const tieTerm = ties.reduce((s, t) => s + (t ** 3 - t), 0);
  const variance = ((m * n) / 12) * (N + 1 - tieTerm / (N * (N - 1)));
  if (variance <= 0) return { u, p: 0.5, method: 'normal' };
  const z = (u - mean - 0.5) / Math.sqrt(variance);
  return { u, p: 1 - normalCdf(z), method: 'normal' };
}

/** Sizes of the groups of equal values (only groups of 2 or more). */
function tieGroups(values: readonly number[]): number[] {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.values()].filter((c) => c > 1);
}

/**
 * counts[u] = number of orderings of m x's and n y's with statistic u, by the recurrence
 * f(m, n, u) = f(m − 1, n, u − n) + f(m, n − 1, u) (the largest value is an x or a y).
 */
function exactUDistribution(m: number, n: number): number[] {
  // table[i][j] is the distribution for sizes (i, j).
  let previousRow: number[][] = [];
  for (let i = 0; i <= m; i++) {
    const row: number[][] = [];
    for (let j = 0; j <= n; j++) {
      if (i === 0 || j === 0) {
        row.push([1]);
        continue;
      }
      const withX = previousRow[j]!; // (i − 1, j), shifted by j
      const withY = row[j - 1]!; // (i, j − 1)
      const dist = new Array<number>(i * j + 1).fill(0);
      for (let k = 0; k < withX.length; k++) dist[k + j]! += withX[k]!;
      for (let k = 0; k < withY.length; k++) dist[k]! += withY[k]!;
      row.push(dist);
    }
    previousRow = row;
  }
  return previousRow[n]!;
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf; error < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(z)) / Math.SQRT2);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(z * z) / 2);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * Holm–Bonferroni step-down adjustment: adjusted p-values in the input order, each compared with the
 * family-wise α directly. Monotone (an adjusted value never falls below the one before it in rank order).
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(pValues.length);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (pValues.length - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
