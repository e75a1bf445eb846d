import { residuals, seededRandom, theilSen, type Line, type Point } from './stats.js';

export interface BootstrapResult {
  /** The refitted lines, one per replicate. */
  lines: Line[];
  /** Residuals of the original fit, centred, scaled for the lost degrees of freedom. */
  residuals: number[];
}

export const BOOTSTRAP_REPLICATES = 1000;

/**
 * Residual bootstrap of a Theil–Sen fit: the load levels (x) are designed, not sampled, so each replicate
 * keeps the x values and adds resampled residuals to the fitted line, then refits.
 */
export function bootstrapLine(
  points: readonly Point[],
  line: Line,
  replicates = BOOTSTRAP_REPLICATES,
  seed = 1,
): BootstrapResult {
  const random = seededRandom(seed);
  const n = points.length;
  const scale = n > 2 ? Math.sqrt(n / (n - 2)) : 1;
  const raw = residuals(points, line);
  const centre = raw.reduce((a, b) => a + b, 0) / n;
  const res = raw.map((r) => (r - centre) * scale);
  const lines: Line[] = [];
  for (let i = 0; i < replicates; i++) {
    const sample = points.map((p) => ({
      x: p.x,
      y: line.intercept + line.slope * p.x + res[Math.floor(random() * n)]!,
    }));
    const refit = theilSen(sample);
    if (refit) lines.push(refit);
  }
  return { lines, residuals: res };
}
