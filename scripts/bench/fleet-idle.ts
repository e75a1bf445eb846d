/**
 * Fleet idle-cost benchmark: one fleet process (this one) holds 1,000, then 5,000, then 10,000 idle simulated
 * clients (distinct users, two buckets each) against the reference service running as a child process on
 * embedded Postgres. At each level every client must have completed its first checkpoint; then the fleet's
 * RSS and V8 heap are read after a forced GC (delta over the empty fleet ÷ clients), and the fleet's CPU and
 * event-loop delay are measured over an idle window (HTTP clients receive a `token_expires_in` line every
 * ~20 s; RSocket clients send a KEEPALIVE every 20 s). Reports the time to connect each step and the
 * connect_time / first_checkpoint percentiles (HDR histograms), errors by code, and the service's RSS/CPU.
 * `--compression sdk` (default, as the SDKs: the service gzips each stream and every client holds a gunzip
 * stream) or `none`. `--transport mix` spreads the clients over the SDK shapes (HTTP NDJSON and BSON, both
 * compressed as the SDKs ask, and RSocket); `--writes N` updates N rows of random users per second during each
 * idle window, so clients receive changes; each level is then judged by the generator's own validity rule
 * (event-loop delay p99 ≤ 50 ms and CPU ≤ 0.9 core). `npm run bench:generator` is this bench with the mix,
 * 10 writes/s and levels to 10,000: the largest client count one generator process holds.
 * Usage: npm run bench:fleet [-- --levels 1000,5000,10000 --transport http-ndjson|http-bson|websocket --compression sdk|gzip|none
 *        --idle-s 30 --max-connects 200 --max-connections 12000]
 */
import fs from 'node:fs';
import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import v8 from 'node:v8';
import vm from 'node:vm';
import * as hdr from 'hdr-histogram-js';
import {
  Fleet,
  STREAM_COMPRESSIONS,
  TRANSPORTS,
  type StreamCompression,
  type Transport,
} from '../../src/fleet/index.js';
import type { Sample, SampleSink } from '../../src/metrics/index.js';
import {
  AUDIENCE,
  installGuards,
  reportServiceLog,
  runCleanups,
  onCleanup,
  sleep,
  startEnvironment,
  table,
  type BenchEnvironment,
} from './support/index.js';

const { values: args } = parseArgs({
  options: {
    levels: { type: 'string', default: '1000,5000,10000' },
    transport: { type: 'string', default: 'http-ndjson' },
    compression: { type: 'string', default: 'sdk' },
    'idle-s': { type: 'string', default: '30' },
    'max-connects': { type: 'string', default: '200' },
    'max-connections': { type: 'string', default: '12000' },
    'level-timeout-s': { type: 'string', default: '300' },
    'deadline-s': { type: 'string', default: '1800' },
    writes: { type: 'string', default: '0' },
  },
});
const WRITES_PER_S = Number(args.writes);
/** The SDK shapes `--transport mix` rotates through. */
const MIX: Transport[] = ['http-ndjson', 'http-bson', 'websocket'];
const LEVELS = args.levels
  .split(',')
  .map(Number)
  .sort((a, b) => a - b);
const TRANSPORT = args.transport as Transport | 'mix';
if (TRANSPORT !== 'mix' && !TRANSPORTS.includes(TRANSPORT))
  throw new Error(`--transport must be mix or one of ${TRANSPORTS.join(', ')}`);
const COMPRESSION = args.compression as StreamCompression;
if (!STREAM_COMPRESSIONS.includes(COMPRESSION))
  throw new Error(`--compression must be one of ${STREAM_COMPRESSIONS.join(', ')}`);
const IDLE_MS = Number(args['idle-s']) * 1000;
const LEVEL_TIMEOUT_MS = Number(args['level-timeout-s']) * 1000;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Aggregates samples as they arrive: counters, errors by code, two HDR histograms. Keeps no samples. */
class BenchSink implements SampleSink {
  readonly counters = new Map<string, number>();
  readonly errors = new Map<string, number>();
  connectTime = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000 });
  firstCheckpoint = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000 });
  samples = 0;

  add(sample: Sample): void {
    this.samples++;
    if (sample.metric === 'errors') {
      const code = sample.tags?.code ?? '?';
      this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    } else if (sample.metric === 'connect_time')
      this.connectTime.recordValue(Math.max(1, Math.round(sample.value)));
    else if (sample.metric === 'first_checkpoint')
      this.firstCheckpoint.recordValue(Math.max(1, Math.round(sample.value)));
    this.counters.set(sample.metric, (this.counters.get(sample.metric) ?? 0) + sample.value);
  }

  resetHistograms(): void {
    this.connectTime.reset();
    this.firstCheckpoint.reset();
  }

  errorText(): string {
    return this.errors.size === 0 ? 'none' : [...this.errors].map(([code, n]) => `${code}×${n}`).join(', ');
  }
}

interface Level {
  target: number;
  synced: number;
  connectSeconds: number;
  connectP50: number;
  connectP99: number;
  firstP50: number;
  firstP99: number;
  fleetCpuConnect: number;
  serviceCpuConnect: number;
  rssMB: number;
  heapMB: number;
  externalMB: number;
  rssPerClientKB: number;
  /** RSS growth since the previous level ÷ clients added (the marginal cost, without one-time overheads). */
  rssMarginalKB: number;
  heapPerClientKB: number;
  idleCores: number;
  idleEldP99: number;
  idleSamplesPerS: number;
  serviceRssMB: number;
  serviceIdleCores: number;
  errors: string;
  note: string;
  /** Rows written during the idle window (`--writes`). */
  written: number;
}

/** Updates rows of random users at WRITES_PER_S during an idle window, so clients receive changes. */
function startWriter(env: BenchEnvironment, users: number): { stop(): Promise<number> } {
  let written = 0;
  let stopped = false;
  const loop = (async () => {
    const interval = 1000 / WRITES_PER_S;
    let next = performance.now();
    while (!stopped) {
      const user = `u${Math.floor(Math.random() * users)}`;
      await env.source
        .query(
          `INSERT INTO todos (id, owner_id, title) VALUES ($1, $2, 'bench change')
           ON CONFLICT (id) DO UPDATE SET title = excluded.title || ' again'`,
          [`bench-${user}`, user],
        )
        .then(() => written++)
        .catch(() => undefined);
      next += interval;
      await sleep(Math.max(0, next - performance.now()));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return written;
    },
  };
}

function generatorValid(l: Level): boolean {
  return l.idleEldP99 <= 50 && l.idleCores <= 0.9;
}

function memory() {
  gc();
  gc();
  const usage = process.memoryUsage();
  return { rss: usage.rss, heap: usage.heapUsed, external: usage.external + usage.arrayBuffers };
}

function openFilesLimit(): string {
  const limits = fs.readFileSync('/proc/self/limits', 'utf8');
  const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(limits);
  return line ? `soft ${line[1]}, hard ${line[2]}` : 'unknown';
}

async function waitSynced(fleet: Fleet, target: number, env: BenchEnvironment): Promise<string> {
  const deadline = Date.now() + LEVEL_TIMEOUT_MS;
  let last = '';
  for (;;) {
    const snapshot = fleet.snapshot();
    if (snapshot.synced >= target) return '';
    if (!env.service.alive) return `service exited (${JSON.stringify(env.service.exitInfo)})`;
    if (Date.now() > deadline)
      return `timed out after ${LEVEL_TIMEOUT_MS / 1000} s: ${JSON.stringify(snapshot)}`;
    const progress = `${snapshot.synced}/${target}`;
    if (progress !== last) last = progress;
    await sleep(200);
  }
}

installGuards(Number(args['deadline-s']) * 1000);
let environment: BenchEnvironment | undefined;
let failed = false;
try {
  const maxLevel = LEVELS[LEVELS.length - 1]!;
  console.log(
    `load average (1/5/15 min) at start: ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' / ')} on ${os.cpus().length} cores`,
  );
  console.log(
    `fleet-idle: ${LEVELS.join(' → ')} idle ${TRANSPORT} clients (compression ${COMPRESSION}); max_concurrent_connections ${args['max-connections']}; ` +
      `open files ${openFilesLimit()}; ephemeral ports ${fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().replace(/\s+/, '–')}`,
  );
  const env = await startEnvironment({
    users: maxLevel,
    maxConcurrentConnections: Number(args['max-connections']),
  });
  environment = env;
  console.log(
    `service pid ${env.service.pid} on 127.0.0.1:${env.port}, ready after ${env.startupSeconds.toFixed(1)} s`,
  );
  await sleep(2000);

  const sink = new BenchSink();
  const base = memory();
  const fleet = new Fleet({
    endpoint: `http://127.0.0.1:${env.port}`,
    auth: { key: env.key, audience: AUDIENCE },
    sink,
    transport: TRANSPORT === 'mix' ? 'http-ndjson' : TRANSPORT,
    compression: COMPRESSION,
    userId: (i) => `u${i}`,
    maxConcurrentConnects: Number(args['max-connects']),
  });
  onCleanup(() => fleet.stopAll());
  const levels: Level[] = [];
  const lastLevel = { rss: base.rss, clients: 0 };
  for (const target of LEVELS) {
    env.service.phase = `${target} clients`;
    sink.resetHistograms();
    const cpuBefore = process.cpuUsage();
    const serviceCpuConnectBefore = env.service.cpuSeconds();
    const started = performance.now();
    if (TRANSPORT === 'mix') {
      // One in three of each SDK shape, in rotation.
      const adding = target - fleet.size;
      for (let i = 0; i < adding; i++) fleet.add(1, { transport: MIX[(fleet.size + i) % MIX.length]! });
    } else fleet.add(target - fleet.size);
    const problem = await waitSynced(fleet, target, env);
    const connectSeconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const fleetCpuConnect = (cpu.user + cpu.system) / 1e6 / connectSeconds;
    const serviceCpuConnect = (env.service.cpuSeconds() - serviceCpuConnectBefore) / connectSeconds;
    const synced = fleet.snapshot().synced;
    await sleep(3000);
    const mem = memory();
    const previous = { ...lastLevel };
    lastLevel.rss = mem.rss;
    lastLevel.clients = synced;

    // Idle window: CPU, event-loop delay and sample rate of the fleet process; service CPU alongside.
    const eld = monitorEventLoopDelay({ resolution: 10 });
    eld.enable();
    const idleCpuBefore = process.cpuUsage();
    const samplesBefore = sink.samples;
    const serviceCpuBefore = env.service.cpuSeconds();
    const idleStarted = performance.now();
    const writer = WRITES_PER_S > 0 ? startWriter(env, synced) : undefined;
    await sleep(IDLE_MS);
    const written = await writer?.stop();
    const idleSeconds = (performance.now() - idleStarted) / 1000;
    const idleCpu = process.cpuUsage(idleCpuBefore);
    eld.disable();
    const stillSynced = fleet.snapshot().synced;
    const level: Level = {
      target,
      synced,
      connectSeconds,
      connectP50: sink.connectTime.getValueAtPercentile(50),
      connectP99: sink.connectTime.getValueAtPercentile(99),
      firstP50: sink.firstCheckpoint.getValueAtPercentile(50),
      firstP99: sink.firstCheckpoint.getValueAtPercentile(99),
      fleetCpuConnect,
      serviceCpuConnect,
      rssMB: mem.rss / 1048576,
      heapMB: mem.heap / 1048576,
      externalMB: mem.external / 1048576,
      rssPerClientKB: (mem.rss - base.rss) / 1024 / synced,
      rssMarginalKB: (mem.rss - previous.rss) / 1024 / (synced - previous.clients),
      heapPerClientKB: (mem.heap - base.heap) / 1024 / synced,
      idleCores: (idleCpu.user + idleCpu.system) / 1e6 / idleSeconds,
      idleEldP99: eld.percentile(99) / 1e6,
      idleSamplesPerS: (sink.samples - samplesBefore) / idleSeconds,
      serviceRssMB: env.service.rssKb() / 1024,
      serviceIdleCores: (env.service.cpuSeconds() - serviceCpuBefore) / idleSeconds,
      errors: sink.errorText(),
      note: problem || (stillSynced < synced ? `${synced - stillSynced} lost during idle` : ''),
      written: written ?? 0,
    };
    levels.push(level);
    console.log(
      `  ${target}: ${synced} synced in ${connectSeconds.toFixed(1)} s (cores while connecting: fleet ${fleetCpuConnect.toFixed(2)}, service ${serviceCpuConnect.toFixed(2)}); ` +
        `RSS ${level.rssMB.toFixed(0)} MB (${level.rssPerClientKB.toFixed(1)} KB/client), heap ${level.heapMB.toFixed(0)} MB ` +
        `(${level.heapPerClientKB.toFixed(1)} KB/client); idle ${level.idleCores.toFixed(3)} cores, ELD p99 ${level.idleEldP99.toFixed(1)} ms; ` +
        `errors ${level.errors}${level.note ? `; ${level.note}` : ''}`,
    );
    if (problem) break;
  }

  console.log(
    `\nfleet idle cost, ${TRANSPORT}, compression ${COMPRESSION}, one fleet process (baseline RSS ${(base.rss / 1048576).toFixed(0)} MB, heap ${(base.heap / 1048576).toFixed(0)} MB):\n`,
  );
  console.log(
    table(
      [
        'clients',
        'synced',
        'connect s',
        'conn p50/p99 ms',
        '1st ckpt p50/p99 ms',
        'RSS MB',
        'RSS KB/client',
        'marginal KB/client',
        'heap KB/client',
        'ext MB',
        'idle cores',
        'idle ELD p99 ms',
        'svc RSS MB',
        'svc idle cores',
        'writes/s',
        'generator valid',
      ],
      levels.map((l) => [
        l.target,
        l.synced,
        l.connectSeconds.toFixed(1),
        `${l.connectP50}/${l.connectP99}`,
        `${l.firstP50}/${l.firstP99}`,
        l.rssMB.toFixed(0),
        l.rssPerClientKB.toFixed(1),
        l.rssMarginalKB.toFixed(1),
        l.heapPerClientKB.toFixed(1),
        l.externalMB.toFixed(1),
        l.idleCores.toFixed(3),
        l.idleEldP99.toFixed(1),
        l.serviceRssMB.toFixed(0),
        l.serviceIdleCores.toFixed(3),
        (l.written / (IDLE_MS / 1000)).toFixed(1),
        generatorValid(l) ? 'yes' : 'NO',
      ]),
    ),
  );
  const top = levels[levels.length - 1]!;
  // The generator's own validity rule (docs/run.md): event-loop delay p99 ≤ 50 ms, CPU ≤ 0.9 core.
  const held = levels.filter((l) => generatorValid(l) && !l.note).at(-1);
  if (WRITES_PER_S > 0 || TRANSPORT === 'mix')
    console.log(
      `\ngenerator: largest level held with its validity rule green: ${held ? `${held.synced} clients (${held.rssPerClientKB.toFixed(1)} KB/client, ${held.idleCores.toFixed(2)} cores, ELD p99 ${held.idleEldP99.toFixed(1)} ms) on one core (one event loop)` : 'none'}` +
        `\n  must ≥ 5,000 clients per generator core: ${held && held.synced >= 5000 ? 'met' : 'NOT met'}; goal ≥ 10,000: ${held && held.synced >= 10000 ? 'met' : 'not met'}`,
    );
  const saturated = levels.some((l) => l.idleCores > 0.9 || l.idleEldP99 > 200);
  console.log(
    `\nhighest level reached: ${top.synced} synced clients${top.note ? ` (${top.note})` : ''}; errors ${top.errors}` +
      `\ntargets: ≤ 256 KB/client (goal ≤ 32 KB): ${top.rssPerClientKB <= 32 ? 'goal met' : top.rssPerClientKB <= 256 ? 'met' : 'MISSED'}; ` +
      `≤ 1 core idle: ${top.idleCores <= 1 ? 'met' : 'MISSED'}` +
      (saturated
        ? '\nWARNING: the fleet process looked saturated during an idle window; figures are suspect'
        : ''),
  );
  console.log(
    `load average at the end: ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' / ')} (other work on the machine skews timings, not memory)`,
  );
  reportServiceLog(env.service);
  if (top.synced < LEVELS[LEVELS.length - 1]!) failed = true;
} catch (error) {
  failed = true;
  console.error(`fleet-idle failed: ${(error as Error).stack ?? error}`);
  if (environment) console.error(environment.service.tail);
} finally {
  await runCleanups();
}
process.exit(failed ? 1 : 0);
