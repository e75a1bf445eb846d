/**
 * Sync API fan-out benchmark: with N connected NDJSON streams of distinct users (levels 1, 20, 190, 1,000;
 * two buckets each), one source change that affects every client (an UPDATE of a row of the `global` lists
 * table, autocommit) and, per client, the time from just before the COMMIT is sent to that client's next
 * checkpoint_complete whose data carried the change. Each change is tagged in the row (`~c<n>~`), so the
 * client knows which change a checkpoint completes. 1 warm-up + 10 measured changes per level, at least
 * 500 ms apart and each only after every client completed the previous one (or 30 s passed). The service is
 * a separate child process; its CPU comes from /proc. Starts its own embedded Postgres and stops it at the end.
 * With `--compression gzip` the clients ask for gzip as the SDKs' fetch does and the service gzips each stream.
 * Prints each level's p99 against issue 14's targets (1,000 streams: must ≤ 100 ms, goal ≤ 50 ms; 5,000
 * streams: must ≤ 250 ms).
 * Usage: npm run bench:api-fanout [-- --levels 1,20,190,1000,5000 --changes 10 --spacing-ms 500 --compression none|gzip]
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { CHECKPOINT_CHANNEL } from '../../src/service/storage/index.js';
import {
  clientFootprint,
  dropped,
  fitLine,
  installGuards,
  loadAverage,
  median,
  onCleanup,
  openStreams,
  percentile,
  postgresCpuSeconds,
  reportServiceLog,
  runCleanups,
  sleep,
  startEnvironment,
  table,
  type StreamClient,
} from './support/index.js';

const { values: args } = parseArgs({
  options: {
    levels: { type: 'string', default: '1,20,190,1000' },
    changes: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    'spacing-ms': { type: 'string', default: '500' },
    'change-timeout-ms': { type: 'string', default: '30000' },
    'max-connections': { type: 'string', default: '2000' },
    'deadline-s': { type: 'string', default: '900' },
    compression: { type: 'string', default: 'none' },
  },
});
const LEVELS = args.levels
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const CHANGES = Number(args.changes);
const WARMUP = Number(args.warmup);
const SPACING_MS = Number(args['spacing-ms']);
const CHANGE_TIMEOUT_MS = Number(args['change-timeout-ms']);
const MAX_CONNECTIONS = Math.max(Number(args['max-connections']), 2 * LEVELS[LEVELS.length - 1]!);

if (args.compression !== 'none' && args.compression !== 'gzip') {
  console.error(`--compression must be none or gzip, not ${args.compression}`);
  process.exit(2);
}
const GZIP = args.compression === 'gzip';
/** Issue 14's fan-out targets, p99 in ms by number of streams. */
const TARGETS: Record<number, { must: number; goal?: number }> = {
  1000: { must: 100, goal: 50 },
  5000: { must: 250 },
};

const REAL_P99: Record<number, string> = { 1: '0.1', 20: '0.35–0.39', 190: '2.3–2.5', 1000: '3.1–4.6' };

interface Change {
  index: number;
  level: number;
  warmup: boolean;
  sentAt: number;
  committedAt: number;
  notifiedAt: number;
  expected: number;
  latencies: number[];
  done: () => void;
}

const changes: Change[] = [];
let issued = 0;

function onComplete(client: StreamClient, at: number): void {
  if (client.completes === 1) {
    client.readyAfterMarker = issued;
    return;
  }
  if (client.markerSeen <= client.markerDone) return;
  for (let k = Math.max(client.markerDone, client.readyAfterMarker) + 1; k <= client.markerSeen; k++) {
    const change = changes[k];
    if (!change) continue;
    change.latencies.push(at - change.sentAt);
    if (change.latencies.length >= change.expected) change.done();
  }
  client.markerDone = client.markerSeen;
}

interface LevelResult {
  level: number;
  connected: number;
  latencies: number[];
  perChangeMax: number[];
  replication: number[];
  missing: number;
  cpuPerChangeMs: number;
  pgCpuPerChangeMs: number;
  openSeconds: number;
  rssMB: number;
  clientCpuPerChangeMs: number;
}

installGuards(Number(args['deadline-s']) * 1000);
const clients: StreamClient[] = [];
let failed = false;
let logReporter: (() => void) | undefined;
try {
  console.log(`load average (1/5/15 min) at start: ${loadAverage()} on ${os.cpus().length} CPUs`);
  console.log(
    `api-fanout: levels ${LEVELS.join(', ')} clients, ${WARMUP} warm-up + ${CHANGES} changes per level, ` +
      `≥${SPACING_MS} ms apart`,
  );
  const env = await startEnvironment({
    users: LEVELS[LEVELS.length - 1]!,
    maxConcurrentConnections: MAX_CONNECTIONS,
  });
  logReporter = () => reportServiceLog(env.service);
  console.log(
    `service pid ${env.service.pid} on 127.0.0.1:${env.port} ready after ${env.startupSeconds.toFixed(1)} s`,
  );

  // Storage checkpoint notifications split each latency into replication and fan-out.
  const listener = new pg.Client({ connectionString: env.storageUrl });
  listener.on('error', () => undefined);
  await listener.connect();
  onCleanup(() => listener.end());
  listener.on('notification', () => {
    const now = performance.now();
    const change = changes[issued];
    if (change && Number.isNaN(change.notifiedAt) && now >= change.sentAt) change.notifiedAt = now;
  });
  await listener.query(`LISTEN ${CHECKPOINT_CHANNEL}`);

  const results: LevelResult[] = [];
  for (const level of LEVELS) {
    env.service.phase = `${level} clients`;
    let openSeconds = 0;
    if (level > clients.length) {
      const opened = await openStreams({
        port: env.port,
        key: env.key,
        from: clients.length,
        count: level - clients.length,
        inFlight: 50,
        onComplete,
        into: clients,
        gzip: GZIP,
      });
      openSeconds = opened.seconds;
      if (opened.failures.length > 0) {
        console.log(
          `  ${opened.failures.length} streams failed to open at ${level}: first ${opened.failures[0]}`,
        );
      }
    }
    await sleep(2000);
    const cpuBefore = env.service.cpuSeconds();
    const pgCpuBefore = postgresCpuSeconds(env.postmasterPid);
    const clientCpuBefore = process.cpuUsage();
    const measured: Change[] = [];
    for (let i = 0; i < WARMUP + CHANGES; i++) {
      const connected = clients.filter((c) => !c.closed && c.completes > 0).length;
      const index = ++issued;
      let done!: () => void;
      const finished = new Promise<void>((resolve) => (done = resolve));
      const change: Change = {
        index,
        level,
        warmup: i < WARMUP,
        sentAt: performance.now(),
        committedAt: NaN,
        notifiedAt: NaN,
        expected: connected,
        latencies: [],
        done,
      };
      changes[index] = change;
      await env.source.query(`UPDATE lists SET name = $1 WHERE id = 'l0'`, [`list 0 ~c${index}~`]);
      change.committedAt = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        finished.then(() => false),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), CHANGE_TIMEOUT_MS))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        console.log(
          `  change ${index} at ${level} clients: only ${change.latencies.length}/${change.expected} clients completed within ${CHANGE_TIMEOUT_MS} ms`,
        );
      }
      if (!change.warmup) measured.push(change);
      const elapsed = performance.now() - change.sentAt;
      await sleep(Math.max(SPACING_MS - elapsed, 200));
    }
    const cpu = env.service.cpuSeconds() - cpuBefore;
    const pgCpu = postgresCpuSeconds(env.postmasterPid) - pgCpuBefore;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const latencies = measured.flatMap((c) => c.latencies);
    const result: LevelResult = {
      level,
      connected: clients.filter((c) => !c.closed && c.completes > 0).length,
      latencies,
      perChangeMax: measured.map((c) => Math.max(...c.latencies)),
      replication: measured.filter((c) => !Number.isNaN(c.notifiedAt)).map((c) => c.notifiedAt - c.sentAt),
      missing: measured.reduce((n, c) => n + Math.max(0, c.expected - c.latencies.length), 0),
      cpuPerChangeMs: (cpu * 1000) / (WARMUP + CHANGES),
      pgCpuPerChangeMs: (pgCpu * 1000) / (WARMUP + CHANGES),
      openSeconds,
      rssMB: env.service.rssKb() / 1024,
      clientCpuPerChangeMs: (clientCpu.user + clientCpu.system) / 1000 / (WARMUP + CHANGES),
    };
    results.push(result);
    console.log(
      `  ${level} clients (${result.connected} connected, opened in ${openSeconds.toFixed(1)} s): p50 ${percentile(latencies, 50).toFixed(0)} ms, ` +
        `p99 ${percentile(latencies, 99).toFixed(0)} ms, max ${Math.max(...latencies).toFixed(0)} ms; ` +
        `commit→storage checkpoint ${median(result.replication).toFixed(0)} ms; CPU/change: service ${result.cpuPerChangeMs.toFixed(0)} ms, ` +
        `Postgres ${result.pgCpuPerChangeMs.toFixed(0)} ms, bench client ${result.clientCpuPerChangeMs.toFixed(0)} ms; load ${loadAverage()}` +
        (result.missing ? `; ${result.missing} client-changes MISSING` : ''),
    );
    if (!env.service.alive) throw new Error(`service exited at level ${level}:\n${env.service.tail}`);
  }

  const lost = dropped(clients);
  console.log(
    `\nsync API fan-out, reference service (one unified child process, NDJSON streams${GZIP ? ', gzip' : ''}, ${os.cpus().length} CPUs):`,
  );
  console.log(
    'one UPDATE of a global row → each client’s checkpoint_complete; latency from COMMIT sent, ms\n',
  );
  console.log(
    table(
      [
        'clients',
        'samples',
        'p50',
        'p99',
        'max',
        'median last client',
        'commit→storage cp',
        'service CPU ms/change',
        'Postgres CPU ms/change',
        'RSS MB',
        'real p99 s',
      ],
      results.map((r) => [
        r.level,
        r.latencies.length,
        percentile(r.latencies, 50).toFixed(0),
        percentile(r.latencies, 99).toFixed(0),
        Math.max(...r.latencies).toFixed(0),
        median(r.perChangeMax).toFixed(0),
        median(r.replication).toFixed(0),
        r.cpuPerChangeMs.toFixed(0),
        r.pgCpuPerChangeMs.toFixed(0),
        r.rssMB.toFixed(0),
        REAL_P99[r.level] ?? '-',
      ]),
    ),
  );
  for (const r of results) {
    const target = TARGETS[r.level];
    if (!target) continue;
    const p99 = percentile(r.latencies, 99);
    const verdict = (limit: number) => (p99 <= limit ? 'met' : 'NOT met');
    console.log(
      `  target at ${r.level} streams: p99 ${p99.toFixed(0)} ms — must ≤ ${target.must} ms ${verdict(target.must)}` +
        (target.goal ? `; goal ≤ ${target.goal} ms ${verdict(target.goal)}` : ''),
    );
  }
  const xs = results.map((r) => r.level);
  const p99Fit = fitLine(
    xs,
    results.map((r) => percentile(r.latencies, 99)),
  );
  const cpuFit = fitLine(
    xs,
    results.map((r) => r.cpuPerChangeMs),
  );
  const pgCpuFit = fitLine(
    xs,
    results.map((r) => r.pgCpuPerChangeMs),
  );
  console.log(
    `\n  per-client serial cost (slope of p99 vs clients): ${(p99Fit.slope * 1000).toFixed(0)} µs/client ` +
      `(intercept ${p99Fit.intercept.toFixed(0)} ms)   (real service: ~12 ms/client)` +
      `\n  CPU per change per client (slope): service ${(cpuFit.slope * 1000).toFixed(0)} µs/client, ` +
      `Postgres ${(pgCpuFit.slope * 1000).toFixed(0)} µs/client` +
      `\n  load average (1/5/15 min) at the end: ${loadAverage()}`,
  );
  const missing = results.reduce((n, r) => n + r.missing, 0);
  console.log(
    `\n  client-changes missing: ${missing}; streams dropped by the server: ${lost.length}; ` +
      `bench client CPU per change at the top level: ${results[results.length - 1]!.clientCpuPerChangeMs.toFixed(0)} ms`,
  );
  for (const client of lost.slice(0, 5)) console.log(`    dropped u${client.id}: ${client.describe()}`);
  console.log(`  ${clientFootprint()}`);
  reportServiceLog(env.service);
} catch (error) {
  failed = true;
  console.error(`\napi-fanout failed: ${(error as Error).stack ?? error}`);
  logReporter?.();
} finally {
  for (const client of clients) client.close();
  await runCleanups();
}
process.exit(failed ? 1 : 0);
