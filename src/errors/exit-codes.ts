/**
 * Process exit codes of every syncscale command, in one table (house style: an SLO miss is not a crash).
 * The service runner codes mirror the PowerSync service image.
 */
export const ExitCode = {
  /** Finished normally. */
  OK: 0,
  /** Failed: a command error, a fatal replicator loop error, or a forced exit after the 30 s shutdown grace. */
  FAILURE: 1,
  /** Invalid usage or invalid input file (config, scenario): nothing was started. */
  USAGE: 2,
  /** Regression gate: at least one metric regressed (its interval lies wholly beyond 1 + δ). */
  GATE_REGRESSION: 3,
  /** Regression gate: no regression found, but at least one metric could not be shown equivalent: rerun. */
  GATE_INCONCLUSIVE: 4,
  /** Thresholds of a run failed (the system under test missed its objective). */
  THRESHOLDS_FAILED: 99,
  /** The run is invalid: the load generator saturated or fell behind schedule. */
  RUN_INVALID: 98,
  /** Service startup failed (mirrors the service image). */
  STARTUP_FAILED: 150,
  /** Fatal storage error (mirrors the service image). */
  STORAGE_FATAL: 151,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];
