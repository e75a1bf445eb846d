/**
 * Idle RSS of the reference service per role: `-r api`, `-r sync` and `-r unified` children started from the
 * same config (the unified one replicated the initial data first), measured after 10 s with nothing
 * connected, then (api, unified) after one client synced and left and 10 s passed. Median of 5 samples 1 s
 * apart. Issue 14: API idle RSS ≤ 80 MB. Starts its own embedded Postgres and stops it at the end.
 * Usage: npm run bench:idle-rss
 */
import fs from 'node:fs';
import os from 'node:os';
import { freePort } from '../../src/postgres/index.js';
import {
  installGuards,
  median,
  onCleanup,
  runCleanups,
  ServiceChild,
  sleep,
  startEnvironment,
  StreamClient,
  tokenFor,
} from './support/index.js';

const MUST_MB = 80;

async function rssMedianMb(child: ServiceChild): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push(child.rssKb() / 1024);
    await sleep(1000);
  }
  return median(samples);
}

installGuards(300_000);
let failed = false;
try {
  const env = await startEnvironment({ users: 10, maxConcurrentConnections: 100 });
  const results: Array<{ role: string; idle: number; afterClient?: number }> = [];
  for (const role of ['api', 'sync', 'unified'] as const) {
    let child = env.service;
    let port = env.port;
    if (role !== 'unified') {
      port = await freePort();
      const metricsPort = await freePort();
      const configPath = env.configPath.replace(/\.yaml$/, `-${role}.yaml`);
      fs.writeFileSync(
        configPath,
        fs
          .readFileSync(env.configPath, 'utf8')
          .replace(/^port: \d+$/m, `port: ${port}`)
          .replace(/prometheus_port: \d+/, `prometheus_port: ${metricsPort}`),
      );
      child = new ServiceChild(configPath, { role });
      onCleanup(() => child.stop());
      if (role === 'api') await child.waitFor(/Listening on http:\/\/127\.0\.0\.1:(\d+)/, 60_000);
    }
    await sleep(10_000);
    const idle = await rssMedianMb(child);
    let afterClient: number | undefined;
    if (role !== 'sync') {
      const client = new StreamClient(port, await tokenFor('u1', env.key), () => undefined);
      const outcome = await client.firstCheckpoint(10_000);
      client.close();
      if (outcome !== 'ok') throw new Error(`${role}: the client did not sync: ${client.describe()}`);
      await sleep(10_000);
      afterClient = await rssMedianMb(child);
    }
    results.push({ role, idle, afterClient });
    if (role !== 'unified') await child.stop();
  }
  console.log(
    `\nreference service idle RSS (${os.cpus().length} CPUs, node ${process.version}, V8 default heap):`,
  );
  for (const r of results) {
    const verdict =
      r.role === 'api' ? ` — must ≤ ${MUST_MB} MB: ${r.idle <= MUST_MB ? 'met' : 'NOT met'}` : '';
    console.log(
      `  -r ${r.role.padEnd(7)} idle ${r.idle.toFixed(1)} MB` +
        (r.afterClient === undefined
          ? ''
          : `; after one client synced and left ${r.afterClient.toFixed(1)} MB`) +
        verdict,
    );
  }
} catch (error) {
  failed = true;
  console.error(`\nidle-rss failed: ${(error as Error).stack ?? error}`);
} finally {
  await runCleanups();
}
process.exit(failed ? 1 : 0);
