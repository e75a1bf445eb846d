import { checkPhase, phaseParts, planCheck } from './phase-checks.js';
import type { PhasePlan, PlanCheck } from './plan-types.js';
import { formatDuration } from './format-duration.js';
import type { Scenario } from './types.js';

/** Every check of a scenario against its planned schedule: each phase's own, then the run's as a whole. */
export function checkScenario(
  scenario: Scenario,
  phases: PhasePlan[],
  setupAllowanceMs: number,
): PlanCheck[] {
  return [
    ...scenario.phases.flatMap((phase, index) => checkPhase(phaseParts(phase), index)),
    ...uniqueNames(scenario),
    ...durationChecks(scenario, phases, setupAllowanceMs),
    ...phases.flatMap((phase) => connectionChecks(scenario, phase)),
    ...phases.flatMap((phase) => actionChecks(scenario, phase)),
  ];
}

function uniqueNames(scenario: Scenario): PlanCheck[] {
  const seen = new Set<string>();
  return scenario.phases.flatMap((phase, index) => {
    if (!seen.has(phase.name)) {
      seen.add(phase.name);
      return [];
    }
    return [
      planCheck('error', ['phases', index, 'name'], `duplicate phase name ${JSON.stringify(phase.name)}`),
    ];
  });
}

function durationChecks(scenario: Scenario, phases: PhasePlan[], setupAllowanceMs: number): PlanCheck[] {
  const total = phases.at(-1)?.endMs ?? 0;
  const cap = scenario.limits.maxDurationMs;
  const where = ['limits', 'max_duration'];
  if (total > cap) {
    const message = `the phases last ${formatDuration(total)}, more than max_duration ${formatDuration(cap)}`;
    return [planCheck('error', where, message)];
  }
  if (total + setupAllowanceMs > cap) {
    const message =
      `the phases (${formatDuration(total)}) and the estimated setup (${formatDuration(setupAllowanceMs)}) ` +
      `exceed max_duration ${formatDuration(cap)}: the run may be stopped before the last phase ends`;
    return [planCheck('warning', where, message)];
  }
  return [];
}

function connectionChecks(scenario: Scenario, phase: PhasePlan): PlanCheck[] {
  const checks: PlanCheck[] = [];
  const at = ['phases', phase.index, 'clients'];
  const { target, dataset } = scenario;
  if (target.kind === 'embedded') {
    const cap = target.api.containers * target.api.maxConcurrentConnections;
    if (phase.clients.peak > cap) {
      const message =
        `up to ${phase.clients.peak} clients, more than the ${cap} connections the API allows ` +
        `(${target.api.containers} × max_concurrent_connections ${target.api.maxConcurrentConnections}): ` +
        'the rest are refused with 429';
      checks.push(planCheck('warning', at, message));
    }
  }
  if (phase.clients.peak > dataset.users) {
    const message = `up to ${phase.clients.peak} clients for ${dataset.users} users: some users connect from several clients`;
    checks.push(planCheck('warning', at, message));
  }
  return checks;
}

function actionChecks(scenario: Scenario, phase: PhasePlan): PlanCheck[] {
  const { target } = scenario;
  const runEnd = scenario.phases.reduce((sum, item) => sum + item.durationMs, 0);
  return phase.actions.flatMap((planned, index): PlanCheck[] => {
    const at = ['phases', phase.index, 'actions', index];
    const { action } = planned;
    // A large transaction only writes the source database: any target.
    if (action.kind === 'large_transaction') return [];
    if (target.kind === 'external') {
      // The compact job is a command the user declares; restarts and kills stay with the operator.
      if (action.kind === 'compact' && target.processes.some((p) => p.role === 'compact' && p.command))
        return [];
      const message =
        action.kind === 'compact'
          ? `${planned.label} on an external target needs a process with role compact and its command`
          : `${planned.label} needs an embedded target: syncscale does not control an external deployment`;
      return [planCheck('error', at, message)];
    }
    if (action.kind === 'kill_replicator') {
      const restartAt =
        action.restartAfterMs === undefined ? undefined : planned.atMs + action.restartAfterMs;
      if (target.replicators === 1 && (restartAt === undefined || restartAt >= runEnd)) {
        const message =
          'the only replicator is killed and not restarted before the run ends: replication stops';
        return [planCheck('warning', at, message)];
      }
    }
    return [];
  });
}
