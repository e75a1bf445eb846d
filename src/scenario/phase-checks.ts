import { formatPath } from './scenario-error.js';
import type { PlanCheck } from './plan-types.js';
import { formatDuration } from './format-duration.js';
import type { ClientLoad, Phase, WriteRate } from './types.js';

type KeyPath = Array<string | number>;

export function planCheck(level: PlanCheck['level'], keyPath: KeyPath, message: string): PlanCheck {
  return { level, path: formatPath(keyPath), keyPath, message };
}

/** What the checks of one phase look at; parts that did not parse are left out and not checked. */
export interface PhaseParts {
  durationMs: number;
  load?: ClientLoad;
  rate?: WriteRate;
  /** The time of each action, by index (`undefined` for an action that did not parse). */
  actionTimes: Array<number | undefined>;
}

export function phaseParts(phase: Phase): PhaseParts {
  return {
    durationMs: phase.durationMs,
    load: phase.clients.load,
    rate: phase.writes?.rate,
    actionTimes: phase.actions.map((action) => action.atMs),
  };
}

/**
 * Checks of one phase on its own: times within the phase, step durations adding up. Also run on the parts of
 * a phase that parsed when others did not, so these problems are reported together with the rest.
 */
export function checkPhase(phase: PhaseParts, index: number): PlanCheck[] {
  const at: KeyPath = ['phases', index];
  const duration = formatDuration(phase.durationMs);
  const checks: PlanCheck[] = [];
  const load = phase.load;
  if (load?.kind === 'reconnect_storm' && load.atMs >= phase.durationMs) {
    const message = `the storm at ${formatDuration(load.atMs)} is not within the phase (${duration})`;
    checks.push(planCheck('error', [...at, 'clients', 'reconnect_storm', 'at'], message));
  }
  if (load?.kind === 'arrival_rate' && load.sessionMs > phase.durationMs) {
    const message = `sessions (${formatDuration(load.sessionMs)}) outlast the phase (${duration}): no session ends within it`;
    checks.push(planCheck('warning', [...at, 'clients', 'arrival_rate', 'session'], message));
  }
  if (load?.kind === 'churn' && load.perSecond > load.clients) {
    const message = `replacing ${load.perSecond}/s of ${load.clients} clients: every client lives under a second`;
    checks.push(planCheck('warning', [...at, 'clients', 'churn', 'per_second'], message));
  }
  const rate = phase.rate;
  if (rate?.kind === 'steps') {
    const total = rate.steps.reduce((sum, step) => sum + step.durationMs, 0);
    if (total !== phase.durationMs) {
      const message = `the steps last ${formatDuration(total)} in total; they must add up to the phase duration (${duration})`;
      checks.push(planCheck('error', [...at, 'writes', 'steps'], message));
    }
  }
  phase.actionTimes.forEach((atMs, actionIndex) => {
    if (atMs !== undefined && atMs >= phase.durationMs) {
      const message = `${formatDuration(atMs)} is not within the phase (${duration}); times are relative to the phase start`;
      checks.push(planCheck('error', [...at, 'actions', actionIndex, 'at'], message));
    }
  });
  return checks;
}
