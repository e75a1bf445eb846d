import { fingerprintDifferences, type MachineFingerprint } from '../probes/index.js';
import { ExitCode } from '../errors/index.js';
import type { GateMetric } from './gate-metrics.js';
import { GateError, type GateRun } from './run-set.js';
import { holmAdjust, median, relativeMad, studentTQuantile, welchLogRatio } from './statistics.js';

export type Outcome = 'regression' | 'no-regression' | 'inconclusive';

export interface CompareOptions {
  /** Tolerated slowdown, e.g. 0.05: a metric regresses when it is surely worse than 1 + δ times baseline. */
  delta: number;
  /** Family-wise significance level for the Welch tests after Holm–Bonferroni. */
  alpha: number;
  /** Confidence level of the bootstrap interval. */
  level: number;
  metrics: readonly GateMetric[];
  /** Compare machine-dependent metrics across different machines anyway. */
  force: boolean;
  /** Whether metrics were named explicitly (an unavailable named metric is inconclusive, not skipped). */
  explicitMetrics?: boolean;
  seed?: number;
}

export const MIN_RUNS_PER_SIDE = 3;
/** How many runs' worth of weight the metric's typical noise carries in the variance of a side. */
export const PRIOR_RUNS = 4;

export interface MetricVerdict {
  id: string;
  label: string;
  unit: string;
  worse: 'higher' | 'lower';
  /** What the figure measures. */
  measures?: string;
  outcome: Outcome | 'skipped';
  /** Why skipped or inconclusive, or what the verdict rests on. */
  reason: string;
  baseline: number[];
  candidate: number[];
  baselineMedian?: number;
  candidateMedian?: number;
  /** Relative MAD of each side (run-to-run noise). */
  baselineSpread?: number;
  candidateSpread?: number;
  /**
   * How many times worse the candidate is (ratio of geometric means, oriented so > 1 is worse), with its
   * Welch t interval at the gate's level.
   */
  worseRatio?: number;
  interval?: [number, number];
  /** One-sided Welch t-test p-value on logs of "worse by more than 1 + δ", raw and after Holm–Bonferroni. */
  p?: number;
  pAdjusted?: number;
  /** The interval on the runs' own spread (no prior): what "no regression" is shown on. */
  ownInterval?: [number, number];
  /** The smallest worse-ratio these runs could call a regression at the Holm-adjusted level (this noise). */
  detectable?: number;
}

export interface GateVerdict {
  outcome: Outcome;
  delta: number;
  alpha: number;
  level: number;
  scenario: string;
  runs: { baseline: string[]; candidate: string[] };
  metrics: MetricVerdict[];
  warnings: string[];
  machines: { baseline?: MachineFingerprint; candidate?: MachineFingerprint };
}

/** The exit code of a verdict (errors/exit-codes.ts). */
export function exitCodeOf(outcome: Outcome): number {
  return outcome === 'regression'
    ? ExitCode.GATE_REGRESSION
    : outcome === 'inconclusive'
      ? ExitCode.GATE_INCONCLUSIVE
      : ExitCode.OK;
}

/** Refuses inputs that cannot be compared: invalid runs, different scenarios, too few runs. */
export function checkComparable(baseline: readonly GateRun[], candidate: readonly GateRun[]): void {
  for (const [side, runs] of [
    ['baseline', baseline],
    ['candidate', candidate],
  ] as const) {
    const invalid = runs.find((r) => !r.valid);
    if (invalid)
      throw new GateError(
        'SSCALE_G0004',
        `${side} run ${invalid.runId} (${invalid.source}) is invalid: ${invalid.reasons.join('; ') || 'no reason given'}`,
        ExitCode.RUN_INVALID,
      );
    if (runs.length < MIN_RUNS_PER_SIDE)
      throw new GateError(
        'SSCALE_G0003',
        `${side} has ${runs.length} run${runs.length === 1 ? '' : 's'}; the gate needs at least ${MIN_RUNS_PER_SIDE} per side`,
        ExitCode.USAGE,
      );
  }
  const reference = baseline[0]!.scenario;
  const key = (s: GateRun['scenario']) => `${s.name} [${s.phases.join(', ')}]`;
  for (const run of [...baseline, ...candidate]) {
    if (key(run.scenario) !== key(reference))
      throw new GateError(
        'SSCALE_G0002',
        `run ${run.runId} (${run.source}) is scenario ${key(run.scenario)}, baseline run ${baseline[0]!.runId} is ${key(reference)}`,
        ExitCode.USAGE,
      );
  }
}

/**
 * Compares two sets of runs metric by metric, one statistic per run. A metric regresses when the bootstrap
 * Holm-adjusted one-sided Welch t-test on the logs says it is worse by more than 1 + δ at α; it shows no
 * regression when the interval of the ratio of geometric means lies wholly below 1 + δ;
 * anything else is inconclusive.
 */
export function compareRuns(
  baseline: readonly GateRun[],
  candidate: readonly GateRun[],
  options: CompareOptions,
): GateVerdict {
  checkComparable(baseline, candidate);
  const warnings: string[] = [];
  const machines = { baseline: baseline[0]!.machine, candidate: candidate[0]!.machine };
  const sameMachine = machineCheck(baseline, candidate, warnings);
  const verdicts = options.metrics.map((metric) =>
    measure(metric, baseline, candidate, options, sameMachine),
  );
  const tested = verdicts.filter((v) => v.p !== undefined);
  const adjusted = holmAdjust(tested.map((v) => v.p!));
  tested.forEach((v, i) => {
    v.pAdjusted = adjusted[i];
    // What these runs can detect: Holm's strictest step (α / metrics) is the level a lone effect must reach.
    v.detectable = detectableOf.get(v)?.(options.alpha / tested.length);
    decide(v, options);
    if (
      v.outcome === 'inconclusive' &&
      v.detectable !== undefined &&
      v.detectable > 1.5 * (1 + options.delta)
    )
      warnings.push(
        `${v.label}: with ${v.baseline.length} + ${v.candidate.length} runs at this noise (spread ${pct(v.baselineSpread ?? 0)} / ${pct(v.candidateSpread ?? 0)}) a regression is callable only from ×${v.detectable.toFixed(2)}: add runs (--max-runs) or lower the metric's noise`,
      );
  });
  if (verdicts.every((v) => v.outcome === 'skipped') && !sameMachine && !options.force)
    throw new GateError(
      'SSCALE_G0005',
      `baseline and candidate ran on different machines and every metric asked for is machine-dependent; ${warnings.join('; ')}. Use --force to compare anyway.`,
      ExitCode.USAGE,
    );
  const compared = verdicts.filter((v) => v.outcome !== 'skipped');
  if (compared.length === 0) warnings.push('no metric could be compared');
  const outcome: Outcome = verdicts.some((v) => v.outcome === 'regression')
    ? 'regression'
    : compared.length === 0 || verdicts.some((v) => v.outcome === 'inconclusive')
      ? 'inconclusive'
      : 'no-regression';
  return {
    outcome,
    delta: options.delta,
    alpha: options.alpha,
    level: options.level,
    scenario: baseline[0]!.scenario.name,
    runs: { baseline: baseline.map((r) => r.runId), candidate: candidate.map((r) => r.runId) },
    metrics: verdicts,
    warnings,
    machines,
  };
}

/** True when every run has a fingerprint and they all match; warns otherwise. */
function machineCheck(
  baseline: readonly GateRun[],
  candidate: readonly GateRun[],
  warnings: string[],
): boolean {
  const all = [...baseline, ...candidate];
  const missing = all.filter((r) => !r.machine).length;
  if (missing > 0) {
    warnings.push(
      `${missing} run(s) carry no machine fingerprint: cannot check they ran on one machine class`,
    );
    return true;
  }
  const reference = all[0]!.machine!;
  for (const run of all.slice(1)) {
    const differences = fingerprintDifferences(reference, run.machine!);
    if (differences.length > 0) {
      warnings.push(
        `run ${run.runId} ran on a different machine than run ${all[0]!.runId}: ` +
          differences.map((d) => `${d.field} ${d.a} vs ${d.b}`).join(', '),
      );
      return false;
    }
  }
  return true;
}

function valuesOf(runs: readonly GateRun[], id: string): { values: number[]; missing: string[] } {
  const values: number[] = [];
  const missing: string[] = [];
  for (const run of runs) {
    const v = run.values[id];
    if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
    else missing.push(`${run.runId}: ${v && typeof v === 'object' ? v.unavailable : 'not measured'}`);
  }
  return { values, missing };
}

function measure(
  metric: GateMetric,
  baselineRuns: readonly GateRun[],
  candidateRuns: readonly GateRun[],
  options: CompareOptions,
  sameMachine: boolean,
): MetricVerdict {
  const base = valuesOf(baselineRuns, metric.id);
  const cand = valuesOf(candidateRuns, metric.id);
  const verdict: MetricVerdict = {
    id: metric.id,
    label: metric.label,
    unit: metric.unit,
    worse: metric.worse,
    measures: metric.measures,
    outcome: 'skipped',
    reason: '',
    baseline: base.values,
    candidate: cand.values,
  };
  const unavailable = options.explicitMetrics ? 'inconclusive' : 'skipped';
  if (!sameMachine && metric.machineDependent && !options.force) {
    verdict.reason = 'machine-dependent and the runs came from different machines (--force compares anyway)';
    return verdict;
  }
  if (base.values.length < MIN_RUNS_PER_SIDE || cand.values.length < MIN_RUNS_PER_SIDE) {
    verdict.outcome = unavailable;
    verdict.reason = `measured in ${base.values.length} baseline and ${cand.values.length} candidate runs (needs ${MIN_RUNS_PER_SIDE} each): ${[...base.missing, ...cand.missing].slice(0, 2).join('; ')}`;
    return verdict;
  }
  verdict.baselineMedian = median(base.values);
  verdict.candidateMedian = median(cand.values);
  verdict.baselineSpread = relativeMad(base.values);
  verdict.candidateSpread = relativeMad(cand.values);
  // A ratio (and its logarithm) needs positive values: one run's negative slope (noise at small levels) would put
  // resampled medians on both sides of zero and the interval would mean nothing.
  const nonPositive = [...base.values, ...cand.values].filter((v) => !(v > 0)).length;
  if (nonPositive > 0) {
    verdict.outcome = unavailable;
    verdict.reason = `${nonPositive} run(s) measured zero or less: a ratio means nothing here`;
    return verdict;
  }
  // Orient so that a ratio above 1 is always "worse".
  const [worseSide, betterSide] =
    metric.worse === 'higher' ? [cand.values, base.values] : [base.values, cand.values];
  // p: is the candidate worse at all (Welch t on logs, H0 ratio ≤ 1)? The interval then says by how much.
  // A regression is called on the moderated spread (the runs' own, shrunk toward the metric's typical noise):
  // a few runs that happen to agree must not turn noise into a failed build. "No regression" is shown on the
  // runs' own spread, as measured.
  const test = welchLogRatio(worseSide, betterSide, 1, options.level, {
    sd: metric.typicalNoise,
    df: PRIOR_RUNS,
  });
  const own = welchLogRatio(worseSide, betterSide, 1, options.level);
  verdict.worseRatio = test.ratio;
  verdict.interval = [test.low, test.high];
  verdict.ownInterval = [own.low, own.high];
  verdict.p = test.p;
  // The smallest ratio both rules can pass with this noise: the interval's low end above 1 + δ, and the
  // one-sided p below the Holm level α'.
  const half = studentTQuantile(1 - (1 - options.level) / 2, test.df);
  detectableOf.set(verdict, (alpha) =>
    Math.max((1 + options.delta) * Math.exp(half * test.se), test.detectable(alpha)),
  );
  verdict.outcome = 'inconclusive';
  return verdict;
}

/** Each tested verdict's "smallest detectable ratio at level α'", known once the Holm family is. */
const detectableOf = new WeakMap<MetricVerdict, (alpha: number) => number>();

function decide(v: MetricVerdict, options: CompareOptions): void {
  const bound = 1 + options.delta;
  const [low, high] = v.interval!;
  const ci = `${pct(options.level)} CI of the ratio [${low.toFixed(3)}, ${high.toFixed(3)}]`;
  const p = `Holm-adjusted p ${v.pAdjusted!.toPrecision(2)}`;
  const can = v.detectable !== undefined ? `; these runs detect from ×${v.detectable.toFixed(2)}` : '';
  if (low > bound && v.pAdjusted! < options.alpha) {
    v.outcome = 'regression';
    v.reason = `${ci} lies above ${bound.toFixed(2)}; ${p} < ${options.alpha} (one-sided Welch t on logs)`;
  } else if (v.ownInterval![1] < bound) {
    v.outcome = 'no-regression';
    v.reason = `${pct(options.level)} CI of the ratio on the runs' own spread [${v.ownInterval![0].toFixed(3)}, ${v.ownInterval![1].toFixed(3)}] lies below ${bound.toFixed(2)}`;
  } else {
    v.outcome = 'inconclusive';
    v.reason =
      low > bound
        ? `${ci} lies above ${bound.toFixed(2)} but ${p} ≥ ${options.alpha}${can}`
        : `${ci} reaches ${bound.toFixed(2)}${can}`;
  }
}

const pct = (level: number) => `${Math.round(level * 100)} %`;

/**
 * What k runs a side can detect before any run is made: per metric, the smallest worse-ratio that would be
 * called a regression if the runs showed the metric's typical noise (Holm's strictest step α / m, the
 * interval's low end above 1 + δ). Printed up front by the gate, so a run count too small to matter is said
 * before the runs are paid for.
 */
export function detectableUpFront(
  metrics: readonly GateMetric[],
  k: number,
  options: { alpha: number; delta: number; level: number },
): Array<{ id: string; detectable: number }> {
  const df = 2 * (PRIOR_RUNS + k - 1);
  const alphaFirst = options.alpha / Math.max(1, metrics.length);
  return metrics.map((m) => {
    const se = m.typicalNoise * Math.sqrt(2 / k);
    const half = studentTQuantile(1 - (1 - options.level) / 2, df);
    const oneSided = studentTQuantile(1 - alphaFirst, df);
    return {
      id: m.id,
      detectable: Math.max((1 + options.delta) * Math.exp(half * se), Math.exp(oneSided * se)),
    };
  });
}
