import { relative } from 'node:path';
import { formatClock, formatDuration } from './format-duration.js';
import type { ClientPlan, PhasePlan, PlanCheck, RunPlan, WritePlan } from './plan-types.js';
import type { ScenarioTarget } from './types.js';

export interface FormatPlanOptions {
  /** Paths are shown relative to this directory (default: the current directory). */
  cwd?: string;
}

/** The plan as text for `syncscale run --dry-run`: the target, the schedule table, thresholds and checks. */
const COMPRESSION_TEXT = {
  sdk: 'gzip, deflate, br, as the official SDKs do over fetch (compression: sdk)',
  gzip: 'gzip (compression: gzip)',
  none: 'no compression (compression: none)',
} as const;

export function formatPlan(plan: RunPlan, options: FormatPlanOptions = {}): string {
  const cwd = options.cwd ?? process.cwd();
  const { dataset } = plan;
  const lines = [
    `Scenario ${plan.name}${plan.description ? ` — ${plan.description.trim().split('\n')[0]}` : ''}`,
    `Target:   ${describeTarget(plan.target)}`,
    `Clients:  HTTP streams accept ${COMPRESSION_TEXT[plan.compression ?? 'sdk']}`,
    `Dataset:  ${dataset.users} users × ${dataset.rowsPerUser} rows of ${dataset.rowSizeBytes} B, ${dataset.lists} lists; ` +
      `sync config ${relative(cwd, dataset.syncConfigPath) || dataset.syncConfigPath}`,
    `Duration: phases ${formatDuration(plan.phasesMs)} + setup ≈ ${formatDuration(plan.setupAllowanceMs)} ` +
      `= ${formatDuration(plan.estimatedRunMs)} (max_duration ${formatDuration(plan.maxDurationMs)})`,
    `Levels:   connections ${list(plan.connectionLevels)}; writes ${list(plan.writeRateLevels)} tx/s; ` +
      `compactions ${plan.actions.filter((planned) => planned.action.kind === 'compact').length}`,
    '',
    ...table(
      ['#', 'phase', 'start', 'duration', 'clients', 'transport', 'writes/s', 'actions', 'thresholds'],
      plan.phases.map(phaseRow),
    ),
    ...thresholdLines(plan.phases),
    '',
    ...checkLines(plan.checks),
  ];
  return `${lines.join('\n')}\n`;
}

function describeTarget(target: ScenarioTarget): string {
  if (target.kind === 'external') return `external ${target.endpoint}`;
  const { api } = target;
  return (
    `embedded reference service: ${target.replicators} replicator(s), ${api.containers} API container(s) ` +
    `× ${api.heapMb} MB heap, max ${api.maxConcurrentConnections} connections each`
  );
}

function phaseRow(phase: PhasePlan): string[] {
  const thresholdCount = Object.values(phase.thresholds).reduce((sum, list) => sum + list.length, 0);
  return [
    String(phase.index + 1),
    phase.name,
    formatClock(phase.startMs),
    formatDuration(phase.durationMs),
    describeClients(phase.clients),
    phase.clients.transports
      .map((share) =>
        share.share === 1 ? share.transport : `${share.transport} ${Math.round(share.share * 100)}%`,
      )
      .join(', '),
    phase.writes ? describeWrites(phase.writes) : '-',
    phase.actions.map((planned) => `+${formatDuration(planned.offsetMs)} ${planned.label}`).join(', ') || '-',
    thresholdCount ? String(thresholdCount) : '-',
  ];
}

function describeClients(plan: ClientPlan): string {
  const load = plan.load;
  switch (load.kind) {
    case 'constant':
      return String(load.clients);
    case 'ramp':
      return `${load.from}→${load.to}`;
    case 'arrival_rate':
      return `≈${plan.peak} (${load.perSecond}/s × ${formatDuration(load.sessionMs)})`;
    case 'churn':
      return `${load.clients} (churn ${load.perSecond}/s)`;
    case 'reconnect_storm':
      return `${load.clients} (storm +${formatDuration(load.atMs)})`;
  }
}

function describeWrites(plan: WritePlan): string {
  const rows = plan.rowsPerTransaction > 1 ? ` ×${plan.rowsPerTransaction} rows` : '';
  const rate = plan.rate;
  switch (rate.kind) {
    case 'constant':
      return `${rate.perSecond}${rows}`;
    case 'poisson':
      return `~${rate.perSecond} poisson${rows}`;
    case 'ramp':
      return `${rate.from}→${rate.to}${rows}`;
    case 'steps':
      return `${rate.steps.map((step) => step.perSecond).join('|')} steps${rows}`;
  }
}

function thresholdLines(phases: PhasePlan[]): string[] {
  const lines = phases.flatMap((phase) =>
    Object.entries(phase.thresholds).map(
      ([metric, expressions]) => `  ${phase.name}: ${metric}: ${expressions.join(', ')}`,
    ),
  );
  return lines.length > 0 ? ['', 'Thresholds:', ...lines] : [];
}

function checkLines(checks: PlanCheck[]): string[] {
  if (checks.length === 0) return ['Checks: ok'];
  return [
    'Checks:',
    ...checks.map((check) => `  ${check.level}: ${check.path ? `${check.path}: ` : ''}${check.message}`),
  ];
}

function list(values: number[]): string {
  return values.length > 0 ? values.join(', ') : 'none';
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const render = (cells: string[]): string =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [render(header), render(widths.map((width) => '-'.repeat(width))), ...rows.map(render)];
}
