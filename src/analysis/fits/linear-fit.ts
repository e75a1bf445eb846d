import { bootstrapLine } from './bootstrap.js';
import type { Axis, Estimate, Fit, FitKind, Prediction } from './fit-types.js';
import {
  distinctCount,
  interval95,
  quantile,
  r2,
  residualSpread,
  theilSen,
  type Line,
  type Point,
} from './stats.js';

export interface LinearFitOptions {
  kind: FitKind;
  description: string;
  x: Axis;
  y: Axis;
  /** Name of the slope estimate, e.g. 'RSS per connection'. */
  slopeName: string;
  interceptName: string;
  /** Refuse when the slope is ≤ 0 (a per-unit cost must be positive). Default true. */
  requirePositiveSlope?: boolean;
  /** Fewest distinct x levels accepted. Default 3. */
  minLevels?: number;
  /** Why the input cannot be trusted at all (an invalid run), if it cannot. */
  invalidReason?: string;
  seed?: number;
}

/** Refusal reasons, in the order they are checked. */
export function linearRefusal(
  points: readonly Point[],
  line: Line | null,
  interval: [number, number] | undefined,
  options: LinearFitOptions,
): string | undefined {
  const minLevels = options.minLevels ?? 3;
  const levels = distinctCount(points.map((p) => p.x));
  if (options.invalidReason) return `the run is invalid: ${options.invalidReason}`;
  if (levels < minLevels)
    return `too few levels: ${levels} distinct ${options.x.name} level(s), at least ${minLevels} needed`;
  if (!line) return 'no two points with distinct x';
  if ((options.requirePositiveSlope ?? true) && !(line.slope > 0))
    return `non-positive slope (${formatNumber(line.slope)} ${options.y.unit}/${options.x.unit}): ${options.y.name} does not grow measurably with ${options.x.name} in the measured range`;
  if (interval) {
    const halfWidth = (interval[1] - interval[0]) / 2;
    if (halfWidth > Math.abs(line.slope))
      return `too noisy: the 95 % interval of the slope [${formatNumber(interval[0])}, ${formatNumber(interval[1])}] is wider than ± the estimate ${formatNumber(line.slope)}`;
  }
  return undefined;
}

/** Theil–Sen line with residual-bootstrap intervals and prediction band; refuses unsupported data. */
export function fitLine(points: readonly Point[], options: LinearFitOptions): Fit {
  const line = theilSen(points);
  const boot = line ? bootstrapLine(points, line, undefined, options.seed) : undefined;
  const slopeInterval = boot && boot.lines.length ? interval95(boot.lines.map((l) => l.slope)) : undefined;
  const interceptInterval =
    boot && boot.lines.length ? interval95(boot.lines.map((l) => l.intercept)) : undefined;
  const refused = linearRefusal(points, line, slopeInterval, options);
  const estimates: Estimate[] = line
    ? [
        {
          name: options.slopeName,
          value: line.slope,
          unit: `${options.y.unit}/${options.x.unit}`,
          interval: slopeInterval,
        },
        {
          name: options.interceptName,
          value: line.intercept,
          unit: options.y.unit,
          interval: interceptInterval,
        },
      ]
    : [];
  return {
    kind: options.kind,
    description: options.description,
    x: options.x,
    y: options.y,
    n: points.length,
    levels: distinctCount(points.map((p) => p.x)),
    estimates,
    interval: slopeInterval,
    goodness: line ? { r2: r2(points, line), residualSpread: residualSpread(points, line) } : {},
    points: [...points],
    refused,
    notes: ['Theil–Sen line (median of pairwise slopes); 95 % intervals from 1000 residual-bootstrap refits'],
    predict: refused || !line || !boot ? () => null : (x) => predictBand(line, boot.lines, boot.residuals, x),
  };
}

/** Point prediction on the fitted line; band = 2.5/97.5 % of bootstrap lines plus a resampled residual. */
export function predictBand(
  line: Line,
  lines: readonly Line[],
  res: readonly number[],
  x: number,
): Prediction {
  const values = lines.map((l, i) => l.intercept + l.slope * x + (res[(i * 7919) % res.length] ?? 0));
  return {
    value: line.intercept + line.slope * x,
    low: quantile(values, 0.025),
    high: quantile(values, 0.975),
  };
}

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 0.001 || abs >= 1e7)) return value.toExponential(3);
  return String(Number(value.toPrecision(4)));
}
