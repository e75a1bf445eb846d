/**
 * Soak benchmark (issue 15, "listener and handle leaks"): the reference service as a child process, the
 * product's own fleet (`Fleet`, SDK-shaped clients: HTTP NDJSON with gzip, HTTP BSON, RSocket) opening
 * `--streams` distinct-user streams, then connect/disconnect churn for `--churn-s` seconds (every second the
 * `--churn-per-s` oldest clients leave and as many new ones join), then everyone leaves. At the start, at the
 * peak, after the churn and after everyone left it reads from the service: RSS, active handles
 * (`nodejs_active_handles_total`), listeners held on process-wide emitters (`syncscale_stream_listeners`)
 * and open streams; and from this (the fleet's) process the same. It fails (exit 1) on any
 * MaxListenersExceededWarning in either process, listeners or streams not back at their idle value, or
 * handles more than 5 above it. Traffic stays on 127.0.0.1; everything is stopped at the end.
 * Usage: npm run bench:soak [-- --streams 10000 --churn-s 120 --churn-per-s 100 --in-flight 200]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Fleet } from '../../src/fleet/index.js';
import {
  installGuards,
  loadAverage,
  runCleanups,
  scrapeMetrics,
  sleep,
  startEnvironment,
  table,
} from './support/index.js';

const { values: args } = parseArgs({
  options: {
    streams: { type: 'string', default: '10000' },
    'churn-s': { type: 'string', default: '120' },
    'churn-per-s': { type: 'string', default: '100' },
    'in-flight': { type: 'string', default: '200' },
    'deadline-s': { type: 'string', default: '1800' },
  },
});
const STREAMS = Number(args.streams);
const CHURN_S = Number(args['churn-s']);
const CHURN_PER_S = Number(args['churn-per-s']);
const IN_FLIGHT = Number(args['in-flight']);
for (const [name, value] of Object.entries({ STREAMS, CHURN_S, CHURN_PER_S, IN_FLIGHT })) {
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name.toLowerCase()} must be a non-negative integer`);
    process.exit(2);
  }
}

interface Reading {
  at: string;
  streams: number;
  serviceRssMb: number;
  serviceHeapMb: number;
  serviceExternalMb: number;
  serviceHandles: number;
  serviceListeners: number;
  fleetRssMb: number;
  fleetHandles: number;
}

const warnings: string[] = [];
process.on('warning', (warning) => warnings.push(`fleet process: ${warning.name}: ${warning.message}`));

async function main(): Promise<number> {
  installGuards(Number(args['deadline-s']) * 1000);
  const users = STREAMS + CHURN_S * CHURN_PER_S;
  console.log(
    `soak: ${STREAMS} streams, churn ${CHURN_PER_S}/s for ${CHURN_S} s (${users} distinct users); load ${loadAverage()}`,
  );
  // SIGURG makes the service write a heap snapshot, which runs a full GC first: heap used read right after
  // it is what is really retained, not garbage V8 has not yet collected. (Taken at the end only: writing a
  // snapshot grows RSS, which would blur the RSS readings after it.)
  const snapshots = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-soak-heap-'));
  const env = await startEnvironment({
    users: Math.min(users, 50_000),
    maxConcurrentConnections: STREAMS * 2 + 100,
    nodeArgs: ['--heapsnapshot-signal=SIGURG', `--diagnostic-dir=${snapshots}`],
  });
  serviceTail = () => `${env.service.tail}\nexit: ${JSON.stringify(env.service.exitInfo)}`;
  const retainedHeapMb = async (): Promise<number> => {
    const before = fs.readdirSync(snapshots).length;
    env.service.signal('SIGURG');
    const deadline = Date.now() + 120_000;
    // The snapshot is complete once its size stops changing.
    let last = -1;
    for (;;) {
      await sleep(1000);
      const files = fs.readdirSync(snapshots);
      if (files.length > before) {
        const size = fs.statSync(path.join(snapshots, files.sort().at(-1)!)).size;
        if (size === last && size > 0) break;
        last = size;
      }
      if (Date.now() > deadline) return NaN;
    }
    for (const file of fs.readdirSync(snapshots)) fs.rmSync(path.join(snapshots, file));
    const metrics = await scrapeMetrics(env.metricsPort, ['nodejs_heap_size_used_bytes']);
    return (metrics.get('nodejs_heap_size_used_bytes') ?? NaN) / 1024 / 1024;
  };
  const read = async (at: string): Promise<Reading> => {
    const metrics = await scrapeMetrics(env.metricsPort, [
      'nodejs_active_handles_total',
      'syncscale_stream_listeners',
      'powersync_concurrent_connections',
      'nodejs_heap_size_used_bytes',
      'nodejs_external_memory_bytes',
    ]);
    return {
      at,
      streams: metrics.get('powersync_concurrent_connections') ?? NaN,
      serviceRssMb: env.service.rssKb() / 1024,
      serviceHeapMb: (metrics.get('nodejs_heap_size_used_bytes') ?? NaN) / 1024 / 1024,
      serviceExternalMb: (metrics.get('nodejs_external_memory_bytes') ?? NaN) / 1024 / 1024,
      serviceHandles: metrics.get('nodejs_active_handles_total') ?? NaN,
      serviceListeners: metrics.get('syncscale_stream_listeners') ?? NaN,
      fleetRssMb: process.memoryUsage.rss() / 1024 / 1024,
      fleetHandles: process.getActiveResourcesInfo().length,
    };
  };
  await sleep(2000);
  const readings: Reading[] = [await read('idle')];
  const fleet = new Fleet({
    endpoint: `http://127.0.0.1:${env.port}`,
    auth: { key: env.key, audience: 'syncscale' },
    sink: { add: () => undefined },
    userId: (i) => `u${i % 50_000}`,
    maxConcurrentConnects: IN_FLIGHT,
    backoff: { baseMs: 1000, capMs: 5000 },
  });
  const addMix = (count: number) => {
    const http = Math.ceil(count / 2);
    const bson = Math.floor((count - http) / 2);
    fleet.add(http, { transport: 'http-ndjson' });
    fleet.add(bson, { transport: 'http-bson' });
    fleet.add(count - http - bson, { transport: 'websocket' });
  };
  const started = Date.now();
  addMix(STREAMS);
  while (fleet.snapshot().synced < STREAMS) {
    if (Date.now() - started > 600_000)
      throw new Error(`only ${fleet.snapshot().synced} streams synced in 10 min`);
    await sleep(500);
  }
  console.log(`${STREAMS} streams synced in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  readings.push(await read('peak'));

  // Two halves of churn: memory that keeps growing in the second half as in the first is a leak; memory
  // V8 grew once and keeps is not.
  let churned = 0;
  for (const half of ['churn 1st half', 'churn 2nd half']) {
    const churnEnd = Date.now() + (CHURN_S * 1000) / 2;
    while (Date.now() < churnEnd) {
      fleet.remove(CHURN_PER_S, 'oldest');
      addMix(CHURN_PER_S);
      churned += CHURN_PER_S;
      await sleep(1000);
    }
    const settle = Date.now();
    while (fleet.snapshot().synced < STREAMS && Date.now() - settle < 120_000) await sleep(500);
    readings.push(await read(`after ${half}`));
  }
  console.log(`churn: ${churned} clients replaced; ${fleet.snapshot().synced} synced after it`);

  fleet.stopAll();
  const closing = Date.now();
  for (;;) {
    const now = await read('after close');
    if (now.streams === 0 || Date.now() - closing > 60_000) break;
    await sleep(500);
  }
  // Keep-alive sockets (5 s) and idle storage pool connections (10 s) run out.
  await sleep(15_000);
  readings.push(await read('after close'));
  const closedRetained = await retainedHeapMb();
  fs.rmSync(snapshots, { recursive: true, force: true });

  console.log(
    table(
      [
        'when',
        'streams',
        'service RSS MB',
        'heap used MB',
        'external MB',
        'service handles',
        'service listeners',
        'fleet RSS MB',
        'fleet handles',
      ],
      readings.map((r) => [
        r.at,
        r.streams,
        r.serviceRssMb.toFixed(1),
        r.serviceHeapMb.toFixed(1),
        r.serviceExternalMb.toFixed(1),
        r.serviceHandles,
        r.serviceListeners,
        r.fleetRssMb.toFixed(1),
        r.fleetHandles,
      ]),
    ),
  );
  for (const line of env.service.lines) {
    if (/Warning/.test(line.text)) warnings.push(`service: ${line.text}`);
  }
  const idle = readings[0]!;
  const end = readings.at(-1)!;
  const problems: string[] = [
    ...warnings,
    ...(end.streams !== 0 ? [`${end.streams} streams still open on the service`] : []),
    ...(end.serviceListeners !== idle.serviceListeners
      ? [`service listeners ${end.serviceListeners}, idle ${idle.serviceListeners}`]
      : []),
    ...(end.serviceHandles > idle.serviceHandles + 5
      ? [`service handles ${end.serviceHandles}, idle ${idle.serviceHandles}`]
      : []),
    ...(end.fleetHandles > idle.fleetHandles + 5
      ? [`fleet handles ${end.fleetHandles}, idle ${idle.fleetHandles}`]
      : []),
  ];
  // Idle heap used is read without a GC (so it includes garbage): retained after everyone left must not exceed it.
  console.log(
    `service heap: idle ${idle.serviceHeapMb.toFixed(1)} MB used; after everyone left ${closedRetained.toFixed(1)} MB retained (after a full GC)`,
  );
  if (closedRetained > idle.serviceHeapMb + 16) {
    problems.push(
      `service retains ${(closedRetained - idle.serviceHeapMb).toFixed(1)} MB more heap than it used idle`,
    );
  }
  const peak = readings[1]!;
  const [first, second] = [readings[2]!, readings[3]!];
  const growth1 = first.serviceRssMb - peak.serviceRssMb;
  const growth2 = second.serviceRssMb - first.serviceRssMb;
  console.log(
    `service RSS growth during churn: 1st half ${growth1.toFixed(1)} MB, 2nd half ${growth2.toFixed(1)} MB`,
  );
  if (growth2 > Math.max(16, growth1)) {
    problems.push(
      `service RSS kept growing during churn (+${growth1.toFixed(1)} then +${growth2.toFixed(1)} MB)`,
    );
  }
  console.log(
    `service RSS: idle ${idle.serviceRssMb.toFixed(1)} MB, peak ${peak.serviceRssMb.toFixed(1)} MB, after close ` +
      `${end.serviceRssMb.toFixed(1)} MB (${(end.serviceRssMb - idle.serviceRssMb).toFixed(1)} MB against idle)`,
  );
  console.log(
    problems.length === 0
      ? 'PASS: no leak warning; listeners, streams and handles back to idle'
      : `FAIL:\n  ${problems.join('\n  ')}`,
  );
  console.log(`load average at the end: ${loadAverage()}`);
  return problems.length === 0 ? 0 : 1;
}

let serviceTail = (): string => '';
main()
  .then(async (code) => {
    await runCleanups();
    process.exit(code);
  })
  .catch(async (error: unknown) => {
    console.error(error);
    console.error(`service output:\n${serviceTail()}`);
    await runCleanups();
    process.exit(1);
  });
