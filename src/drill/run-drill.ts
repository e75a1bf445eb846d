import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import pg from 'pg';
import { ExitCode } from '../errors/index.js';
import { Fleet, type ClientAuth } from '../fleet/index.js';
import { MetricRegistry, type Sample } from '../metrics/index.js';
import { PROBE_METRIC_KINDS } from '../probes/index.js';
import { abortableSleep, RunDirectory } from '../scenario/index.js';
import { datasetUserIds } from '../writers/index.js';
import { drillReports } from './drill-report.js';
import { stepKind, type Drill, type DrillStep } from './drill-file.js';
import { decide, type DrillResults, type StepRecord } from './drill-verdict.js';
import { DrillWriter } from './drill-writer.js';
import { EmbeddedDeployment } from './embedded-deployment.js';
import { StorageWatch } from './storage-watch.js';
import { Timeline } from './timeline.js';
import { verifyClients, type Verification } from './verify-clients.js';
import { ClientWitness } from './witness.js';

export interface DrillOptions {
  reportsDir: string;
  out: (text: string) => void;
  signal: AbortSignal;
  /** Extra environment for replicators that steps start (the test-only fault knobs). */
  newReplicatorEnv?: NodeJS.ProcessEnv;
}

export interface DrillOutcome {
  exitCode: number;
  runDir: string;
  results: DrillResults | undefined;
}

const sleep = abortableSleep;

/**
 * `syncscale drill`: a connected fleet and steady writes throughout, the deploy's steps one after another,
 * then a settle period and the row-level check of every client against the source; the verdict compares
 * hand-over, reconnect and correctness figures with the drill's thresholds.
 */
export async function runDrill(drill: Drill, options: DrillOptions): Promise<DrillOutcome> {
  const dir = RunDirectory.create(options.reportsDir, drill.name);
  options.out(`syncscale drill ${drill.name} → ${dir.path}\n`);
  const timeline = new Timeline();
  const registry = new MetricRegistry({ kinds: PROBE_METRIC_KINDS, firstWindow: 'setup' });
  const reconnectTimes: number[] = [];
  const sink = {
    add(sample: Sample) {
      registry.add(sample);
      if (sample.metric === 'reconnects') reconnectTimes.push(sample.time);
    },
  };
  const deadline = new AbortController();
  const deadlineTimer = setTimeout(() => deadline.abort(), drill.maxDurationMs);
  const stop = AbortSignal.any([options.signal, deadline.signal]);
  const steps: StepRecord[] = [];
  const witnesses: ClientWitness[] = [];
  const syncedSeries: Array<{ at: number; synced: number }> = [];
  let deployment: EmbeddedDeployment | undefined;
  let watch: StorageWatch | undefined;
  let writer: DrillWriter | undefined;
  let fleet: Fleet | undefined;
  let syncedTimer: NodeJS.Timeout | undefined;
  let verification: Verification | undefined;
  let failure: unknown;
  const startedAt = Date.now();
  let loadStartedAt = startedAt;
  try {
    const syncConfig = await fs.readFile(drill.dataset.syncConfigPath, 'utf8');
    const users = datasetUserIds(drill.dataset.users);
    let endpoint: string;
    let sourceUrl: string;
    let storageUrl: string | undefined;
    let auth: ClientAuth;
    if (drill.target.kind === 'embedded') {
      options.out('Starting embedded Postgres, a replicator and the API processes behind a load balancer…\n');
      deployment = new EmbeddedDeployment({
        runDir: dir.path,
        log: dir.log,
        timeline,
        syncConfig,
        dataset: drill.dataset,
        apiContainers: drill.target.apiContainers,
        heapMb: drill.target.heapMb,
        maxConcurrentConnections: drill.target.maxConcurrentConnections,
        lockTtlMs: drill.target.lockTtlMs,
        lockRefreshMs: drill.target.lockRefreshMs,
        storageServer: drill.target.storageServer,
        newReplicatorEnv: options.newReplicatorEnv,
        prepareSource: (url) => seedTodos(url, users, drill.dataset.rowsPerUser, 'seed'),
      });
      await deployment.start();
      endpoint = deployment.balancer.endpoint;
      sourceUrl = deployment.sourceUrl;
      storageUrl = deployment.storageUrl;
      auth = { key: deployment.jwtKey, audience: deployment.audience };
    } else {
      endpoint = drill.target.endpoint;
      sourceUrl = drill.target.sourceUrl;
      storageUrl = drill.target.storageUrl;
      auth = {
        key: { k: drill.target.token.k, kid: drill.target.token.kid },
        audience: drill.target.token.audience,
      };
      // New ids only: the source may hold data of earlier drills or of the application.
      await ensureTables(sourceUrl, drill.dataset.lists);
      await seedTodos(sourceUrl, users, drill.dataset.rowsPerUser, `seed-${dir.id}`);
    }
    stop.throwIfAborted();
    if (storageUrl) {
      watch = new StorageWatch(storageUrl);
      watch.start();
    }
    fleet = new Fleet({
      endpoint,
      auth,
      sink,
      transport: drill.load.transport,
      userId: (index) => users[index % users.length]!,
      maxConcurrentConnects: 100,
      signal: stop,
      observer: ({ userId, clientId }) => {
        const witness = new ClientWitness(userId, clientId);
        witnesses.push(witness);
        return witness;
      },
    });
    const clients = drill.load.clients;
    fleet.add(clients);
    loadStartedAt = Date.now();
    const running = fleet;
    syncedTimer = setInterval(
      () => syncedSeries.push({ at: Date.now(), synced: running.snapshot().synced }),
      100,
    );
    if (!(await waitFor(() => running.snapshot().synced === clients, 60_000, stop)))
      throw new Error(`only ${running.snapshot().synced} of ${clients} clients synced within 60 s`);
    writer = new DrillWriter(sourceUrl, users, drill.load.writesPerSecond, drill.dataset.rowSizeBytes);
    writer.start();
    options.out(
      `${clients} clients synced; writing ${drill.load.writesPerSecond} rows/s; warm-up ${drill.warmupMs / 1000} s\n`,
    );
    await sleep(drill.warmupMs, stop);

    for (const [index, step] of drill.steps.entries()) {
      if (stop.aborted) break;
      const name = `step-${index + 1}-${stepKind(step)}`;
      registry.beginWindow(name);
      timeline.add({ at: Date.now(), subject: 'drill', kind: 'step', detail: name });
      options.out(`[${name}] ${describeStep(step)}\n`);
      const record = await runStep(step, name, {
        deployment,
        sourceUrl,
        users,
        fleet: running,
        clients,
        timeline,
        watch,
        drill,
        stop,
        dir,
      });
      steps.push(record);
      if (record.error) options.out(`  error: ${record.error}\n`);
      for (const [key, value] of Object.entries(record.figures)) options.out(`  ${key}: ${value}\n`);
    }
    registry.beginWindow('settle');
    await sleep(drill.settleMs, stop);
    await writer.stop();
    // Converged: every client holds every committed row (or the wait ends and the check says what is missing).
    const deadlineAt = Date.now() + 30_000;
    for (;;) {
      verification = await verifyClients(sourceUrl, witnesses);
      if (verification.missing === 0 || Date.now() > deadlineAt || stop.aborted) break;
      await sleep(500, stop);
    }
  } catch (error) {
    failure = error;
    dir.line(`drill failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  } finally {
    clearTimeout(deadlineTimer);
    if (syncedTimer) clearInterval(syncedTimer);
    fleet?.stopAll();
    await writer?.close();
    await watch?.stop();
    await deployment?.close().catch(() => undefined);
  }

  const endedAt = Date.now();
  const snapshot = registry.snapshot();
  const results = decide({
    drill,
    startedAt,
    loadStartedAt,
    endedAt,
    timeline,
    steps,
    verification,
    storage: watch
      ? { advances: watch.checkpointAdvances(), holderChanges: watch.holderChanges() }
      : undefined,
    windows: snapshot.windows,
    cumulative: snapshot.cumulative,
    writes: writer ? { committed: writer.committed, failed: writer.failed } : undefined,
    reconnectTimes,
    synced: syncedSeries,
    clients: drill.load.clients,
    failure: failure === undefined ? undefined : failure instanceof Error ? failure.message : String(failure),
    interrupted: options.signal.aborted,
    timedOut: deadline.signal.aborted && !options.signal.aborted,
  });
  dir.writeJson('drill.json', results);
  const written = await drillReports(dir.path, results);
  dir.line(`drill ended: ${results.verdict}`);
  await dir.close();
  options.out(`\n${results.summary}\nReports: ${written.join(', ')}\n`);
  const exitCode =
    failure || options.signal.aborted
      ? ExitCode.FAILURE
      : results.verdict === 'PASS'
        ? ExitCode.OK
        : ExitCode.THRESHOLDS_FAILED;
  return { exitCode, runDir: dir.path, results };
}

interface StepContext {
  deployment: EmbeddedDeployment | undefined;
  sourceUrl: string;
  users: readonly string[];
  fleet: Fleet;
  clients: number;
  timeline: Timeline;
  watch: StorageWatch | undefined;
  drill: Drill;
  stop: AbortSignal;
  dir: RunDirectory;
}

async function runStep(step: DrillStep, name: string, ctx: StepContext): Promise<StepRecord> {
  const record: StepRecord = { name, kind: stepKind(step), startedAt: Date.now(), endedAt: 0, figures: {} };
  try {
    if ('wait' in step) await sleep(step.wait, ctx.stop);
    else if ('large_transaction' in step) await largeTransaction(step.large_transaction, record, ctx);
    else if ('command' in step) {
      record.figures.exit = String(await shell(step.command, ctx.dir));
      await clientsBack(record, ctx);
    } else {
      const deployment = ctx.deployment!;
      if ('start_replicator' in step) {
        const member = await deployment.startReplicator();
        record.subject = member.name;
        const standby = ctx.timeline.first((e) => e.subject === member.name && e.kind === 'standby');
        record.figures.reported = standby ? 'standby (PSYNC_S1003)' : 'took the lock at once';
      } else if ('stop_replicator' in step) {
        await stopReplicator(step.stop_replicator.signal, record, ctx);
      } else if ('roll_api' in step) {
        await rollApis(record, ctx);
      } else if ('migrate' in step) {
        await deployment.migrate();
      } else if ('compact' in step) {
        await deployment.compact();
      } else if ('restart_source' in step) {
        await restartServer('source', step.restart_source.down, record, ctx);
      } else if ('restart_storage' in step) {
        await restartServer('storage', step.restart_storage.down, record, ctx);
      }
    }
  } catch (error) {
    record.error = error instanceof Error ? error.message : String(error);
  }
  record.endedAt = Date.now();
  return record;
}

/** Stops the oldest replicator and times the hand-over: signal → release/exit → acquired → checkpoint. */
async function stopReplicator(
  signal: 'SIGTERM' | 'SIGKILL',
  record: StepRecord,
  ctx: StepContext,
): Promise<void> {
  const deployment = ctx.deployment!;
  const old = deployment.oldestReplicator();
  if (!old) throw new Error('no replicator is running');
  record.subject = old.name;
  record.signal = signal;
  const signalledAt = Date.now();
  await deployment.stop(old, signal);
  record.figures.exitMs = String(Date.now() - signalledAt);
  const ttl = ctx.drill.target.kind === 'embedded' ? ctx.drill.target.lockTtlMs : 60_000;
  const acquired = await waitFor(
    () =>
      ctx.timeline.first(
        (e) => e.kind === 'acquired' && e.subject !== old.name && e.subject.startsWith('replicator-'),
        signalledAt,
      ),
    ttl + 15_000,
    ctx.stop,
  );
  if (!acquired) {
    record.figures.handover = 'no replicator took over';
    return;
  }
  record.handover = { signalledAt, acquiredAt: acquired.at, newHolder: acquired.subject };
  const released = ctx.timeline.first(
    (e) => e.subject === old.name && (e.kind === 'released' || e.kind === 'exited'),
    signalledAt,
  );
  if (released) record.handover.releasedAt = released.at;
  const advanced = await waitFor(
    () => ctx.watch?.checkpointAdvances().find((t) => t >= acquired.at),
    15_000,
    ctx.stop,
  );
  if (advanced) record.handover.firstCheckpointAt = advanced;
  record.figures.handoverMs = String(acquired.at - signalledAt);
  if (advanced) record.figures.firstReplicatedMs = String(advanced - signalledAt);
}

/**
 * A database server restarted under load: the fault, how long replication took to move again (first
 * checkpoint after the server is back) and when every client was synced again.
 */
async function restartServer(
  which: 'source' | 'storage',
  downMs: number,
  record: StepRecord,
  ctx: StepContext,
): Promise<void> {
  const faultAt = Date.now();
  const shared = await ctx.deployment!.restartServer(which, downMs);
  const upAt = Date.now();
  record.subject = shared ? 'postgres (source and storage)' : `postgres (${which})`;
  record.figures.server = shared
    ? 'one server holds source and storage: both restarted'
    : `the ${which} server only`;
  record.figures.restartMs = String(upAt - faultAt);
  const resumed = await waitFor(
    () => ctx.watch?.checkpointAdvances().find((t) => t >= upAt),
    60_000,
    ctx.stop,
  );
  record.figures.replicationResumedMs = resumed ? String(resumed - faultAt) : 'never (within 60 s)';
  await clientsBack(record, ctx);
  record.recovery = {
    faultAt,
    upAt,
    ...(resumed ? { replicationResumedAt: resumed } : {}),
    ...(record.clientsBackMs !== undefined ? { clientsBackAt: record.startedAt + record.clientsBackMs } : {}),
  };
}

/**
 * One transaction of `rows` insert-only rows (the drill's users in turn), and the time until storage has
 * checkpointed past its commit. With `kill_replicator`, the lock holder is SIGKILLed right after the
 * commit — while the transaction is being replicated — and a new replicator started: the row check at the
 * end proves no row of it lost or doubled across the kill.
 */
async function largeTransaction(
  options: { rows: number; kill_replicator: boolean },
  record: StepRecord,
  ctx: StepContext,
): Promise<void> {
  const client = new pg.Client({ connectionString: ctx.sourceUrl, options: '-c synchronous_commit=on' });
  await client.connect();
  let commitLsn: string;
  const began = Date.now();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO todos (id, owner_id, payload)
       SELECT $1 || '-' || g, ($2::text[])[1 + g % array_length($2::text[], 1)], md5(g::text)
       FROM generate_series(1, $3::int) g`,
      [record.name, ctx.users, options.rows],
    );
    await client.query('COMMIT');
    commitLsn = (await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!
      .lsn;
  } finally {
    await client.end();
  }
  const committedAt = Date.now();
  record.figures.rows = String(options.rows);
  record.figures.commitMs = String(committedAt - began);
  if (options.kill_replicator) {
    const deployment = ctx.deployment!;
    const old = deployment.oldestReplicator();
    if (!old) throw new Error('no replicator is running');
    record.subject = old.name;
    record.signal = 'SIGKILL';
    await deployment.stop(old, 'SIGKILL');
    const killedAt = Date.now();
    const replicatedBeforeKill = ctx.watch?.checkpointReached(commitLsn, committedAt) !== undefined;
    record.figures.killed = replicatedBeforeKill
      ? `${old.name} ${killedAt - committedAt} ms after the commit, but the transaction was already checkpointed`
      : `${old.name} ${killedAt - committedAt} ms after the commit, before the transaction was checkpointed`;
    const replacement = await deployment.startReplicator();
    record.figures.replacement = replacement.name;
  }
  const done = await waitFor(() => ctx.watch?.checkpointReached(commitLsn, committedAt), 120_000, ctx.stop);
  record.figures.checkpointedMs = done ? String(done - committedAt) : 'never (within 120 s)';
  if (done && !options.kill_replicator)
    record.figures.rowsPerSecond = String(Math.round(options.rows / ((done - began) / 1000)));
  record.recovery = {
    faultAt: committedAt,
    upAt: committedAt,
    ...(done ? { replicationResumedAt: done } : {}),
  };
}

/** Rolls every API process present at the start, one at a time, timing drain and the reconnect storm. */
async function rollApis(record: StepRecord, ctx: StepContext): Promise<void> {
  const deployment = ctx.deployment!;
  record.rolls = [];
  for (const member of [...deployment.apis.filter((a) => a.process.alive)]) {
    const at = Date.now();
    const { drainMs, replacement } = await deployment.rollApi(member);
    const back = await waitFor(
      () => (ctx.fleet.snapshot().synced === ctx.clients ? Date.now() : undefined),
      ctx.drill.thresholds.clientsBackWithinMs + 10_000,
      ctx.stop,
    );
    record.rolls.push({
      process: member.name,
      replacement: replacement.name,
      at,
      drainMs,
      allBackMs: back ? back - at : undefined,
    });
    record.figures[`${member.name}`] =
      `drained in ${drainMs} ms, every client synced again ${back ? `${back - at} ms` : 'never'} after`;
  }
}

/**
 * After a step an operator ran (a command), waits until every client is synced again when some were not,
 * and records how long that took from the step's start.
 */
async function clientsBack(record: StepRecord, ctx: StepContext): Promise<void> {
  await sleep(1_000, ctx.stop);
  const back = await waitFor(
    () => (ctx.fleet.snapshot().synced === ctx.clients ? Date.now() : undefined),
    ctx.drill.thresholds.clientsBackWithinMs + 10_000,
    ctx.stop,
  );
  record.clientsBackMs = back ? back - record.startedAt : undefined;
  record.figures.clientsSyncedAgain = back
    ? `${back - record.startedAt} ms after the step began`
    : 'not every client';
}

function shell(command: string, dir: RunDirectory): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr])
      stream.on('data', (chunk: Buffer) => dir.log.write(`[command] ${chunk.toString()}`));
    child.on('close', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(127));
  });
}

/** Polls until `probe` returns a value (not undefined/false) or the timeout passes. */
async function waitFor<T>(
  probe: () => T | undefined | false,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline || signal.aborted) return undefined;
    await sleep(50, signal);
  }
}

function describeStep(step: DrillStep): string {
  if ('wait' in step) return `wait ${step.wait / 1000} s`;
  if ('command' in step) return `command: ${step.command}`;
  if ('stop_replicator' in step) return `stop the oldest replicator with ${step.stop_replicator.signal}`;
  if ('start_replicator' in step) return 'start a new replicator (it must stand by)';
  if ('roll_api' in step) return 'roll the API processes one at a time';
  if ('migrate' in step) return 'migrate up (one-shot job)';
  if ('restart_source' in step)
    return `restart the source Postgres (${step.restart_source.down / 1000} s down)`;
  if ('restart_storage' in step)
    return `restart the storage Postgres (${step.restart_storage.down / 1000} s down)`;
  if ('large_transaction' in step) {
    const { rows, kill_replicator } = step.large_transaction;
    return `one transaction of ${rows} rows${kill_replicator ? ', the replicator SIGKILLed while it replicates' : ''}`;
  }
  return 'compact (one-shot job)';
}

/** The drill's tables on an external source, created only when missing (like `syncscale run`'s). */
async function ensureTables(sourceUrl: string, lists: number): Promise<void> {
  const client = new pg.Client({ connectionString: sourceUrl });
  await client.connect();
  try {
    await client.query(`
      CREATE TABLE IF NOT EXISTS lists (id text PRIMARY KEY, name text);
      CREATE TABLE IF NOT EXISTS todos (id text PRIMARY KEY, owner_id text NOT NULL, payload text, ss_ts int8,
        updated_at timestamptz DEFAULT now());`);
    await client.query(
      `INSERT INTO lists SELECT 'list' || g, 'List ' || g FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`,
      [lists],
    );
  } finally {
    await client.end();
  }
}

/** The todos rows every user starts with (`<prefix>-<user>-<i>`). */
async function seedTodos(
  sourceUrl: string,
  users: readonly string[],
  perUser: number,
  prefix: string,
): Promise<void> {
  const client = new pg.Client({ connectionString: sourceUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO todos (id, owner_id, payload)
       SELECT $1 || '-' || u || '-' || g, u, md5(u || g) FROM unnest($2::text[]) u, generate_series(1, $3::int) g
       ON CONFLICT DO NOTHING`,
      [prefix, users, perUser],
    );
  } finally {
    await client.end();
  }
}
