import { clientPlan, steadyClients } from './client-plan.js';
import { formatDuration } from './format-duration.js';
import type { PhasePlan, PlannedAction, RunPlan } from './plan-types.js';
import { checkScenario } from './scenario-checks.js';
import type { Action, Scenario } from './types.js';
import { steadyRates, writePlan } from './write-plan.js';

/**
 * Estimated time around the phases: starting Postgres and the service processes, loading the dataset, the
 * initial replication, and stopping everything. Generous on purpose; the run's own log has the real figures.
 */
export const SETUP_ALLOWANCE = {
  embeddedMs: 40_000,
  externalMs: 10_000,
  /** Dataset load and initial replication, assumed rows per second. */
  rowsPerSecond: 10_000,
} as const;

export function estimateSetupMs(scenario: Scenario): number {
  const { dataset } = scenario;
  const rows = dataset.users * (1 + dataset.rowsPerUser) + dataset.lists;
  const base = scenario.target.kind === 'embedded' ? SETUP_ALLOWANCE.embeddedMs : SETUP_ALLOWANCE.externalMs;
  return base + Math.ceil(rows / SETUP_ALLOWANCE.rowsPerSecond) * 1000;
}

/** The schedule of a scenario: phase offsets, expected clients and writes, action times, and its checks. */
export function planScenario(scenario: Scenario): RunPlan {
  const phases: PhasePlan[] = [];
  let startMs = 0;
  for (const [index, phase] of scenario.phases.entries()) {
    const actions = phase.actions
      .map((action) => plannedAction(phase.name, startMs, action))
      .sort((a, b) => a.atMs - b.atMs);
    phases.push({
      index,
      name: phase.name,
      startMs,
      endMs: startMs + phase.durationMs,
      durationMs: phase.durationMs,
      clients: clientPlan(phase.clients, startMs, phase.durationMs),
      writes: phase.writes ? writePlan(phase.writes, startMs, phase.durationMs) : undefined,
      actions,
      thresholds: phase.thresholds,
    });
    startMs += phase.durationMs;
  }
  const setupAllowanceMs = estimateSetupMs(scenario);
  const checks = checkScenario(scenario, phases, setupAllowanceMs);
  return {
    name: scenario.name,
    description: scenario.description,
    target: scenario.target,
    compression: scenario.compression,
    dataset: scenario.dataset,
    phases,
    actions: phases.flatMap((phase) => phase.actions),
    phasesMs: startMs,
    setupAllowanceMs,
    estimatedRunMs: setupAllowanceMs + startMs,
    maxDurationMs: scenario.limits.maxDurationMs,
    peakClients: Math.max(0, ...phases.map((phase) => phase.clients.peak)),
    peakWritesPerSecond: Math.max(0, ...phases.map((phase) => phase.writes?.peak ?? 0)),
    connectionLevels: distinct(phases.map((phase) => steadyClients(phase.clients))),
    writeRateLevels: distinct(
      phases.flatMap((phase) => (phase.writes ? steadyRates(phase.writes.rate) : [])),
    ),
    checks,
    ok: checks.every((check) => check.level !== 'error'),
  };
}

function plannedAction(phase: string, phaseStartMs: number, action: Action): PlannedAction {
  return {
    phase,
    atMs: phaseStartMs + action.atMs,
    offsetMs: action.atMs,
    action,
    label: actionLabel(action),
  };
}

export function actionLabel(action: Action): string {
  switch (action.kind) {
    case 'compact':
      return action.buckets ? `compact ${action.buckets.join(',')}` : 'compact';
    case 'restart':
      return `restart ${action.process}`;
    case 'kill_replicator':
      return action.restartAfterMs === undefined
        ? 'kill replicator'
        : `kill replicator (restart after ${formatDuration(action.restartAfterMs)})`;
    case 'large_transaction':
      return `one transaction of ${action.rows.toLocaleString('en-US')} rows`;
  }
}

function distinct(values: Array<number | undefined>): number[] {
  const set = new Set(values.filter((value): value is number => value !== undefined && value > 0));
  return [...set].sort((a, b) => a - b);
}
