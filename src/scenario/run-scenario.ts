import fs from 'node:fs/promises';
import { readdirSync, readFileSync } from 'node:fs';
import { writeArtifact } from '../redact/index.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseYamlSafely } from '../yaml/index.js';
import { ExitCode } from '../errors/index.js';
import { Fleet, WorkerFleet, type MergingSink } from '../fleet/index.js';
import {
  evaluateThresholds,
  MetricName,
  MetricRegistry,
  parseThresholds,
  SamplesWriter,
  type Sample,
  type SampleSink,
  type ThresholdResult,
  type WindowAggregates,
} from '../metrics/index.js';
import {
  CgroupProbe,
  cgroupPathOf,
  machineFingerprint,
  MongoDbProbe,
  PostgresProbe,
  PROBE_METRIC_KINDS,
  ProbeScheduler,
  ProcessProbe,
  PrometheusProbe,
  SelfProbe,
  type Probe,
} from '../probes/index.js';
import {
  constant,
  defaultWriterTable,
  loadDataset,
  ramp,
  runUpload,
  steps,
  UPLOAD_METRIC_KINDS,
  UploadMetric,
  WriteGenerator,
  type UploadSummary,
  type WriteSummary,
} from '../writers/index.js';
import { abortableSleep } from './abortable-sleep.js';
import { killAllServiceProcesses } from './child-processes.js';
import { startEmbeddedTarget } from './embedded-target.js';
import { startExampleBackend } from './example-backend.js';
import { connectExternalTarget, type RunTarget as RunningTarget } from './external-target.js';
import { ClientController, type ClientPool } from './client-controller.js';
import { formatPlan } from './format-plan.js';
import { planScenario } from './plan-scenario.js';
import { ProgressLine } from './progress-line.js';
import { RunDirectory } from './run-directory.js';
import { scenarioRecord } from './scenario-record.js';
import { judgePhase, judgeRun, type PhaseValidity, type RunValidity } from './phase-validity.js';
import { formatInitialReplication, waitForSettledStart, type InitialReplication } from './settled-start.js';
import type { Phase, Scenario } from './types.js';

export interface RunOptions {
  reportsDir: string;
  /** Capacity profile for the sizing summary at the end of a valid run (default scenarios/profile-default.yaml). */
  profilePath?: string;
  out: (text: string) => void;
  /** Aborted on Ctrl-C: the run stops, keeps what it gathered and stops every process. */
  signal: AbortSignal;
  /** Fleet worker threads per API endpoint; 0 (default) runs the clients in this thread. */
  workers?: number;
  /** Progress line refresh; 0 disables it (tests). */
  progressIntervalMs?: number;
  /** Print and write the sizing summary at the end (default true; a verification run is not sized). */
  size?: boolean;
}

export interface RunOutcome {
  exitCode: number;
  runDir: string;
  valid: boolean;
  reasons: string[];
}

/** Metric kinds beyond the fleet's and writers' own: probes and the upload path. */
const RUN_METRIC_KINDS = { ...PROBE_METRIC_KINDS, ...UPLOAD_METRIC_KINDS };

interface PhaseRecord {
  name: string;
  start: number;
  end: number;
  targetClients: { start: number; end: number };
  writes: WriteSummary | null;
  /** Client writes through the application backend (autocannon), when the phase has `upload`. */
  upload?: UploadSummary & { url: string };
  actions: Array<{ kind: string; atMs: number; durationMs: number; result?: unknown; error?: string }>;
  thresholds: Array<
    Pick<ThresholdResult, 'passed' | 'observed' | 'reason' | 'status'> & { key: string; expression: string }
  >;
  aggregates?: WindowAggregates;
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
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunOutcome> {
  const plan = planScenario(scenario);
  const dir = RunDirectory.create(options.reportsDir, scenario.name);
  options.out(`syncscale run ${scenario.name} → ${dir.path}\n${formatPlan(plan)}\n`);
  dir.line(`run ${dir.id} started; scenario ${scenario.sourcePath ?? scenario.name}`);
  const registry = new MetricRegistry({ kinds: RUN_METRIC_KINDS, firstWindow: 'setup' });
  const samples = await SamplesWriter.open(dir.path);
  const selfSamples: Sample[] = [];
  const sink: SampleSink = {
    add(sample) {
      registry.add(sample);
      samples.add(sample);
      if (sample.metric.startsWith('generator_')) selfSamples.push(sample);
    },
  };
  const phases: PhaseRecord[] = [];
  let validity: RunValidity = { valid: true, reasons: [], invalidPhases: [] };
  const deadlineController = new AbortController();
  const deadlineTimer = setTimeout(() => deadlineController.abort(), scenario.limits.maxDurationMs);
  const deadline = deadlineController.signal;
  const stop = AbortSignal.any([options.signal, deadline]);
  let target: RunningTarget | undefined;
  let scheduler: ProbeScheduler | undefined;
  let fleets: Fleet[] = [];
  let workerFleets: WorkerFleet[] = [];
  let pools: ClientPool[];
  let source: pg.Pool | undefined;
  let backend: Awaited<ReturnType<typeof startExampleBackend>> | undefined;
  let failure: unknown;
  let initialReplication: InitialReplication | undefined;
  const startedAt = Date.now();
  // Stored with the results: the regression gate refuses to compare machine-dependent figures across machines.
  const machine = await machineFingerprint();
  /** Bucket definitions of the sync config: part of the scenario shape a calibration depends on. */
  let syncConfigBuckets: number | null = null;
  const progress = new ProgressLine(options.out, options.progressIntervalMs ?? 2000);
  try {
    const syncConfig = await fs.readFile(scenario.dataset.syncConfigPath, 'utf8');
    syncConfigBuckets = bucketDefinitionCount(syncConfig);
    const users = Array.from({ length: scenario.dataset.users }, (_, i) => `user${i}`);
    const table = defaultWriterTable(users);
    let keys: Awaited<ReturnType<typeof loadDataset>>['keys'] | undefined;
    let datasetRows = 0;
    let loadedAt = Date.now();
    const loadTodos = async (sourceUrl: string, keyPrefix?: string) => {
      const pool = new pg.Pool({ connectionString: sourceUrl, max: 2 });
      try {
        // Seed rows carry no commit stamp: end-to-end latency is about writes made during the run.
        const loaded = await loadDataset(pool, table, {
          rowsPerUser: scenario.dataset.rowsPerUser,
          rowSize: scenario.dataset.rowSizeBytes,
          keyPrefix,
          stamp: false,
        });
        keys = loaded.keys;
        datasetRows = loaded.rows;
        loadedAt = Date.now();
        dir.line(`dataset: ${loaded.rows} rows in ${loaded.durationMs.toFixed(0)} ms`);
      } finally {
        await pool.end();
      }
    };
    if (scenario.target.kind === 'embedded') {
      options.out('Starting embedded Postgres and the reference service…\n');
      const embedded = await startEmbeddedTarget({
        runDir: dir.path,
        log: dir.log,
        syncConfig,
        replicators: scenario.target.replicators,
        apiContainers: scenario.target.api.containers,
        heapMb: scenario.target.api.heapMb,
        maxConcurrentConnections: scenario.target.api.maxConcurrentConnections,
        dataset: scenario.dataset,
        dataDir: scenario.target.postgres.dataDir,
        prepareSource: (sourceUrl) => loadTodos(sourceUrl),
      });
      target = {
        ...embedded,
        auth: { key: embedded.jwtKey, audience: embedded.audience },
        workerAuth: { key: embedded.jwtKey, audience: embedded.audience },
        databases: [{ url: embedded.storageUrl, label: 'storage' }],
        blind: [],
      };
    } else {
      options.out(`Connecting to ${scenario.target.endpoint}…\n`);
      target = await connectExternalTarget(scenario.target, scenario.dataset);
      // New keys only: the source may hold data from earlier runs or from the application.
      await loadTodos(target.sourceUrl, `${dir.id}-k`);
      for (const reason of target.blind) dir.line(`probe: ${reason}`);
      for (const notice of target.notices ?? []) {
        options.out(`${notice}\n`);
        dir.line(notice);
      }
    }
    stop.throwIfAborted();
    dir.line(`target up: ${target.endpoints.join(', ')}`);
    // The first phase measures its own load, not the service still catching up with the dataset.
    options.out('Waiting for the service to replicate the dataset…\n');
    initialReplication = await waitForSettledStart({
      endpoint: target.endpoints[0]!,
      auth: target.auth,
      sourceUrl: target.sourceUrl,
      owner: users[0]!,
      sentinel: `${dir.id}-settle`,
      rows: datasetRows,
      loadedAt,
      timeoutMs: scenario.limits.maxDurationMs,
      compression: scenario.compression,
      signal: stop,
    });
    options.out(`${formatInitialReplication(initialReplication)}\n`);
    dir.line(formatInitialReplication(initialReplication));
    // synchronous_commit on: the embedded server's default (off) delays logical decoding by up to 200 ms.
    source = new pg.Pool({ connectionString: target.sourceUrl, max: 8, options: '-c synchronous_commit=on' });
    source.on('error', () => undefined);
    if (scenario.phases.some((p) => p.upload?.target.kind === 'example')) {
      backend = await startExampleBackend(target.sourceUrl, dir.path, dir.log);
      dir.line(`example backend up: ${backend.url}`);
    }

    const probes: Probe[] = [
      new SelfProbe({ label: 'generator' }),
      ...target.databases.map((db) => new PostgresProbe(db.url, { label: db.label })),
      ...(target.mongodbStorageUrl ? [new MongoDbProbe(target.mongodbStorageUrl, { label: 'storage' })] : []),
    ];
    const ownCgroup = await cgroupPathOf('self');
    for (const p of target.serviceProcesses()) {
      if (p.pid !== undefined) {
        probes.push(new ProcessProbe(p.pid, p.label));
        // A containerised service has a cgroup of its own: its memory and CPU as the container sees them.
        const cgroup = await cgroupPathOf(p.pid);
        if (cgroup && cgroup !== ownCgroup) probes.push(new CgroupProbe(cgroup, { label: p.label }));
      }
      if (p.metricsUrl) probes.push(new PrometheusProbe(p.metricsUrl, p.label));
    }
    scheduler = new ProbeScheduler({ probes, sink });
    scheduler.start();

    const running = target;
    const workers = options.workers ?? 0;
    if (workers > 0) {
      // Clients in worker threads: each ships merged histograms and sums, never samples.
      const merging: MergingSink = {
        add: (sample) => sink.add(sample),
        mergeTrend: (m, t, p) => registry.mergeTrend(m, t, p),
      };
      workerFleets = running.endpoints.flatMap((endpoint) =>
        Array.from(
          { length: workers },
          (_, workerIndex) =>
            new WorkerFleet(
              {
                endpoint,
                auth: running.workerAuth,
                users,
                workerIndex,
                workers,
                maxConcurrentConnects: 100,
                compression: scenario.compression,
              },
              merging,
            ),
        ),
      );
      pools = workerFleets;
    } else {
      fleets = running.endpoints.map(
        (endpoint) =>
          new Fleet({
            endpoint,
            auth: running.auth,
            sink,
            userId: (index) => users[index % users.length]!,
            maxConcurrentConnects: 200,
            compression: scenario.compression,
            signal: stop,
          }),
      );
      pools = fleets;
    }

    for (const phase of scenario.phases) {
      if (stop.aborted) break;
      const record = await runPhase(phase, {
        fleets: pools,
        registry,
        running,
        source,
        table,
        keys,
        stop,
        dir,
        progress,
        upload: { exampleUrl: backend?.url, users, rowSizeBytes: scenario.dataset.rowSizeBytes },
      });
      record.validity = judgePhase(record, selfSamples);
      if (!record.validity.valid)
        dir.line(`phase ${record.name} invalid: ${record.validity.reasons.join('; ')}`);
      phases.push(record);
      dir.writeJson('results.json', results());
    }
  } catch (error) {
    failure = error;
    dir.line(`run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    clearTimeout(deadlineTimer);
    progress.stop();
    for (const fleet of fleets) fleet.stopAll();
    await Promise.all(workerFleets.map((fleet) => fleet.stopAll()));
    await scheduler?.stop().catch(() => undefined);
    await backend?.process.stop(5_000).catch(() => undefined);
    await source?.end().catch(() => undefined);
    await target?.stop().catch(() => killAllServiceProcesses());
    await samples.close().catch(() => undefined);
    // The generated service configs held the run's key and database passwords while the services ran.
    redactFilesIn(dir.path, /^service-.*\.ya?ml$/);
  }

  const interrupted = options.signal.aborted;
  const timedOut = deadline.aborted && !interrupted;
  // A phase cut short by an interrupt still gets its verdict; the run is judged from its phases.
  validity = judgeRun(
    phases.map((p) => ({ ...p, validity: p.validity ?? judgePhase(p, selfSamples) })),
    timedOut ? [`run exceeded limits.max_duration (${scenario.limits.maxDurationMs} ms)`] : [],
  );
  const reasons = validity.reasons;
  const thresholdsFailed = phases.some((p) => p.thresholds.some((t) => !t.passed));
  const exitCode =
    failure || interrupted
      ? ExitCode.FAILURE
      : reasons.length > 0
        ? ExitCode.RUN_INVALID
        : thresholdsFailed
          ? ExitCode.THRESHOLDS_FAILED
          : ExitCode.OK;
  dir.writeJson('results.json', results());
  dir.line(`run ended with exit code ${exitCode}`);
  await dir.close();
  options.out(summaryText());
  if (!failure && !interrupted && options.size !== false)
    options.out(await sizingSummary(dir.path, options.profilePath ?? DEFAULT_PROFILE));
  options.out(await reports(dir.path));
  return { exitCode, runDir: dir.path, valid: validity.valid, reasons };

  function results() {
    const snapshot = registry.snapshot();
    return {
      runId: dir.id,
      scenario: scenarioRecord(scenario, syncConfigBuckets),
      plan,
      machine,
      startedAt: new Date(startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
      status: failure ? 'error' : options.signal.aborted ? 'interrupted' : 'completed',
      error: failure instanceof Error ? failure.message : failure === undefined ? undefined : String(failure),
      validity,
      targetService: target?.reported,
      ...(initialReplication ? { initialReplication } : {}),
      probesUnavailable: [...(target?.blind ?? []), ...(scheduler?.unavailable() ?? [])],
      observed: observedSources(snapshot.cumulative, target?.serviceProcesses().map((p) => p.label) ?? []),
      phases: phases.map((p) => ({
        ...p,
        aggregates: snapshot.windows.find((w) => w.name === p.name) ?? p.aggregates,
      })),
      cumulative: snapshot.cumulative,
    };
  }

  function summaryText(): string {
    const lines = [`\nRun ${dir.id}: ${exitCode === 0 ? 'passed' : `exit ${exitCode}`}`];
    if (initialReplication) lines.push(`  ${formatInitialReplication(initialReplication)}`);
    for (const phase of phases) {
      for (const problem of phase.problems ?? [])
        lines.push(`  ${phase.name}: [${problem.code}] ${problem.message}`);
      const failed = phase.thresholds.filter((t) => !t.passed);
      lines.push(
        `  ${phase.name}: clients ${phase.targetClients.end}, writes ${phase.writes ? phase.writes.achievedRate.toFixed(1) + ' tx/s' : '-'}` +
          (phase.upload
            ? `, uploads ${phase.upload.achievedRate.toFixed(1)}/s (${phase.upload.non2xx + phase.upload.errors} failed, p99 ${phase.upload.latencyMs.p99} ms)`
            : '') +
          (failed.length
            ? `, thresholds failed: ${failed.map((t) => `${t.key} ${t.expression} (${t.reason})`).join('; ')}`
            : ''),
      );
    }
    for (const phase of validity.invalidPhases)
      lines.push(`  phase ${phase.name} left out (invalid): ${phase.reasons.join('; ')}`);
    for (const phase of phases)
      if (phase.writes?.sourceBackpressure) lines.push(`  ${phase.name}: ${phase.writes.sourceBackpressure}`);
    if (reasons.length > 0) lines.push(`  INVALID RUN: ${reasons.join('; ')}`);
    if (failure) lines.push(`  ERROR: ${failure instanceof Error ? failure.message : String(failure)}`);
    lines.push(`  results: ${dir.file('results.json')}`);
    return lines.join('\n') + '\n';
  }
}

const DEFAULT_PROFILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../scenarios/profile-default.yaml',
);

/**
 * The sizing summary for a profile, written as recommendations.json/.csv beside the results. An invalid run
 * is not sized: its figures measured the generator, not the service.
 */
async function sizingSummary(runDir: string, profilePath: string): Promise<string> {
  try {
    const { sizeRun, writeRecommendations } = await import('../analysis/index.js');
    const { recommendations, text } = sizeRun(runDir, profilePath);
    writeRecommendations(runDir, recommendations);
    return `\nSizing for profile ${path.basename(profilePath)}:\n${text}\n`;
  } catch (error) {
    return `\nNo sizing summary: ${error instanceof Error ? error.message : String(error)}\n`;
  }
}

/** report.md and report.html from what was saved (also for an interrupted run: it shows what was gathered). */
async function reports(runDir: string): Promise<string> {
  try {
    const { writeReports } = await import('../report/index.js');
    const written = await writeReports(runDir);
    return `Reports: ${written.markdown}, ${written.html}\n`;
  } catch (error) {
    return `No report: ${error instanceof Error ? error.message : String(error)}\n`;
  }
}

interface PhaseContext {
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
}

async function runPhase(phase: Phase, ctx: PhaseContext): Promise<PhaseRecord> {
  const start = Date.now();
  ctx.registry.beginWindow(phase.name, start);
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
  const actions = phase.actions.map(async (action) => {
    await sleep(action.atMs, phaseStop);
    if (phaseStop.aborted) return;
    const began = Date.now();
    const entry: PhaseRecord['actions'][number] = { kind: action.kind, atMs: action.atMs, durationMs: 0 };
    record.actions.push(entry);
    try {
      if (action.kind === 'compact') entry.result = await ctx.running.compact();
      else if (action.kind === 'restart') await ctx.running.restart(action.process);
      else await ctx.running.killReplicator();
    } catch (error) {
      entry.error = error instanceof Error ? error.message : String(error);
    }
    entry.durationMs = Date.now() - began;
    ctx.dir.line(
      `action ${action.kind} at ${action.atMs} ms took ${entry.durationMs} ms${entry.error ? `: ${entry.error}` : ''}`,
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
  const window = ctx.registry.snapshot().windows.find((w) => w.name === phase.name);
  const stampProblem = window && stampNotDelivered(record, window);
  if (stampProblem) {
    record.problems = [stampProblem];
    ctx.dir.line(`phase ${phase.name}: [${stampProblem.code}] ${stampProblem.message}`);
  }
  if (window) {
    if (parsed.ok) {
      record.thresholds = evaluateThresholds(parsed.thresholds, window).map((r) => ({
        key: r.threshold.key,
        expression: r.threshold.expression,
        passed: r.passed,
        observed: r.observed,
        status: r.status,
        reason: r.reason,
      }));
    }
  }
  ctx.dir.line(`phase ${phase.name} ended: ${controller.clients} clients`);
  return record;
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

/** Where each service process's figures came from: /proc (its pid), its metrics, or nowhere. */
function observedSources(
  cumulative: WindowAggregates,
  labels: readonly string[],
): Record<string, Record<string, '/proc' | 'metrics' | 'unavailable'>> {
  const has = (metric: string, label: string) =>
    cumulative.series.some((s) => s.metric === metric && s.tags.process === label);
  const pick = (label: string, proc: string | undefined, metrics: string[]) =>
    proc && has(proc, label) ? '/proc' : metrics.some((m) => has(m, label)) ? 'metrics' : 'unavailable';
  const out: Record<string, Record<string, '/proc' | 'metrics' | 'unavailable'>> = {};
  for (const label of labels) {
    out[label] = {
      rss: pick(label, 'process_rss_bytes', ['process_resident_memory_bytes']),
      cpu: pick(label, 'process_cpu_seconds', ['process_cpu_seconds_total']),
      heap: pick(label, undefined, ['nodejs_heap_size_used_bytes']),
      connections: pick(label, undefined, ['powersync_concurrent_connections']),
      operations_synced: pick(label, undefined, ['powersync_operations_synced_total']),
      replication_lag: pick(label, undefined, ['powersync_replication_lag_seconds']),
    };
  }
  return out;
}

/**
 * Rows were written to clients that were connected, yet no stamped row reached any of them: the sync config
 * does not deliver the stamp column (e.g. it selects named columns without `ss_ts`), so end-to-end latency
 * cannot be measured. Said by name rather than left as an empty trend.
 */
function stampNotDelivered(
  record: PhaseRecord,
  window: WindowAggregates,
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
  return {
    code: 'SSCALE_R0001',
    message: `stamp column not delivered: ${written} transactions written while ${record.targetClients.end} clients were connected${ops && ops.aggregate.kind === 'counter' ? ` (${ops.aggregate.count} ops received)` : ''}, but no row carrying ss_ts reached a client — check that the sync config selects column ss_ts of the written table`,
  };
}

function bucketDefinitionCount(text: string): number | null {
  const parsed = parseYamlSafely(text).value as { bucket_definitions?: Record<string, unknown> } | null;
  return parsed?.bucket_definitions ? Object.keys(parsed.bucket_definitions).length : null;
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

/** Rewrites the run directory's files whose names match, redacted (they were needed in clear while running). */
function redactFilesIn(dirPath: string, name: RegExp): void {
  try {
    for (const file of readdirSync(dirPath)) {
      if (!name.test(file)) continue;
      const full = path.join(dirPath, file);
      writeArtifact(full, readFileSync(full, 'utf8'));
    }
  } catch {
    // best effort: the run's outcome matters more than this rewrite
  }
}

export { MetricName };
