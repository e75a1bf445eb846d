/**
 * Connect storm: N clients of distinct users (NDJSON streams, as the SDKs connect) open at the same moment
 * against the reference service (a separate child process); for each, the time from its connect to its first
 * checkpoint_complete. Tokens are signed beforehand so the storm is only connects. Issue 14 asks that its
 * fan-out and replication work does not make this worse: compare runs of this bench across versions.
 * Starts its own embedded Postgres and stops it at the end.
 * Usage: npm run bench:connect-storm [-- --clients 2000 --runs 3 --compression none|gzip]
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  clientFootprint,
  installGuards,
  loadAverage,
  median,
  percentile,
  reportServiceLog,
  runCleanups,
  sleep,
  startEnvironment,
  StreamClient,
  tokenFor,
} from './support/index.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '2000' },
    runs: { type: 'string', default: '3' },
    compression: { type: 'string', default: 'none' },
    'timeout-s': { type: 'string', default: '120' },
    'deadline-s': { type: 'string', default: '600' },
  },
});
const CLIENTS = Number(args.clients);
const RUNS = Number(args.runs);
const GZIP = args.compression === 'gzip';
if (args.compression !== 'none' && !GZIP) {
  console.error(`--compression must be none or gzip, not ${args.compression}`);
  process.exit(2);
}

installGuards(Number(args['deadline-s']) * 1000);
let failed = false;
try {
  console.log(`load average (1/5/15 min) at start: ${loadAverage()} on ${os.cpus().length} CPUs`);
  const env = await startEnvironment({ users: CLIENTS, maxConcurrentConnections: CLIENTS + 100 });
  console.log(`service pid ${env.service.pid} on 127.0.0.1:${env.port}`);
  const tokens = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => tokenFor(`u${i}`, env.key)));
  const results: Array<{ p50: number; p99: number; max: number; failures: number; cpuMs: number }> = [];
  for (let run = 1; run <= RUNS; run++) {
    const cpuBefore = env.service.cpuSeconds();
    const clients: StreamClient[] = [];
    const latencies: number[] = [];
    let failures = 0;
    const started = performance.now();
    const waits = tokens.map((token, i) => {
      const client = new StreamClient(env.port, token, () => undefined, i, GZIP);
      clients.push(client);
      const opened = performance.now();
      return client.firstCheckpoint(Number(args['timeout-s']) * 1000).then((outcome) => {
        if (outcome === 'ok') latencies.push(performance.now() - opened);
        else failures++;
      });
    });
    await Promise.all(waits);
    const seconds = (performance.now() - started) / 1000;
    const cpuMs = (env.service.cpuSeconds() - cpuBefore) * 1000;
    const result = {
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: Math.max(...latencies),
      failures,
      cpuMs,
    };
    results.push(result);
    console.log(
      `run ${run}/${RUNS}: ${CLIENTS} clients at once${GZIP ? ' (gzip)' : ''}: first checkpoint_complete p50 ${result.p50.toFixed(0)} ms, ` +
        `p99 ${result.p99.toFixed(0)} ms, max ${result.max.toFixed(0)} ms; all in ${seconds.toFixed(1)} s; ` +
        `${failures} failed; service CPU ${cpuMs.toFixed(0)} ms; load ${loadAverage()}`,
    );
    for (const client of clients) client.close();
    await sleep(3000);
  }
  console.log(
    `\nconnect storm, ${CLIENTS} clients, ${RUNS} runs (median), ${os.cpus().length} CPUs: first checkpoint_complete ` +
      `p50 ${median(results.map((r) => r.p50)).toFixed(0)} ms, p99 ${median(results.map((r) => r.p99)).toFixed(0)} ms; ` +
      `failures ${results.reduce((n, r) => n + r.failures, 0)}; service CPU ${median(results.map((r) => r.cpuMs)).toFixed(0)} ms per storm`,
  );
  console.log(`  ${clientFootprint()}`);
  reportServiceLog(env.service);
} catch (error) {
  failed = true;
  console.error(`\nconnect-storm failed: ${(error as Error).stack ?? error}`);
} finally {
  await runCleanups();
}
process.exit(failed ? 1 : 0);
