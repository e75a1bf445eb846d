import type { Point } from './stats.js';

/** Every fit the sizing model makes, by name. */
export type FitKind =
  | 'api-memory'
  | 'api-heap'
  | 'api-cpu-per-connection'
  | 'api-cpu-per-op'
  | 'api-latency'
  | 'replication-cpu'
  | 'replication-memory'
  | 'replication-max-rate'
  | 'compaction-duration'
  | 'compaction-memory'
  | 'storage-per-op'
  | 'storage-per-row'
  | 'oplog-per-op';

export interface Axis {
  name: string;
  unit: string;
}

/** One estimated parameter, with its unit and (when there is one) its bootstrap 95 % interval. */
export interface Estimate {
  name: string;
  value: number;
  unit: string;
  interval?: [number, number];
  /** The true value is at least `value` (e.g. a replicator that never saturated). */
  lowerBound?: boolean;
}

/** A predicted value with its 95 % prediction band (bootstrap lines plus resampled residuals). */
export interface Prediction {
  value: number;
  low: number;
  high: number;
}

export interface Goodness {
  /** R² of the robust line on the points. */
  r2?: number;
  /** 1.4826 × median |residual|, in the y unit. */
  residualSpread?: number;
}

/**
 * A fit of one quantity against another. Serialises to JSON as is (`predict` is dropped). When the data
 * cannot support the fit, `refused` says why and `predict` returns null.
 */
export interface Fit {
  kind: FitKind;
  description: string;
  x: Axis;
  y: Axis;
  /** Points used. */
  n: number;
  /** Distinct x values (load levels). */
  levels: number;
  estimates: Estimate[];
  /** Bootstrap 95 % interval of the main estimate (the slope for a line). */
  interval?: [number, number];
  goodness: Goodness;
  points: Point[];
  refused?: string;
  notes: string[];
  predict: (x: number) => Prediction | null;
}

export const noPrediction = (): Prediction | null => null;

/** The main (first) estimate of a fit that was not refused, else undefined. */
export function mainEstimate(fit: Fit | undefined): Estimate | undefined {
  return fit && !fit.refused ? fit.estimates[0] : undefined;
}
