import type { MetricAggregate, SeriesAggregate } from '../metrics/index.js';

/**
 * The parts of `results.json` (written by `syncscale run`) that reports read. Every field a partial or
 * interrupted run may lack is optional, so a report can always be made from what was saved.
 */
export interface RunResults {
  runId: string;
  scenario: { name: string; source?: string; target?: TargetSummary; dataset?: Record<string, unknown> };
  startedAt?: string;
  finishedAt?: string;
  status?: string;
  error?: string;
  validity: { valid: boolean; reasons: string[] };
  probesUnavailable: string[];
  /** Per service process, where each quantity was read from (`/proc`, `metrics` or `unavailable`). */
  observed?: Record<string, Record<string, string>>;
  phases: PhaseResult[];
}

export interface TargetSummary {
  kind?: string;
  replicators?: number;
  api?: { containers?: number; heapMb?: number; maxConcurrentConnections?: number };
  [key: string]: unknown;
}

export interface PhaseResult {
  name: string;
  /** Milliseconds since the epoch. */
  start: number;
  end: number;
  targetClients: { start: number; end: number };
  writes: WriteResult | null;
  actions: ActionResult[];
  thresholds: ThresholdOutcome[];
  series: SeriesAggregate[];
  /** The settle window left out of the phase's trends and gauges (runs since settle windows). */
  settle?: { start: number; measuredFrom: number; excludedSamples: Record<string, number> };
  /** The phase's own verdict (runs since per-phase validity). */
  validity?: { valid: boolean; reasons: string[]; notes: string[] };
}

/**
 * One line per phase left out (invalid) and per finding the phase carries (source backpressure, what was not
 * judged), for the report's validity section. Older runs carry no per-phase verdict: nothing is listed.
 */
export function phaseValidityLines(results: RunResults): string[] {
  const lines: string[] = [];
  for (const p of results.phases) {
    if (p.validity && !p.validity.valid)
      lines.push(`phase ${p.name} left out (invalid): ${p.validity.reasons.join('; ')}`);
    for (const note of p.validity?.notes ?? []) lines.push(`phase ${p.name}: ${note}`);
  }
  return lines;
}

export interface LatencySummary {
  n: number;
  mean: number;
  p50: number;
  p99: number;
  max: number;
}

export interface WriteResult {
  targetRate: number;
  achievedRate: number;
  transactions?: number;
  dropped: number;
  failed?: number;
  behindSchedule: boolean;
  sourceBackpressure?: string;
  reason?: string;
  commitMs?: LatencySummary;
  scheduleLagMs?: LatencySummary;
}

export interface ActionResult {
  kind: string;
  /** The process a restart action restarted. */
  process?: string;
  atMs: number;
  durationMs: number;
  result?: Record<string, unknown>;
  error?: string;
}

export interface ThresholdOutcome {
  key: string;
  expression: string;
  passed: boolean;
  observed?: number | null;
  reason?: string;
  status?: string;
}

/** Reads a parsed `results.json` tolerantly; throws only when it is not a run's results at all. */
export function parseRunResults(json: unknown): RunResults {
  const root = asRecord(json);
  if (!root || !Array.isArray(root.phases)) {
    throw new Error('not a syncscale results file: no phases[]');
  }
  const scenario = asRecord(root.scenario) ?? {};
  const validity = asRecord(root.validity) ?? {};
  return {
    runId: str(root.runId) ?? 'unknown-run',
    scenario: {
      name: str(scenario.name) ?? 'unnamed',
      source: str(scenario.source),
      target: asRecord(scenario.target) as TargetSummary | undefined,
      dataset: asRecord(scenario.dataset),
    },
    startedAt: str(root.startedAt),
    finishedAt: str(root.finishedAt),
    status: str(root.status),
    error: str(root.error),
    validity: { valid: validity.valid === true, reasons: strings(validity.reasons) },
    probesUnavailable: strings(root.probesUnavailable),
    ...(asRecord(root.observed) ? { observed: root.observed as RunResults['observed'] } : {}),
    phases: root.phases.map(parsePhase),
  };
}

function parsePhase(value: unknown, index: number): PhaseResult {
  const phase = asRecord(value) ?? {};
  const clients = asRecord(phase.targetClients) ?? {};
  const aggregates = asRecord(phase.aggregates);
  return {
    name: str(phase.name) ?? `phase-${index + 1}`,
    start: num(phase.start) ?? 0,
    end: num(phase.end) ?? 0,
    targetClients: { start: num(clients.start) ?? 0, end: num(clients.end) ?? 0 },
    writes: (asRecord(phase.writes) as WriteResult | undefined) ?? null,
    actions: Array.isArray(phase.actions) ? (phase.actions as ActionResult[]) : [],
    thresholds: Array.isArray(phase.thresholds) ? (phase.thresholds as ThresholdOutcome[]) : [],
    series: Array.isArray(aggregates?.series) ? aggregates.series.filter(isSeries) : [],
    ...(settleOf(phase.settle) ?? {}),
    ...(phaseValidity(phase.validity) ?? {}),
  };
}

function settleOf(value: unknown): { settle: NonNullable<PhaseResult['settle']> } | undefined {
  const v = asRecord(value);
  const start = num(v?.start);
  const measuredFrom = num(v?.measuredFrom);
  if (start === undefined || measuredFrom === undefined) return undefined;
  const excluded = asRecord(v?.excludedSamples) ?? {};
  const excludedSamples: Record<string, number> = {};
  for (const [metric, n] of Object.entries(excluded)) if (typeof n === 'number') excludedSamples[metric] = n;
  return { settle: { start, measuredFrom, excludedSamples } };
}

function phaseValidity(value: unknown): { validity: NonNullable<PhaseResult['validity']> } | undefined {
  const v = asRecord(value);
  if (!v || typeof v.valid !== 'boolean') return undefined;
  return { validity: { valid: v.valid, reasons: strings(v.reasons), notes: strings(v.notes) } };
}

function isSeries(value: unknown): value is SeriesAggregate {
  const series = asRecord(value);
  const aggregate = asRecord(series?.aggregate) as MetricAggregate | undefined;
  return typeof series?.metric === 'string' && aggregate !== undefined && typeof aggregate.kind === 'string';
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
