import { interval95 } from '../fits/stats.js';
import type { LatencyLevel } from '../levels/levels.js';

/** Bootstrap replicates behind each ratio's interval. */
export const REPLICATES = 2000;

/** A cost dimension a calibration carries from the reference service to a real one. */
export type DimensionName =
  | 'api_rss_per_connection'
  | 'api_baseline_rss'
  | 'api_cpu_per_connection'
  | 'api_cpu_per_connection_tx'
  | 'api_baseline_cpu'
  | 'api_cpu_per_op'
  | 'checkpoint_latency_per_connection'
  | 'checkpoint_latency_baseline'
  | 'replication_cpu_per_op'
  | 'replication_baseline_cpu'
  | 'replication_max_rate'
  | 'compaction_ops_per_second'
  | 'compaction_peak_memory';

export interface DimensionRatio {
  name: DimensionName;
  unit: string;
  reference: number;
  real: number;
  /** real / reference. */
  ratio: number;
  /** 95 % bootstrap interval of the ratio (points of both runs resampled); absent with n = 1. */
  interval?: [number, number];
  /** Points (levels) fitted on each side: reference, real. */
  n?: [number, number];
  /**
   * Set when the cost is carried as a difference, not a ratio: the reference's baseline is within noise of
   * zero while the real service's is clearly positive (a fixed cost the reference does not have). `ratio` is
   * then NaN and translation adds `difference` (real − reference).
   */
  difference?: { value: number; interval: [number, number] };
  note?: string;
}

export interface CalibrationShape {
  scenario: string;
  /** Client transports used (sorted, deduplicated). */
  transports: string[];
  compression: string;
  /** Bucket definitions in the sync config; null when the run did not record it. */
  syncConfigBuckets: number | null;
}

export interface Calibration {
  kind: 'syncscale-calibration';
  version: 1;
  createdAt: string;
  reference: { runId: string; service: string };
  real: { runId: string; service: string };
  shape: CalibrationShape;
  dimensions: DimensionRatio[];
  /** Dimensions with no ratio, with why. */
  notEstimated: Array<{ name: DimensionName; reason: string }>;
  /**
   * The real run's held levels with their latency p99s: latency is carried as these measured bounds, not as
   * a ratio of baselines. A sizing with this calibration checks every objective against them.
   */
  realLatencyLevels?: LatencyLevel[];
  /**
   * Set when the API CPU model (a + b·c + k·c·r, the sizing's `rate` form) is carried coefficient by
   * coefficient; absent in calibrations that carry only the linear CPU fit.
   */
  cpuModel?: { form: 'rate' };
  /**
   * The real run's own API CPU levels (connections, write rate, cores). When the calibration cannot carry
   * every coefficient of the CPU model, the sizing fits these instead of a half-translated reference model.
   */
  realCpuLevels?: Array<{ phase: string; connections: number; rate: number; cpu: number }>;
  /** Phases of either run left out (invalid), named. */
  leftOut?: string[];
}

/** A ratio whose 95 % interval reaches beyond this factor either way of the estimate is not carried. */
export const MAX_RATIO_SPREAD = 3;
/** A ratio beyond ×100 either way is not a cost difference but a difference in what was measured. */
export const MAX_PLAUSIBLE_RATIO = 100;
/** Valid connection levels each run needs before anything is calibrated. */
export const MIN_VALID_LEVELS = 3;

/**
 * The ratio real/reference of one cost, or why it is not carried: not positive on both sides, a side within
 * noise of zero (its own 95 % interval reaches 0), implausible (beyond ×100), or too uncertain (its bootstrap
 * interval wider than ×3 either way).
 */
export function judgeRatio(input: {
  name: DimensionName;
  unit: string;
  reference: number;
  real: number;
  /** Bootstrap replicates of the ratio. */
  samples: readonly number[];
  /** Each side's own 95 % interval of its estimate. */
  sides?: { ref?: [number, number]; real?: [number, number] };
  /** Points fitted on each side. */
  n: [number, number];
}): DimensionRatio | { name: DimensionName; reason: string } {
  const { name, unit, reference: ref, real: rl, samples, sides } = input;
  if (!(ref > 0) || !(rl > 0))
    return { name, reason: `not positive on both services (reference ${ref}, real ${rl} ${unit}): no ratio` };
  for (const [label, interval] of [
    ['reference', sides?.ref],
    ['real', sides?.real],
  ] as const)
    if (interval && interval[0] <= 0)
      return {
        name,
        reason: `the ${label} estimate is within noise of zero (its 95 % interval [${interval[0].toPrecision(3)}, ${interval[1].toPrecision(3)}] ${unit} reaches 0)`,
      };
  const ratio = rl / ref;
  if (ratio > MAX_PLAUSIBLE_RATIO || ratio < 1 / MAX_PLAUSIBLE_RATIO)
    return {
      name,
      reason: `implausible: ×${ratio.toPrecision(3)} (${ref.toPrecision(3)} → ${rl.toPrecision(3)} ${unit}) — a cost two services differ in by over ×${MAX_PLAUSIBLE_RATIO} means the two runs measured different things (e.g. what counts as an operation)`,
    };
  const enough = samples.length >= REPLICATES / 4;
  if (enough) {
    const [lo, hi] = interval95(samples);
    if (!(lo > 0) || hi / ratio > MAX_RATIO_SPREAD || ratio / lo > MAX_RATIO_SPREAD)
      return {
        name,
        reason: `too uncertain to carry: ×${ratio.toPrecision(3)} with a 95 % interval [${lo.toPrecision(3)}–${hi.toPrecision(3)}], wider than ×${MAX_RATIO_SPREAD} either way (n = ${input.n[0]} reference, ${input.n[1]} real points)`,
      };
  }
  return {
    name,
    unit,
    reference: ref,
    real: rl,
    ratio,
    n: input.n,
    ...(enough
      ? { interval: interval95(samples) }
      : { note: 'too few usable bootstrap resamples for an interval' }),
  };
}
