import type { TrendAggregate } from '../metrics/index.js';
import {
  DASH,
  formatCores,
  formatDurationMs,
  formatMiB,
  formatMs,
  formatNumber,
  formatRate,
  roundMs,
} from './format.js';
import {
  LATENCY_METRICS,
  measuredConnections,
  phaseCount,
  phaseTrend,
  processResources,
} from './phase-metrics.js';
import type { RecommendationRow } from './recommendations.js';
import type { PhaseResult, RunResults } from './run-results.js';

/** A table both the Markdown and the HTML report render. */
export interface Table {
  headers: string[];
  rows: string[][];
}

/** Key/value lines of the run summary. */
export function summaryRows(results: RunResults): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['Run', results.runId],
    [
      'Scenario',
      results.scenario.source
        ? `${results.scenario.name} (${results.scenario.source})`
        : results.scenario.name,
    ],
    ['Target', describeTarget(results)],
    ['Dataset', describeDataset(results)],
  ];
  if (results.startedAt) rows.push(['Started', results.startedAt]);
  if (results.finishedAt) rows.push(['Finished', results.finishedAt]);
  const first = results.phases[0];
  const last = results.phases[results.phases.length - 1];
  if (first && last) {
    rows.push(['Measured', `${results.phases.length} phases, ${formatDurationMs(last.end - first.start)}`]);
  }
  rows.push(['Status', results.status ?? 'unknown']);
  if (results.error) rows.push(['Error', results.error]);
  return rows;
}

export function phaseTable(results: RunResults): Table {
  return {
    headers: [
      'Phase',
      'Duration',
      'Clients (target)',
      'Connections (measured)',
      'Writes target / achieved',
      ...LATENCY_METRICS.map((m) => `${m} p50 / p99`),
      'Errors',
      'Checksum failures',
    ],
    rows: results.phases.map((phase) => [
      phase.name,
      formatDurationMs(phase.end - phase.start),
      String(phase.targetClients.end),
      optional(measuredConnections(phase)),
      phase.writes
        ? `${formatRate(phase.writes.targetRate)} / ${formatRate(phase.writes.achievedRate)}`
        : DASH,
      ...LATENCY_METRICS.map((m) => trendCell(phaseTrend(phase, m))),
      optional(phaseCount(phase, 'errors')),
      optional(phaseCount(phase, 'checksum_failures')),
    ]),
  };
}

/** `p50 / p99 ms (n=…)`, or a dash when the phase recorded nothing. */
export function trendCell(trend: TrendAggregate | undefined): string {
  if (!trend || trend.n === 0) return DASH;
  return `${roundMs(trend.p50)} / ${roundMs(trend.p99)} ms (n=${trend.n})`;
}

export function thresholdTable(results: RunResults): Table {
  const rows = results.phases.flatMap((phase) =>
    phase.thresholds.map((t) => [
      phase.name,
      t.key,
      t.expression,
      t.passed ? 'pass' : `FAIL${t.status && t.status !== 'failed' ? ` (${t.status})` : ''}`,
      typeof t.observed === 'number' ? formatNumber(t.observed) : DASH,
      t.reason ?? '',
    ]),
  );
  return { headers: ['Phase', 'Metric', 'Expression', 'Result', 'Observed', 'Reason'], rows };
}

export function resourceTable(results: RunResults): Table {
  return {
    headers: [
      'Phase',
      'Process',
      'RSS last (min–max)',
      'Heap used last (min–max)',
      'CPU mean',
      'CPU max (1 s)',
    ],
    rows: results.phases.flatMap((phase) =>
      processResources(phase).map((r) => [
        phase.name,
        r.process,
        r.rss ? `${formatMiB(r.rss.last)} (${formatMiB(r.rss.min)}–${formatMiB(r.rss.max)})` : DASH,
        r.heap ? `${formatMiB(r.heap.last)} (${formatMiB(r.heap.min)}–${formatMiB(r.heap.max)})` : DASH,
        formatCores(r.cpuMean),
        formatCores(r.cpuMax),
      ]),
    ),
  };
}

export function compactionTable(results: RunResults): Table {
  const rows: string[][] = [];
  for (const phase of results.phases) {
    for (const action of phase.actions.filter((a) => a.kind === 'compact'))
      rows.push(compactionRow(phase, action));
  }
  return {
    headers: [
      'Phase',
      'At',
      'Ops examined',
      'Moved',
      'Cleared',
      'Buckets',
      'Compaction time',
      'Action time',
      'Peak tracked rows',
      'Memory limit',
    ],
    rows,
  };
}

function compactionRow(phase: PhaseResult, action: PhaseResult['actions'][number]): string[] {
  const r = action.result ?? {};
  const n = (key: string) => (typeof r[key] === 'number' ? formatNumber(r[key]) : DASH);
  const memory = typeof r.memoryLimitMB === 'number' ? `${r.memoryLimitMB} MB` : DASH;
  return [
    phase.name,
    `${formatNumber(action.atMs / 1000)} s`,
    n('opsExamined'),
    n('movedOps'),
    n('clearedOps'),
    n('buckets'),
    action.error ? `failed: ${action.error}` : formatMs(r.durationMs as number | undefined),
    formatMs(action.durationMs),
    n('trackedRowsPeak'),
    memory,
  ];
}

export function recommendationTable(rows: RecommendationRow[]): Table {
  return {
    headers: ['Recommendation', 'Number', 'Unit', 'Evidence'],
    rows: rows.map((r) => [r.name, r.number, r.unit, r.evidence]),
  };
}

function describeTarget(results: RunResults): string {
  const target = results.scenario.target;
  if (!target) return DASH;
  const api = target.api;
  const parts = [target.kind ?? 'unknown'];
  if (target.replicators !== undefined) parts.push(`${target.replicators} replicator(s)`);
  if (api?.containers !== undefined) parts.push(`${api.containers} API container(s)`);
  if (api?.heapMb !== undefined) parts.push(`heap ${api.heapMb} MB`);
  if (api?.maxConcurrentConnections !== undefined)
    parts.push(`connection cap ${api.maxConcurrentConnections}`);
  return parts.join(', ');
}

function describeDataset(results: RunResults): string {
  const d = results.scenario.dataset;
  if (!d) return DASH;
  const parts: string[] = [];
  if (typeof d.users === 'number') parts.push(`${d.users} users`);
  if (typeof d.rowsPerUser === 'number') parts.push(`${d.rowsPerUser} rows/user`);
  if (typeof d.rowSizeBytes === 'number') parts.push(`${d.rowSizeBytes} B/row`);
  if (typeof d.lists === 'number') parts.push(`${d.lists} lists`);
  return parts.length > 0 ? parts.join(', ') : DASH;
}

function optional(value: number | undefined): string {
  return value === undefined ? DASH : formatNumber(value);
}
