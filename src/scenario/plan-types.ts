import type { StreamCompression } from '../fleet/index.js';
import type {
  Action,
  ClientLoad,
  Dataset,
  ScenarioTarget,
  TransportShare,
  WriteRate,
  WriteShape,
} from './types.js';

/** The planned schedule of a run: what `syncscale run --dry-run` prints. All times are milliseconds. */
export interface RunPlan {
  name: string;
  description: string;
  target: ScenarioTarget;
  /** What the clients' HTTP streams accept. */
  compression?: StreamCompression;
  dataset: Dataset;
  phases: PhasePlan[];
  /** Every action, in time order, with its offset from the start of the first phase. */
  actions: PlannedAction[];
  /** Sum of the phase durations. */
  phasesMs: number;
  /** Estimated start-up, dataset load and shutdown around the phases. */
  setupAllowanceMs: number;
  /** `setupAllowanceMs + phasesMs`. */
  estimatedRunMs: number;
  /** `limits.max_duration`: the run is stopped when it reaches this. */
  maxDurationMs: number;
  peakClients: number;
  peakWritesPerSecond: number;
  /** Distinct steady client counts (phases holding a fixed number of clients), ascending. */
  connectionLevels: number[];
  /** Distinct steady write rates above 0 (constant, Poisson and step rates), ascending, in transactions/s. */
  writeRateLevels: number[];
  checks: PlanCheck[];
  /** No check is an error. */
  ok: boolean;
}

export interface PhasePlan {
  index: number;
  name: string;
  /** Offset of the phase start from the start of the first phase. */
  startMs: number;
  endMs: number;
  durationMs: number;
  clients: ClientPlan;
  writes?: WritePlan;
  actions: PlannedAction[];
  thresholds: Record<string, string[]>;
}

export interface ClientPlan {
  load: ClientLoad;
  transports: TransportShare[];
  /** Expected concurrent clients at the phase start and end, and the most at any time. */
  start: number;
  end: number;
  peak: number;
  /** Piecewise-linear expected concurrent clients over the phase, at absolute offsets. */
  points: Array<{ atMs: number; clients: number }>;
  /** New connections per second the shape itself opens (arrival rate, churn), when it has one. */
  connectsPerSecond?: number;
  /** When every client drops and reconnects (reconnect storm), absolute offset. */
  stormAtMs?: number;
}

export interface WritePlan {
  rate: WriteRate;
  mix: WriteShape['mix'];
  rowsPerTransaction: number;
  keys: WriteShape['keys'];
  /** Transactions per second at the phase start and end, the highest and the phase average. */
  start: number;
  end: number;
  peak: number;
  mean: number;
  /** Expected transactions over the phase, and rows written. */
  transactions: number;
  rows: number;
  /** Linear segments of the rate at absolute offsets (one per step for `steps`). */
  segments: Array<{ startMs: number; endMs: number; from: number; to: number }>;
}

export interface PlannedAction {
  phase: string;
  /** Absolute offset from the start of the first phase. */
  atMs: number;
  /** Offset within its phase (as written). */
  offsetMs: number;
  action: Action;
  /** e.g. `compact`, `restart api`, `kill replicator (restart after 5s)`. */
  label: string;
}

/** A problem found while planning: errors stop the run before anything starts, warnings are printed. */
export interface PlanCheck {
  level: 'error' | 'warning';
  /** Key path in the scenario file (`phases[2].writes.steps`), `''` for the scenario as a whole. */
  path: string;
  /** The same path as segments, to locate it in the file. */
  keyPath: ReadonlyArray<string | number>;
  message: string;
}
