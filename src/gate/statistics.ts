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

/**
 * Regularized incomplete beta I_x(a, b), by the continued fraction (modified Lentz), using the symmetry
 * I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const logFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 300; m++) {
    const even = (m * (b - m) * x) / ((a + 2 * m - 1) * (a + 2 * m));
    d = 1 + even * d;
    c = 1 + even / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    f *= d * c;
    const odd = -((a + m) * (a + b + m) * x) / ((a + 2 * m) * (a + 2 * m + 1));
    d = 1 + odd * d;
    c = 1 + odd / c;
    d = 1 / (Math.abs(d) < tiny ? tiny : d);
    c = Math.abs(c) < tiny ? tiny : c;
    const delta = d * c;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-12) break;
  }
  return (Math.exp(logFront) * f) / a;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7; relative error < 1e-13). */
export function logGamma(x: number): number {
  const g = 7;
  const coefficients = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let sum = coefficients[0]!;
  for (let i = 1; i < g + 2; i++) sum += coefficients[i]! / (z + i);
  const t = z + g + 0.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Student's t CDF with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The t quantile: bisection on the CDF (monotone), to 1e-10. */
export function studentTQuantile(p: number, df: number): number {
  let low = -1e3;
  let high = 1e3;
  for (let i = 0; i < 200 && high - low > 1e-10; i++) {
    const mid = (low + high) / 2;
    if (studentTCdf(mid, df) < p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

/** A metric's typical run-to-run noise: the standard deviation of its log per run, worth `df` runs. */
export interface NoisePrior {
  sd: number;
  df: number;
}

export interface LogRatioTest {
  /** exp(mean log worse − mean log better): the ratio of geometric means (> 1 is worse). */
  ratio: number;
  /** Its two-sided interval at `level`. */
  low: number;
  high: number;
  level: number;
  /** One-sided p-value of "the ratio exceeds `bound`" (H0: ratio ≤ bound). */
  p: number;
  /** Welch–Satterthwaite degrees of freedom, and the standard error of the log ratio. */
  df: number;
  se: number;
  /**
   * The smallest ratio this many runs would call a regression at `alpha` with this noise (at the boundary,
   * half the time): bound × exp(t_{1−α, df} × standard error). What the run count can detect.
   */
  detectable: (alpha: number) => number;
}

/**
 * Welch's t-test on the logarithms of one statistic per run: does the worse side exceed the better one by
 * more than `bound` times? Run-to-run noise of latency and CPU figures is multiplicative, so logs make it
 * symmetric; unlike a rank test, the p-value is not floored by the number of orderings (3 + 3 runs of a rank
 * test cannot go below 1/20), so a clear slowdown is callable with few runs. Needs ≥ 2 positive values a side.
 */
export function welchLogRatio(
  worse: readonly number[],
  better: readonly number[],
  bound: number,
  level = 0.95,
  prior?: NoisePrior,
): LogRatioTest {
  if (worse.length < 2 || better.length < 2) throw new Error('Welch test needs at least 2 runs a side');
  const lw = worse.map(Math.log);
  const lb = better.map(Math.log);
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const variance = (v: number[], m: number) => v.reduce((s, x) => s + (x - m) ** 2, 0) / (v.length - 1);
  const mw = mean(lw);
  const mb = mean(lb);
  // A per-run figure read from a histogram or a clock moves in steps (p50 e2e of 6 or 7 ms): three runs that
  // all read 6 do not show zero noise. Each side's spread is at least half the smallest step seen between
  // any two values, relative to their level (negligible for continuous figures).
  const floor = resolutionFloor([...worse, ...better], Math.exp((mw + mb) / 2));
  // Three runs estimate a spread poorly (three runs from one mode of a bimodal figure look tight): with a
  // prior, each side's variance is shrunk toward the metric's typical run-to-run noise, worth `prior.df`
  // runs (a moderated t, as limma does for few replicates), and the degrees of freedom grow by as much.
  const moderated = (v: number[], m: number) => {
    const own = Math.max(variance(v, m), floor ** 2);
    if (!prior) return { variance: own, df: v.length - 1 };
    const d = v.length - 1;
    return {
      variance: (prior.df * prior.sd ** 2 + d * own) / (prior.df + d),
      df: prior.df + d,
    };
  };
  const sw = moderated(lw, mw);
  const sb = moderated(lb, mb);
  const vw = sw.variance / lw.length;
  const vb = sb.variance / lb.length;
  const se = Math.sqrt(vw + vb);
  const df = (vw + vb) ** 2 / (vw ** 2 / sw.df + vb ** 2 / sb.df);
  const diff = mw - mb;
  const t = (diff - Math.log(bound)) / se;
  const q = studentTQuantile(1 - (1 - level) / 2, df);
  return {
    ratio: Math.exp(diff),
    low: Math.exp(diff - q * se),
    high: Math.exp(diff + q * se),
    level,
    p: 1 - studentTCdf(t, df),
    df,
    se,
    detectable: (alpha) => bound * Math.exp(studentTQuantile(1 - alpha, df) * se),
  };
}

/** Half the smallest positive difference between two values, relative to `level` (0 when all are equal). */
function resolutionFloor(values: readonly number[], level: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  let step = Infinity;
  for (let i = 1; i < sorted.length; i++) {
    const d = sorted[i]! - sorted[i - 1]!;
    if (d > 0 && d < step) step = d;
  }
  return Number.isFinite(step) && level > 0 ? step / 2 / level : 1e-6;
}
