import fs from 'node:fs/promises';
import pg from 'pg';
import { Fleet, WorkerFleet, type MergingSink } from '../fleet/index.js';
import {
  CgroupProbe,
  cgroupPathOf,
  MongoDbProbe,
  PostgresProbe,
  ProbeScheduler,
  ProcessProbe,
  PrometheusProbe,
  SelfProbe,
  type Probe,
} from '../probes/index.js';
import { datasetUserIds, defaultWriterTable, loadDataset } from '../writers/index.js';
import { startEmbeddedTarget } from './embedded-target.js';
import { startExampleBackend } from './example-backend.js';
import { formatClockOffset, measureClockOffset } from './clock-offset.js';
import { connectExternalTarget } from './external-target.js';
import { judgePhase } from './phase-validity.js';
import { bucketDefinitionCount } from './run-outputs.js';
import { runPhase, type PhaseRecord } from './run-phase.js';
import type { RunState } from './run-state.js';
import { formatInitialReplication, waitForSettledStart } from './settled-start.js';
import type { Phase } from './types.js';

/** What the target step leaves for the others: the users, the writers' table and the dataset's keys. */
export interface PreparedData {
  users: string[];
  table: ReturnType<typeof defaultWriterTable>;
  keys: Awaited<ReturnType<typeof loadDataset>>['keys'] | undefined;
  rows: number;
  /** When the dataset load finished (Date.now()). */
  loadedAt: number;
}

/**
 * Starts the embedded target (Postgres and the service processes, the dataset loaded before replication
 * starts) or connects to the external one (then loads the dataset with new keys).
 */
export async function prepareTarget(run: RunState): Promise<PreparedData> {
  const { scenario, dir, options } = run;
  const syncConfig = await fs.readFile(scenario.dataset.syncConfigPath, 'utf8');
  run.syncConfigBuckets = bucketDefinitionCount(syncConfig);
  const users = datasetUserIds(scenario.dataset.users);
  const data: PreparedData = {
    users,
    table: defaultWriterTable(users),
    keys: undefined,
    rows: 0,
    loadedAt: Date.now(),
  };
  const loadTodos = async (sourceUrl: string, keyPrefix?: string) => {
    const pool = new pg.Pool({ connectionString: sourceUrl, max: 2 });
    try {
      // Seed rows carry no commit stamp: end-to-end latency is about writes made during the run.
      const loaded = await loadDataset(pool, data.table, {
        rowsPerUser: scenario.dataset.rowsPerUser,
        rowSize: scenario.dataset.rowSizeBytes,
        keyPrefix,
        stamp: false,
      });
      data.keys = loaded.keys;
      data.rows = loaded.rows;
      data.loadedAt = Date.now();
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
    run.target = {
      ...embedded,
      auth: { key: embedded.jwtKey, audience: embedded.audience },
      workerAuth: { key: embedded.jwtKey, audience: embedded.audience },
      databases: [{ url: embedded.storageUrl, label: 'storage' }],
      blind: [],
    };
  } else {
    options.out(`Connecting to ${scenario.target.endpoint}…\n`);
    run.target = await connectExternalTarget(scenario.target, scenario.dataset);
    // New keys only: the source may hold data from earlier runs or from the application.
    await loadTodos(run.target.sourceUrl, `${dir.id}-k`);
    for (const reason of run.target.blind) dir.line(`probe: ${reason}`);
    for (const notice of run.target.notices ?? []) {
      options.out(`${notice}\n`);
      dir.line(notice);
    }
  }
  run.stop.throwIfAborted();
  dir.line(`target up: ${run.target.endpoints.join(', ')}`);
  return data;
}

/** The first phase measures its own load, not the service still catching up with the dataset. */
export async function settleStart(run: RunState, data: PreparedData): Promise<void> {
  const target = run.target!;
  run.options.out('Waiting for the service to replicate the dataset…\n');
  run.initialReplication = await waitForSettledStart({
    endpoint: target.endpoints[0]!,
    auth: target.auth,
    sourceUrl: target.sourceUrl,
    owner: data.users[0]!,
    sentinel: `${run.dir.id}-settle`,
    rows: data.rows,
    loadedAt: data.loadedAt,
    timeoutMs: run.scenario.limits.maxDurationMs,
    compression: run.scenario.compression,
    signal: run.stop,
  });
  run.options.out(`${formatInitialReplication(run.initialReplication)}\n`);
  run.dir.line(formatInitialReplication(run.initialReplication));
}

/** The writers' pool on the source, and the example upload backend when a phase uses it. */
export async function openWriters(run: RunState): Promise<void> {
  const target = run.target!;
  // synchronous_commit on: the embedded server's default (off) delays logical decoding by up to 200 ms.
  run.source = new pg.Pool({
    connectionString: target.sourceUrl,
    max: 8,
    options: '-c synchronous_commit=on',
  });
  run.source.on('error', () => undefined);
  if (run.scenario.phases.some((p) => p.upload?.target.kind === 'example')) {
    run.backend = await startExampleBackend(target.sourceUrl, run.dir.path, run.dir.log);
    run.dir.line(`example backend up: ${run.backend.url}`);
  }
}

/** Probes every second: the generator itself, the databases, each service process (pid, cgroup, metrics). */
export async function startProbes(run: RunState): Promise<void> {
  const target = run.target!;
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
  run.scheduler = new ProbeScheduler({ probes, sink: run.sink });
  run.scheduler.start();
}

/** The client fleets, one per API endpoint: in this thread, or in `workers` worker threads each. */
export function createClientPools(run: RunState, users: string[], workers: number): void {
  const target = run.target!;
  const { scenario, sink, registry } = run;
  if (workers > 0) {
    // Clients in worker threads: each ships merged histograms and sums, never samples.
    const merging: MergingSink = {
      add: (sample) => sink.add(sample),
      mergeTrend: (m, t, p) => registry.mergeTrend(m, t, p),
    };
    run.workerFleets = target.endpoints.flatMap((endpoint) =>
      Array.from(
        { length: workers },
        (_, workerIndex) =>
          new WorkerFleet(
            {
              endpoint,
              auth: target.workerAuth,
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
    run.pools = run.workerFleets;
    return;
  }
  run.fleets = target.endpoints.map(
    (endpoint) =>
      new Fleet({
        endpoint,
        auth: target.auth,
        sink,
        userId: (index) => users[index % users.length]!,
        maxConcurrentConnects: 200,
        compression: scenario.compression,
        signal: run.stop,
      }),
  );
  run.pools = run.fleets;
}

/** One phase: run it, judge whether it measured the service, keep it, and write results.json as it stands. */
export async function runJudgedPhase(run: RunState, data: PreparedData, phase: Phase): Promise<PhaseRecord> {
  const record = await runPhase(phase, {
    fleets: run.pools,
    registry: run.registry,
    running: run.target!,
    source: run.source!,
    table: data.table,
    keys: data.keys,
    stop: run.stop,
    dir: run.dir,
    progress: run.progress,
    upload: {
      exampleUrl: run.backend?.url,
      users: data.users,
      rowSizeBytes: run.scenario.dataset.rowSizeBytes,
    },
    compression: run.scenario.compression,
  });
  record.validity = judgePhase(record, run.selfSamples);
  if (!record.validity.valid)
    run.dir.line(`phase ${record.name} invalid: ${record.validity.reasons.join('; ')}`);
  run.phases.push(record);
  run.dir.writeJson('results.json', run.results());
  return record;
}

/**
 * The fleet's clock against the source database's, before the phases (then taken out of every e2e latency)
 * or after them (how far the clocks drifted during the run). Recorded in results.json and printed.
 */
export async function measureClock(run: RunState, when: 'before' | 'after'): Promise<void> {
  const offset = await measureClockOffset(run.source!);
  run.clock[when] = offset;
  if (when === 'before') for (const pool of run.pools) pool.setClockOffset?.(offset.offsetMs);
  const line = formatClockOffset(offset, `${when} the phases`);
  run.dir.line(line);
  if (when === 'before') run.options.out(`${line}\n`);
}
