import type { Point } from './stats.js';

/** A Universal Scalability Law fit of latency against load: R(N) = R1 · (1 + σ(N − 1) + κ·N(N − 1)). */
export interface UslFit {
  /** Latency at one connection (ms). */
  r1: number;
  /** Contention (serial fraction). */
  sigma: number;
  /** Coherency (crosstalk) cost. */
  kappa: number;
  r2: number;
  /** Load where throughput N / R(N) peaks: √((1 − σ) / κ); undefined when κ ≤ 0 or σ ≥ 1. */
  peakConnections: number | undefined;
  predict(n: number): number;
}

/**
 * Fits the USL by least squares. With a = R1, b = R1·σ and c = R1·κ the model R(N) = a + b(N − 1) +
 * c·N(N − 1) is linear in (a, b, c), so ordinary least squares on the 3 × 3 normal equations suffices.
 * Returns undefined with fewer than 4 distinct levels or a singular system.
 */
export function fitUsl(points: readonly Point[]): UslFit | undefined {
  if (new Set(points.map((p) => p.x)).size < 4) return undefined;
  const rows = points.map((p) => [1, p.x - 1, p.x * (p.x - 1)] as const);
  const ata = [0, 1, 2].map((i) => [0, 1, 2].map((j) => rows.reduce((s, r) => s + r[i]! * r[j]!, 0)));
  const aty = [0, 1, 2].map((i) => rows.reduce((s, r, k) => s + r[i]! * points[k]!.y, 0));
  const solution = solve3(ata, aty);
  if (!solution) return undefined;
  const [a, b, c] = solution as [number, number, number];
  if (!(a > 0)) return undefined;
  const predict = (n: number) => a + b * (n - 1) + c * n * (n - 1);
  const mean = points.reduce((s, p) => s + p.y, 0) / points.length;
  const total = points.reduce((s, p) => s + (p.y - mean) ** 2, 0);
  const residual = points.reduce((s, p) => s + (p.y - predict(p.x)) ** 2, 0);
  const sigma = b / a;
  const kappa = c / a;
  return {
    r1: a,
    sigma,
    kappa,
    r2: total === 0 ? 1 : 1 - residual / total,
    peakConnections: kappa > 0 && sigma < 1 ? Math.sqrt((1 - sigma) / kappa) : undefined,
    predict,
  };
}

/** Gaussian elimination with partial pivoting for a 3 × 3 system. */
function solve3(matrix: number[][], vector: number[]): number[] | undefined {
  const m = matrix.map((row, i) => [...row, vector[i]!]);
  for (let col = 0; col < 3; col++) {
    let pivot = col;
    for (let r = col + 1; r < 3; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (Math.abs(m[pivot]![col]!) < 1e-12) return undefined;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = 0; r < 3; r++) {
      if (r === col) continue;
      const factor = m[r]![col]! / m[col]![col]!;
      for (let k = col; k < 4; k++) m[r]![k]! -= factor * m[col]![k]!;
    }
  }
  return [0, 1, 2].map((i) => m[i]![3]! / m[i]![i]!);
}
