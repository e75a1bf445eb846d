import type { Fit, Prediction } from '../fits/fit-types.js';
import {
  judgeRatio,
  MAX_PLAUSIBLE_RATIO,
  MAX_RATIO_SPREAD,
  MIN_VALID_LEVELS,
  REPLICATES,
  type Calibration,
  type CalibrationShape,
  type DimensionName,
  type DimensionRatio,
} from './ratios.js';
import { fitRun, type RunFits } from '../fits/fit-run.js';
import { connectionLevels, cpuLevels, latencyLevels } from '../levels/levels.js';
import { validPart, type RunResults } from '../levels/run-results.js';
import { seededRandom, theilSen, type Point } from '../fits/stats.js';
import { cpuModelDimensions, cpuModelErrors } from './cpu-calibration.js';

export {
  judgeRatio,
  MAX_PLAUSIBLE_RATIO,
  MAX_RATIO_SPREAD,
  MIN_VALID_LEVELS,
  type Calibration,
  type CalibrationShape,
  type DimensionName,
  type DimensionRatio,
};

export class CalibrationError extends Error {
  override name = 'CalibrationError';
}

/** The scenario shape a calibration depends on, read from a run's results. */
export function shapeOf(run: RunResults): CalibrationShape {
  const scenario = run.scenario as {
    name: string;
    compression?: string;
    syncConfig?: { buckets?: number };
  };
  const plan = (
    run as { plan?: { phases?: Array<{ clients?: { transports?: Array<{ transport: string }> } }> } }
  ).plan;
  const transports = [
    ...new Set((plan?.phases ?? []).flatMap((p) => (p.clients?.transports ?? []).map((t) => t.transport))),
  ].sort();
  return {
    scenario: scenario.name,
    transports,
    compression: scenario.compression ?? 'none',
    syncConfigBuckets: scenario.syncConfig?.buckets ?? null,
  };
}

/** What differs between a calibration's shape and a run's, in words; empty when they match. */
export function shapeDifferences(calibrated: CalibrationShape, run: CalibrationShape): string[] {
  const out: string[] = [];
  if (calibrated.transports.join(',') !== run.transports.join(','))
    out.push(
      `transport: calibrated with ${calibrated.transports.join('+') || 'none'}, run uses ${run.transports.join('+') || 'none'}`,
    );
  if (calibrated.compression !== run.compression)
    out.push(`compression: calibrated with ${calibrated.compression}, run uses ${run.compression}`);
  if (
    calibrated.syncConfigBuckets !== null &&
    run.syncConfigBuckets !== null &&
    calibrated.syncConfigBuckets !== run.syncConfigBuckets
  )
    out.push(
      `sync config: calibrated with ${calibrated.syncConfigBuckets} bucket definitions, run has ${run.syncConfigBuckets}`,
    );
  return out;
}

/** Bootstrap distribution of (slope, intercept) ratios of two point sets, Theil–Sen on each resample. */
function lineRatios(
  ref: readonly Point[],
  real: readonly Point[],
  seed: number,
): { slopes: number[]; intercepts: number[] } {
  const random = seededRandom(seed);
  const resample = (points: readonly Point[]) =>
    points.map(() => points[Math.floor(random() * points.length)]!);
  const slopes: number[] = [];
  const intercepts: number[] = [];
  for (let i = 0; i < REPLICATES; i++) {
    const a = theilSen(resample(ref));
    const b = theilSen(resample(real));
    if (!a || !b) continue;
    if (a.slope > 0 && b.slope > 0) slopes.push(b.slope / a.slope);
    if (a.intercept > 0 && b.intercept > 0) intercepts.push(b.intercept / a.intercept);
  }
  return { slopes, intercepts };
}

interface LinearSpec {
  fit: keyof RunFits;
  slope: DimensionName;
  intercept?: DimensionName;
}

const LINEAR: LinearSpec[] = [
  { fit: 'apiMemory', slope: 'api_rss_per_connection', intercept: 'api_baseline_rss' },
  { fit: 'apiCpuPerConnection', slope: 'api_cpu_per_connection', intercept: 'api_baseline_cpu' },
  { fit: 'apiCpuPerOp', slope: 'api_cpu_per_op' },
  { fit: 'apiLatency', slope: 'checkpoint_latency_per_connection', intercept: 'checkpoint_latency_baseline' },
  { fit: 'replicationCpu', slope: 'replication_cpu_per_op', intercept: 'replication_baseline_cpu' },
];

/**
 * Per cost dimension, the ratio real/reference of two runs of the same calibration scenario, with a 95 %
 * bootstrap interval (each run's fit points resampled, a Theil–Sen line refitted on each). A dimension whose
 * data cannot support a ratio (too few levels, a flat or non-positive estimate, n = 1 on one side) is listed
 * in `notEstimated` with the reason.
 */
export function calibrate(
  reference: RunResults,
  real: RunResults,
  services: { reference: string; real: string },
): Calibration {
  const refShape = shapeOf(reference);
  const realShape = shapeOf(real);
  if (refShape.scenario !== realShape.scenario)
    throw new CalibrationError(
      `the two runs are of different scenarios (${refShape.scenario} and ${realShape.scenario}): a calibration compares the same scenario on both services`,
    );
  // Validity as everywhere else: invalid phases are left out, named; a pair with too few valid levels is
  // refused rather than silently used.
  const leftOut: string[] = [];
  for (const [side, run] of [
    ['reference', reference],
    ['real', real],
  ] as const) {
    const part = validPart(run);
    for (const e of part.excluded)
      leftOut.push(`${side} run ${run.runId}: ${e.phase} (${e.reasons.join('; ')})`);
    const levels = new Set(connectionLevels(part.run).map((l) => l.clients)).size;
    if (levels < MIN_VALID_LEVELS)
      throw new CalibrationError(
        `[SSCALE_C0003] the ${side} run ${run.runId} has ${levels} valid connection level(s) (${MIN_VALID_LEVELS} needed): nothing can be calibrated from it${part.excluded.length ? `; left out: ${part.excluded.map((e) => e.phase).join(', ')}` : ''}`,
      );
  }
  const a = fitRun(reference);
  const b = fitRun(real);
  const dimensions: DimensionRatio[] = [];
  const notEstimated: Calibration['notEstimated'] = [];
  // The sizing's CPU model, coefficient by coefficient, when both runs measured two write rates; otherwise
  // the linear CPU fit as before.
  const cpu = cpuModelDimensions(cpuLevels(validPart(reference).run), cpuLevels(validPart(real).run));
  if (cpu) {
    dimensions.push(...cpu.dimensions);
    notEstimated.push(...cpu.notEstimated);
  }
  LINEAR.forEach((spec, i) => {
    if (cpu && spec.fit === 'apiCpuPerConnection') return;
    const fa = a[spec.fit];
    const fb = b[spec.fit];
    const la = theilSen(fa.points);
    const lb = theilSen(fb.points);
    const levelsNeeded = 3;
    const why =
      fa.levels < levelsNeeded || fb.levels < levelsNeeded
        ? `too few levels (${fa.levels} reference, ${fb.levels} real; ${levelsNeeded} needed)`
        : !la || !lb
          ? 'no line through the points'
          : fa.refused || fb.refused
            ? `the ${fa.refused ? 'reference' : 'real'} fit is refused: ${fa.refused ?? fb.refused}`
            : undefined;
    if (why) {
      notEstimated.push({ name: spec.slope, reason: why });
      if (spec.intercept) notEstimated.push({ name: spec.intercept, reason: why });
      return;
    }
    const boot = lineRatios(fa.points, fb.points, 0xca1 + i);
    const add = (
      name: DimensionName,
      ref: number,
      rl: number,
      samples: number[],
      unit: string,
      sides?: { ref?: [number, number]; real?: [number, number] },
    ) => {
      const judged = judgeRatio({ name, unit, reference: ref, real: rl, samples, sides, n: [fa.n, fb.n] });
      if ('reason' in judged) notEstimated.push(judged);
      else dimensions.push(judged);
    };
    add(spec.slope, la!.slope, lb!.slope, boot.slopes, `${fa.y.unit}/${fa.x.unit}`, {
      ...(fa.estimates[0]?.interval ? { ref: fa.estimates[0].interval } : {}),
      ...(fb.estimates[0]?.interval ? { real: fb.estimates[0].interval } : {}),
    });
    if (spec.intercept)
      add(spec.intercept, la!.intercept, lb!.intercept, boot.intercepts, fa.y.unit, {
        ...(fa.estimates[1]?.interval ? { ref: fa.estimates[1].interval } : {}),
        ...(fb.estimates[1]?.interval ? { real: fb.estimates[1].interval } : {}),
      });
  });
  single(
    'replication_max_rate',
    a.replicationMaxRate,
    b.replicationMaxRate,
    dimensions,
    notEstimated,
    'tx/s',
  );
  single(
    'compaction_ops_per_second',
    a.compactionDuration,
    b.compactionDuration,
    dimensions,
    notEstimated,
    'op/s',
  );
  single('compaction_peak_memory', a.compactionMemory, b.compactionMemory, dimensions, notEstimated, 'MB');
  return {
    kind: 'syncscale-calibration',
    version: 1,
    createdAt: new Date().toISOString(),
    reference: { runId: reference.runId, service: services.reference },
    real: { runId: real.runId, service: services.real },
    shape: refShape,
    dimensions,
    notEstimated,
    realLatencyLevels: latencyLevels(validPart(real).run),
    leftOut,
    ...(cpu ? { cpuModel: { form: 'rate' as const }, realCpuLevels: cpuLevels(validPart(real).run) } : {}),
  };
}

/** A ratio of two single estimates (n = 1 each): no interval; a lower bound on either side is no ratio. */
function single(
  name: DimensionName,
  fa: Fit,
  fb: Fit,
  dimensions: DimensionRatio[],
  notEstimated: Calibration['notEstimated'],
  unit: string,
): void {
  const ea = fa.estimates[0];
  const eb = fb.estimates[0];
  if (fa.refused || fb.refused || !ea || !eb) {
    notEstimated.push({ name, reason: `fit refused: ${fa.refused ?? fb.refused ?? 'no estimate'}` });
    return;
  }
  if (ea.lowerBound || eb.lowerBound) {
    notEstimated.push({
      name,
      reason: `only a lower bound on ${ea.lowerBound && eb.lowerBound ? 'both services' : ea.lowerBound ? 'the reference' : 'the real service'} (every offered rate was sustained): run higher write rates to find the limit`,
    });
    return;
  }
  dimensions.push({
    name,
    unit,
    reference: ea.value,
    real: eb.value,
    ratio: eb.value / ea.value,
    note: 'n = 1 on each side: no interval',
  });
}

/** A prediction scaled by a ratio and its interval (the band widens by the ratio's uncertainty). */
function scaled(p: Prediction, r: DimensionRatio | undefined): Prediction {
  if (!r) return p;
  const [lo, hi] = r.interval ?? [r.ratio, r.ratio];
  return { value: p.value * r.ratio, low: p.low * lo, high: p.high * hi };
}

/**
 * A linear fit translated to the real service: y' = a·r_intercept + b·r_slope·x, with the band's low and
 * high edges taken at the ratios' interval edges. A dimension the calibration could not estimate leaves the
 * fit refused, saying so.
 */
function translateLinear(
  fit: Fit,
  calibration: Calibration,
  slope: DimensionName,
  intercept?: DimensionName,
): Fit {
  if (fit.refused) return fit;
  const rs = calibration.dimensions.find((d) => d.name === slope);
  const ri = intercept ? calibration.dimensions.find((d) => d.name === intercept) : rs;
  const line =
    fit.estimates.length >= 2
      ? { slope: fit.estimates[0]!.value, intercept: fit.estimates[1]!.value }
      : undefined;
  if (!rs || !line) {
    const reason = calibration.notEstimated.find((n) => n.name === slope)?.reason ?? 'not in the calibration';
    return {
      ...fit,
      refused: `not translated: the calibration has no ${slope} ratio (${reason})`,
      predict: () => null,
    };
  }
  const riUse = ri ?? rs;
  const label = `translated by calibration (real/reference): ${slope} ×${rs.ratio.toPrecision(3)}${intercept ? `, ${intercept} ×${riUse.ratio.toPrecision(3)}` : ''}`;
  return {
    ...fit,
    description: `${fit.description} — ${label}`,
    estimates: [
      {
        ...fit.estimates[0]!,
        value: line.slope * rs.ratio,
        interval:
          rs.interval && fit.estimates[0]!.interval
            ? [fit.estimates[0]!.interval[0] * rs.interval[0], fit.estimates[0]!.interval[1] * rs.interval[1]]
            : undefined,
      },
      { ...fit.estimates[1]!, value: line.intercept * riUse.ratio },
      ...fit.estimates.slice(2),
    ],
    notes: [...fit.notes, label],
    predict: (x) => {
      const p = fit.predict(x);
      if (!p) return null;
      const [slo, shi] = rs.interval ?? [rs.ratio, rs.ratio];
      const [ilo, ihi] = riUse.interval ?? [riUse.ratio, riUse.ratio];
      const band = (edge: number) => edge - p.value; // the fit's own band around its line
      return {
        value: line.intercept * riUse.ratio + line.slope * rs.ratio * x,
        low: line.intercept * ilo + line.slope * slo * x + band(p.low),
        high: line.intercept * ihi + line.slope * shi * x + band(p.high),
      };
    },
  };
}

/** A duration fit translated by a throughput ratio: a service r× as fast takes 1/r of the time. */
function slowerBy(fit: Fit, r: DimensionRatio | undefined): Fit {
  if (fit.refused || !r) return fit;
  const inverse: DimensionRatio = {
    ...r,
    ratio: 1 / r.ratio,
    interval: r.interval ? [1 / r.interval[1], 1 / r.interval[0]] : undefined,
  };
  return {
    ...fit,
    description: `${fit.description} — translated by calibration: compaction_ops_per_second ×${r.ratio.toPrecision(3)}`,
    notes: [...fit.notes, `translated by calibration: durations ×${inverse.ratio.toPrecision(3)}`],
    predict: (x) => {
      const p = fit.predict(x);
      return p ? scaled(p, inverse) : null;
    },
  };
}

/** Every fit of a reference-service run carried over to the real service by a calibration. */
export function translateFits(fits: RunFits, calibration: Calibration): RunFits {
  const byName = (name: DimensionName) => calibration.dimensions.find((d) => d.name === name);
  const scaleFit = (fit: Fit, name: DimensionName): Fit => {
    const r = byName(name);
    if (fit.refused || !r) return fit;
    return {
      ...fit,
      description: `${fit.description} — translated by calibration: ${name} ×${r.ratio.toPrecision(3)}`,
      notes: [...fit.notes, `translated by calibration: ${name} ×${r.ratio.toPrecision(3)}`],
      estimates: fit.estimates.map((e, i) => (i === 0 ? { ...e, value: e.value * r.ratio } : e)),
      predict: (x) => {
        const p = fit.predict(x);
        return p ? scaled(p, r) : null;
      },
    };
  };
  return {
    ...fits,
    apiMemory: translateLinear(fits.apiMemory, calibration, 'api_rss_per_connection', 'api_baseline_rss'),
    // The heap follows memory (assumption: the real service's heap grows as its RSS does).
    apiHeap: translateLinear(fits.apiHeap, calibration, 'api_rss_per_connection', 'api_baseline_rss'),
    apiCpuPerConnection: translateLinear(
      fits.apiCpuPerConnection,
      calibration,
      'api_cpu_per_connection',
      'api_baseline_cpu',
    ),
    apiCpuPerOp: translateLinear(fits.apiCpuPerOp, calibration, 'api_cpu_per_op'),
    apiLatency: translateLinear(
      fits.apiLatency,
      calibration,
      'checkpoint_latency_per_connection',
      'checkpoint_latency_baseline',
    ),
    replicationCpu: translateLinear(
      fits.replicationCpu,
      calibration,
      'replication_cpu_per_op',
      'replication_baseline_cpu',
    ),
    compactionMemory: scaleFit(fits.compactionMemory, 'compaction_peak_memory'),
    compactionDuration: slowerBy(fits.compactionDuration, byName('compaction_ops_per_second')),
  };
}

/** How well a calibration predicts a second pair of runs: the real run's memory and CPU at its levels. */
export interface CalibrationCheck {
  reference: string;
  real: string;
  memory: LevelErrors;
  cpu: LevelErrors;
}

interface LevelErrors {
  /** (predicted − measured) / measured × 100 at each connection level (and write rate) of the real run. */
  levels: Array<{
    connections: number;
    rate?: number;
    predicted: number;
    measured: number;
    errorPercent: number;
  }>;
  /** Largest absolute error, %. */
  maxErrorPercent: number | null;
  tolerancePercent: number;
  withinTolerance: boolean | null;
  message: string;
}

/**
 * Checks a calibration on a second pair of runs (another connection range or write mix): the reference run's
 * fits, translated, predict the real run's API memory and CPU at each of its connection levels; the errors
 * are reported against 20 % (memory) and 30 % (CPU).
 */
export function checkCalibration(
  calibration: Calibration,
  reference: RunResults,
  real: RunResults,
): CalibrationCheck {
  const translated = translateFits(fitRun(reference), calibration);
  const points = connectionLevels(validPart(real).run).flatMap((l) => l.api);
  const errors = (
    fit: Fit,
    value: (p: { rssMb?: number; cpuCores?: number }) => number | undefined,
    name: string,
    tolerance: number,
  ): LevelErrors => {
    const levels = points.flatMap((p) => {
      const measured = value(p);
      const predicted = fit.predict(p.connections)?.value;
      if (measured === undefined || predicted === undefined || !(measured > 0)) return [];
      return [
        {
          connections: p.connections,
          predicted,
          measured,
          errorPercent: ((predicted - measured) / measured) * 100,
        },
      ];
    });
    return levelErrors(levels, tolerance, {
      name,
      notChecked: fit.refused ?? 'no measured levels',
      where: `run ${real.runId} at ${levels.map((l) => l.connections).join(', ')} connections`,
    });
  };
  const modelErrors = cpuModelErrors(
    cpuLevels(validPart(reference).run),
    cpuLevels(validPart(real).run),
    calibration,
  );
  return {
    reference: reference.runId,
    real: real.runId,
    memory: errors(translated.apiMemory, (p) => p.rssMb, 'memory', 20),
    cpu: modelErrors
      ? levelErrors(modelErrors, 30, {
          name: 'CPU (model a + b·c + k·c·r)',
          notChecked: 'no CPU levels in the real run',
          where: `run ${real.runId} at ${modelErrors.map((l) => `${l.connections}@${l.rate}`).join(', ')} connections@tx/s`,
        })
      : errors(translated.apiCpuPerConnection, (p) => p.cpuCores, 'CPU', 30),
  };
}

/** A check's errors at the real run's levels against a tolerance, with the message a check prints. */
function levelErrors(
  levels: LevelErrors['levels'],
  tolerance: number,
  label: { name: string; notChecked: string; where: string },
): LevelErrors {
  const max = levels.length ? Math.max(...levels.map((l) => Math.abs(l.errorPercent))) : null;
  const within = max === null ? null : max <= tolerance;
  return {
    levels,
    maxErrorPercent: max,
    tolerancePercent: tolerance,
    withinTolerance: within,
    message:
      max === null
        ? `${label.name}: not checked (${label.notChecked})`
        : `${label.name}: calibrated prediction of ${label.where}: largest error ${max.toFixed(1)} % ${within ? 'within' : 'EXCEEDS'} ±${tolerance} %`,
  };
}
