import { linearRegression, median, quantile, rSquared } from 'simple-statistics';

/** An (x, y) pair a fit used, in the fit's units. */
export interface Point {
  x: number;
  y: number;
}

export interface Line {
  slope: number;
  intercept: number;
}

/**
 * Theil–Sen robust line: the median of the slopes over every pair of points with distinct x, and the
 * median of `y - slope·x` as intercept. Tolerates up to ~29 % outliers. Returns null with < 2 distinct x.
 */
export function theilSen(points: readonly Point[]): Line | null {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i]!;
      const b = points[j]!;
      if (a.x !== b.x) slopes.push((b.y - a.y) / (b.x - a.x));
    }
  }
  if (slopes.length === 0) return null;
  const slope = median(slopes);
  const intercept = median(points.map((p) => p.y - slope * p.x));
  return { slope, intercept };
}

/** Ordinary least squares (simple-statistics), for comparison and goodness. */
export function leastSquares(points: readonly Point[]): Line {
  const { m, b } = linearRegression(points.map((p) => [p.x, p.y]));
  return { slope: m, intercept: b };
}

/** Coefficient of determination of `line` on `points` (1 when y is constant and fitted exactly). */
export function r2(points: readonly Point[], line: Line): number {
  if (points.length < 2) return Number.NaN;
  return rSquared(
    points.map((p) => [p.x, p.y]),
    (x) => line.intercept + line.slope * x,
  );
}

export function residuals(points: readonly Point[], line: Line): number[] {
  return points.map((p) => p.y - (line.intercept + line.slope * p.x));
}

/** Robust residual spread: 1.4826 × median absolute residual (≈ σ for normal noise). */
export function residualSpread(points: readonly Point[], line: Line): number {
  const abs = residuals(points, line).map(Math.abs);
  return abs.length ? 1.4826 * median(abs) : Number.NaN;
}

export function distinctCount(values: readonly number[]): number {
  return new Set(values).size;
}

/** Deterministic PRNG (mulberry32), so bootstrap intervals are reproducible run to run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The 2.5 % and 97.5 % quantiles of `values`. */
export function interval95(values: readonly number[]): [number, number] {
  return [quantile([...values], 0.025), quantile([...values], 0.975)];
}

export { median, quantile };
