/**
 * The regression gate: compares per-run statistics of a baseline and a candidate (saved runs, or runs made
 * interleaved by commands) and says regression, no regression or inconclusive (pure functions apart from
 * running the commands and writing the outputs).
 */
export { runGate, classifySide, writeGateOutputs, type GateOptions, type GateResult } from './run-gate.js';
export {
  compareRuns,
  detectableUpFront,
  PRIOR_RUNS,
  checkComparable,
  exitCodeOf,
  MIN_RUNS_PER_SIDE,
  type CompareOptions,
  type GateVerdict,
  type MetricVerdict,
  type Outcome,
} from './compare-runs.js';
export {
  GATE_METRICS,
  selectMetrics,
  UnknownMetricError,
  type GateMetric,
  type Worse,
} from './gate-metrics.js';
export {
  BASELINE_KIND,
  baselineOf,
  GateError,
  gateRunOf,
  loadGateRuns,
  type BaselineFile,
  type GateRun,
} from './run-set.js';
export { commandLine, InterleavedRuns, type Side } from './interleaved-runs.js';
export { gateJunit, gateMarkdown, gateTerminalText } from './gate-outputs.js';
export {
  bootstrapRatioOfMedians,
  holmAdjust,
  mannWhitneyGreater,
  studentTCdf,
  studentTQuantile,
  welchLogRatio,
  type LogRatioTest,
  median,
  normalCdf,
  relativeMad,
} from './statistics.js';
export { recordedTrials } from './recorded-trials.js';
