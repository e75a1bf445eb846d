import pg from 'pg';
import {
  evaluateThresholds,
  MetricName,
  type MetricRegistry,
  parseThresholds,
  phaseAggregates,
  settleWindowName,
  type SettleSummary,
  type ThresholdResult,
  type WindowAggregates,
} from '../metrics/index.js';
import { PROBE_METRIC_KINDS } from '../probes/index.js';
import {
  constant,
  type defaultWriterTable,
  type loadDataset,
  ramp,
  runUpload,
  steps,
  UPLOAD_METRIC_KINDS,
  UploadMetric,
  WriteGenerator,
  type UploadSummary,
  type WriteSummary,
} from '../writers/index.js';
import type { StreamCompression } from '../fleet/index.js';
import { abortableSleep } from './abortable-sleep.js';
import { waitForCatchUp, writeLargeTransaction, type BacklogContext } from './backlog-actions.js';
import { ClientController, type ClientPool } from './client-controller.js';
import type { RunTarget as RunningTarget } from './external-target.js';
import type { PhaseValidity } from './phase-validity.js';
import type { ProgressLine } from './progress-line.js';
import type { RunDirectory } from './run-directory.js';
import type { Phase } from './types.js';

/** One phase of a run: clients held by the controller, writes, uploads and actions, then its thresholds. */
/** Metric kinds beyond the fleet's and writers' own: probes and the upload path. */
export const RUN_METRIC_KINDS = { ...PROBE_METRIC_KINDS, ...UPLOAD_METRIC_KINDS };

export interface PhaseRecord {
  name: string;
  start: number;
  end: number;
  targetClients: { start: number; end: number };
  writes: WriteSummary | null;
  /** Client writes through the application backend (autocannon), when the phase has `upload`. */
  upload?: UploadSummary & { url: string };
  actions: Array<{
    kind: string;
    atMs: number;
    durationMs: number;
    /** The role a restart action restarted. */
    process?: string;
    result?: unknown;
    error?: string;
  }>;
  thresholds: Array<
    Pick<ThresholdResult, 'passed' | 'observed' | 'reason' | 'status'> & { key: string; expression: string }
  >;
  /**
   * Set only when the figures are final apart from the registry: a coordinator's phase with its shards'
   * figures merged in (distributed.ts). Otherwise results.json reads the phase's registry windows.
   */
  aggregates?: WindowAggregates;
  /**
   * The phase's first seconds, left out of its latencies, gauges and probe readings (counters count them):
   * when it ended and how many trend samples it held. Absent when the phase has no settle window.
   */
  settle?: SettleSummary;
  /** Named problems found in the phase (e.g. SSCALE_R0001: no stamped row reached a client). */
  problems?: Array<{ code: string; message: string }>;
  /** Whether the phase measured the service (set when the phase ends). */
  validity?: PhaseValidity;
}

/**
 * `syncscale run`: starts the target, loads the dataset, runs the phases (clients, writes, actions) while
 * probes sample every second, and writes `reports/<run-id>/` as it goes. Every exit path stops the fleet,
 * the writers, the service processes and Postgres, and writes the results gathered so far.
 */

export interface PhaseContext {
  fleets: ClientPool[];
  registry: MetricRegistry;
  running: RunningTarget;
  source: pg.Pool;
  table: ReturnType<typeof defaultWriterTable>;
  keys: Awaited<ReturnType<typeof loadDataset>>['keys'] | undefined;
  stop: AbortSignal;
  dir: RunDirectory;
  progress: ProgressLine;
  /** Where `upload: {backend: example}` sends requests, and the users and row size of their bodies. */
  upload: { exampleUrl: string | undefined; users: readonly string[]; rowSizeBytes: number };
  compression?: StreamCompression;
}

export async function runPhase(phase: Phase, ctx: PhaseContext): Promise<PhaseRecord> {
  const start = Date.now();
  // The phase's e2e samples are rows its own writers commit from now on, never an earlier backlog.
  for (const pool of ctx.fleets) pool.measureRowsFrom?.(start);
  const measured = openWindows(phase, ctx.registry, start);
  const parsed = parseThresholds(phase.thresholds, {
    path: `phases.${phase.name}.thresholds`,
    kinds: RUN_METRIC_KINDS,
  });
  // A counter a threshold names reads 0 when nothing was counted ("checksum_failures: count == 0" passes).
  if (parsed.ok) for (const t of parsed.thresholds) ctx.registry.declare(t.metric, t.tags);
  ctx.dir.line(`phase ${phase.name} started (${phase.durationMs} ms)`);
  const controller = new ClientController(ctx.fleets, phase.clients, phase.durationMs);
  const record: PhaseRecord = {
    name: phase.name,
    start,
    end: start,
    targetClients: { start: controller.clients, end: controller.clients },
    writes: null,
    actions: [],
    thresholds: [],
  };
  // A controller and a kept timer: AbortSignal.timeout() reachable only through AbortSignal.any() can be
  // collected before it fires on Node 20.
  const phaseEnd = new AbortController();
  const phaseTimer = setTimeout(() => phaseEnd.abort(), phase.durationMs);
  const onStop = () => phaseEnd.abort();
  ctx.stop.addEventListener('abort', onStop);
  const phaseStop = phaseEnd.signal;
  const writes = phase.writes
    ? new WriteGenerator({
        pool: ctx.source,
        table: ctx.table,
        shape: rateShape(phase),
        arrivals: phase.writes.rate.kind === 'poisson' ? 'poisson' : 'even',
        mix: phase.writes.mix,
        rowsPerTransaction: phase.writes.rowsPerTransaction,
        keyChoice:
          phase.writes.keys.kind === 'zipf'
            ? { kind: 'zipf', s: phase.writes.keys.exponent }
            : { kind: 'uniform' },
        keys: ctx.keys,
        settleMs: phase.settleMs,
        sink: { add: (s) => ctx.registry.add(s) },
        tags: { phase: phase.name },
      }).run({ signal: ctx.stop, durationMs: phase.durationMs })
    : undefined;
  const upload = phase.upload ? startUpload(phase, ctx) : undefined;
  const backlog: BacklogContext = {
    running: ctx.running,
    source: ctx.source,
    users: ctx.upload.users,
    idPrefix: ctx.dir.id,
    compression: ctx.compression,
  };
  const actions = phase.actions.map(async (action) => {
    await sleep(action.atMs, phaseStop);
    if (phaseStop.aborted) return;
    const began = Date.now();
    const entry: PhaseRecord['actions'][number] = {
      kind: action.kind,
      atMs: action.atMs,
      durationMs: 0,
      ...(action.kind === 'restart' ? { process: action.process } : {}),
    };
    record.actions.push(entry);
    try {
      if (action.kind === 'compact') entry.result = await ctx.running.compact();
      else if (action.kind === 'large_transaction')
        entry.result = await writeLargeTransaction(
          backlog,
          action.rows,
          ctx.upload.rowSizeBytes,
          `${phase.name}-lt${action.atMs}`,
          phaseStop,
        );
      else if (action.kind === 'restart') await ctx.running.restart(action.process);
      else await ctx.running.killReplicator();
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
    }
    entry.durationMs = Date.now() - began;
    ctx.dir.line(
      `action ${action.kind} at ${action.atMs} ms took ${entry.durationMs} ms${entry.error ? `: ${entry.error}` : ''}`,
    );
    // A restart leaves a backlog: time until the service is caught up again (never past the phase's end).
    if (!entry.error && (action.kind === 'restart' || action.kind === 'kill_replicator'))
      entry.result = await waitForCatchUp(
        backlog,
        began + entry.durationMs,
        phaseStop,
        `the changes made during the ${action.kind}`,
      );
  });
  const tickMs = 1000;
  ctx.progress.phase(phase.name, start + phase.durationMs, () => ({
    clients: controller.clients,
    snapshot: ctx.registry.snapshot(),
  }));
  while (!phaseStop.aborted) {
    controller.tick(Date.now() - start, tickMs);
    await sleep(tickMs, phaseStop);
  }
  clearTimeout(phaseTimer);
  measured.open();
  ctx.stop.removeEventListener('abort', onStop);
  record.targetClients.end = controller.clients;
  record.writes = (await writes) ?? null;
  if (upload) {
    const outcome = await upload;
    if ('error' in outcome) {
      (record.problems ??= []).push({ code: 'SSCALE_U0001', message: outcome.error });
      ctx.dir.line(`phase ${phase.name}: [SSCALE_U0001] ${outcome.error}`);
    } else record.upload = outcome;
  }
  await Promise.all(actions);
  record.end = Date.now();
  const phaseWindow = phaseAggregates(ctx.registry.snapshot().windows, phase.name);
  const window = phaseWindow?.aggregates;
  if (phaseWindow?.settle) record.settle = phaseWindow.settle;
  const stampProblem = window && stampNotDelivered(record, window, phaseWindow?.settle);
  if (stampProblem) {
    record.problems = [stampProblem];
    ctx.dir.line(`phase ${phase.name}: [${stampProblem.code}] ${stampProblem.message}`);
  }
  if (window && parsed.ok) record.thresholds = thresholdOutcomes(parsed.thresholds, window);
  ctx.dir.line(`phase ${phase.name} ended: ${controller.clients} clients`);
  return record;
}

/** A phase's thresholds evaluated on its window, as the phase record keeps them. */
export function thresholdOutcomes(
  thresholds: Parameters<typeof evaluateThresholds>[0],
  window: WindowAggregates,
): PhaseRecord['thresholds'] {
  return evaluateThresholds(thresholds, window).map((r) => ({
    key: r.threshold.key,
    expression: r.threshold.expression,
    passed: r.passed,
    observed: r.observed,
    status: r.status,
    reason: r.reason,
  }));
}

/**
 * Opens the phase's windows in the registry: its settle window at `start`, then its measured window when the
 * settle time is up (or when the phase ends first). `open()` opens the measured window now if it is not yet.
 */
function openWindows(phase: Phase, registry: MetricRegistry, start: number): { open(): void } {
  let opened = false;
  const open = () => {
    if (opened) return;
    opened = true;
    clearTimeout(timer);
    registry.beginWindow(phase.name);
  };
  if (phase.settleMs <= 0) {
    opened = true;
    registry.beginWindow(phase.name, start);
    return { open };
  }
  registry.beginWindow(settleWindowName(phase.name), start);
  const timer = setTimeout(open, phase.settleMs);
  return { open };
}

/**
 * The phase's uploads through the application backend: autocannon at the phase's rate for its duration,
 * each response a sample; latency corrected for coordinated omission at the rate's per-connection interval.
 */
function startUpload(
  phase: Phase,
  ctx: PhaseContext,
): Promise<(UploadSummary & { url: string }) | { error: string }> {
  const shape = phase.upload!;
  const url = shape.target.kind === 'url' ? shape.target.url : ctx.upload.exampleUrl;
  if (!url) return Promise.resolve({ error: 'the example backend is not running' });
  ctx.registry.setExpectedInterval(UploadMetric.latency, (1000 * shape.connections) / shape.perSecond);
  return runUpload({
    url,
    method: shape.method,
    headers: shape.headers,
    body: shape.body,
    perSecond: shape.perSecond,
    connections: shape.connections,
    durationMs: phase.durationMs,
    users: ctx.upload.users,
    payloadBytes: ctx.upload.rowSizeBytes,
    idPrefix: `${ctx.dir.id}-${phase.name}-up`,
    sink: { add: (s) => ctx.registry.add(s) },
    tags: { phase: phase.name },
    signal: ctx.stop,
  }).then(
    (summary) => ({ ...summary, url }),
    (error: unknown) => ({
      error: `upload to ${url} failed: ${error instanceof Error ? error.message : String(error)}`,
    }),
  );
}

/**
 * Rows were written to clients that were connected, yet no stamped row reached any of them: the sync config
 * does not deliver the stamp column (e.g. it selects named columns without `ss_ts`), so end-to-end latency
 * cannot be measured. Said by name rather than left as an empty trend.
 */
function stampNotDelivered(
  record: PhaseRecord,
  window: WindowAggregates,
  settle: SettleSummary | undefined,
): { code: string; message: string } | undefined {
  const written = record.writes?.transactions ?? 0;
  if (written === 0 || record.targetClients.end === 0) return undefined;
  const e2e = window.series.find(
    (s) => s.metric === MetricName.endToEndLatency && s.aggregate.kind === 'trend',
  );
  const ops = window.series.find(
    (s) => s.metric === MetricName.opsReceived && s.aggregate.kind === 'counter',
  );
  if (e2e && e2e.aggregate.kind === 'trend' && e2e.aggregate.n > 0) return undefined;
  if ((settle?.excludedSamples[MetricName.endToEndLatency] ?? 0) > 0) return undefined;
  return {
    code: 'SSCALE_R0001',
    message: `stamp column not delivered: ${written} transactions written while ${record.targetClients.end} clients were connected${ops && ops.aggregate.kind === 'counter' ? ` (${ops.aggregate.count} ops received)` : ''}, but no row carrying ss_ts reached a client — check that the sync config selects column ss_ts of the written table`,
  };
}

function rateShape(phase: Phase) {
  const rate = phase.writes!.rate;
  switch (rate.kind) {
    case 'constant':
    case 'poisson':
      return constant(rate.perSecond);
    case 'ramp':
      return ramp(rate.from, rate.to, phase.durationMs);
    case 'steps':
      return steps(rate.steps.map((s) => ({ rate: s.perSecond, durationMs: s.durationMs })));
  }
}

const sleep = abortableSleep;
