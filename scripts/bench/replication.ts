/**
 * Replication benchmark: initial snapshot rows/s of N source rows, then catch-up ops/s from a backlog of N
 * rows written while the replicator was stopped. The snapshot is reported twice: end to end (service start
 * to a checkpoint past the source's position: startup, slot creation, snapshot, first checkpoint) and the
 * snapshot itself as the service logs it. Then, while streaming, one transaction of N rows, timed from its COMMIT
 * to the checkpoint that includes it. Prints the medians against issue 14's targets. Starts its own
 * embedded Postgres (loopback only) and stops it at the end.
 * Usage: npm run bench:replication [-- --rows 200000 --runs 3]
 */
import pg from 'pg';
import { parseServiceConfig } from '../../src/service/config/index.js';
import os from 'node:os';
import type { Logger } from '../../src/service/logging/index.js';
import { normaliseLsn } from '../../src/service/replication/index.js';
import { startService } from '../../src/service/runner/index.js';
import { getActiveCheckpoint } from '../../src/service/storage/index.js';
import { startEmbeddedPostgres } from '../../src/postgres/index.js';
import { postgresCpuSeconds, postmasterPidOf } from './support/index.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const ROWS = Number(args.get('rows') ?? 200_000);
const RUNS = Number(args.get('runs') ?? 3);
/** Issue 14's targets. */
const TARGETS = { snapshot: { must: 30_000 }, catchUp: { must: 20_000, goal: 25_000 } };

/** A silent logger that keeps the snapshot rate the service logs when its initial snapshot is done. */
function snapshotLog(): Logger & { rowsPerSecond?: number } {
  const log: Logger & { rowsPerSecond?: number } = {
    debug() {},
    warn() {},
    error() {},
    info(message, fields) {
      if (message.startsWith('Initial snapshot done')) log.rowsPerSecond = Number(fields?.rows_per_second);
    },
  };
  return log;
}

const SYNC_CONFIG = `
bucket_definitions:
  by_user:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT * FROM todos WHERE owner_id = bucket.user_id
`;

function configYaml(sourceUrl: string, storageUrl: string): string {
  return `
replication: { connections: [{ type: postgresql, uri: "${sourceUrl}", sslmode: disable }] }
storage: { type: postgresql, uri: "${storageUrl}", sslmode: disable }
sync_config:
  content: |
${SYNC_CONFIG.split('\n')
  .map((l) => '    ' + l)
  .join('\n')}
healthcheck: { probes: { use_http: false, use_filesystem: false } }
`;
}

async function fill(source: pg.Pool, from: number, count: number): Promise<void> {
  // 1,000 users, ~200-byte rows; one transaction per 10,000 rows, as a bulk load would.
  for (let start = from; start < from + count; start += 10_000) {
    const n = Math.min(10_000, from + count - start);
    await source.query(
      `INSERT INTO todos (id, owner_id, title, done, created_at)
       SELECT 't' || g, 'u' || (g % 1000), repeat('x', 160) || g, g % 2 = 0, now() FROM generate_series($1::int, $2::int) g`,
      [start, start + n - 1],
    );
  }
}

async function waitFor(source: pg.Pool, storage: pg.Pool): Promise<void> {
  const { rows } = await source.query<{ lsn: string }>(
    "SELECT pg_logical_emit_message(false,'powersync','ping')::text AS lsn",
  );
  const target = normaliseLsn(rows[0]!.lsn);
  for (;;) {
    const cp = await getActiveCheckpoint(storage).catch(() => null);
    if (cp?.lsn && cp.lsn >= target) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** CPU of this process (the service runs in it) and of every Postgres process, for where the time goes. */
interface CpuMark {
  at: number;
  node: number;
  postgres: number;
}

function cpuMark(postmaster: number): CpuMark {
  const usage = process.cpuUsage();
  return {
    at: Date.now(),
    node: (usage.user + usage.system) / 1e6,
    postgres: postgresCpuSeconds(postmaster),
  };
}

function describeCpu(from: CpuMark, to: CpuMark): string {
  const wall = (to.at - from.at) / 1000;
  const node = to.node - from.node;
  const postgres = to.postgres - from.postgres;
  return `${wall.toFixed(1)} s wall; CPU: Node ${node.toFixed(1)} s (${((100 * node) / wall).toFixed(0)} %), Postgres ${postgres.toFixed(1)} s (${((100 * postgres) / wall).toFixed(0)} %)`;
}

async function run(server: Awaited<ReturnType<typeof startEmbeddedPostgres>>, index: number) {
  const sourceUrl = await server.createDatabase(`bench_src_${index}`);
  const storageUrl = await server.createDatabase(`bench_sto_${index}`);
  const source = new pg.Pool({ connectionString: sourceUrl, max: 2 });
  const storage = new pg.Pool({ connectionString: storageUrl, max: 2 });
  await source.query(`CREATE TABLE todos (id text PRIMARY KEY, owner_id text, title text, done boolean, created_at timestamptz);
    CREATE PUBLICATION powersync FOR ALL TABLES`);
  await fill(source, 0, ROWS);
  const loaded = parseServiceConfig(configYaml(sourceUrl, storageUrl));

  const postmaster = await postmasterPidOf(source);
  let mark = cpuMark(postmaster);
  let started = Date.now();
  const log = snapshotLog();
  let service = await startService('sync', loaded, { log, env: {} });
  await waitFor(source, storage);
  const snapshotSeconds = (Date.now() - started) / 1000;
  const snapshotCpu = describeCpu(mark, cpuMark(postmaster));
  await service.stop();

  await fill(source, ROWS, ROWS);
  mark = cpuMark(postmaster);
  started = Date.now();
  service = await startService('sync', loaded, { log: snapshotLog(), env: {} });
  await waitFor(source, storage);
  const catchUpSeconds = (Date.now() - started) / 1000;
  const catchUpCpu = describeCpu(mark, cpuMark(postmaster));
  const ops = service.engine!.metrics.ops;
  if (ops === 0) {
    // Seen twice at 200k rows and not reproduced since: say what storage held rather than print "0 ops/s".
    const cp = await getActiveCheckpoint(storage);
    console.error(
      `catch-up replicated 0 ops in ${catchUpSeconds.toFixed(1)} s; active checkpoint ${String(cp?.checkpoint)} at ${cp?.lsn ?? '-'}`,
    );
  }
  // One large transaction while streaming: from its COMMIT to the checkpoint that includes it.
  const opsBefore = service.engine!.metrics.ops;
  await source.query(
    `INSERT INTO todos (id, owner_id, title, done, created_at)
     SELECT 't' || g, 'u' || (g % 1000), repeat('x', 160) || g, g % 2 = 0, now() FROM generate_series($1::int, $2::int) g`,
    [2 * ROWS, 3 * ROWS - 1],
  );
  mark = cpuMark(postmaster);
  started = Date.now();
  await waitFor(source, storage);
  const largeSeconds = (Date.now() - started) / 1000;
  const largeCpu = describeCpu(mark, cpuMark(postmaster));
  const largeOps = service.engine!.metrics.ops - opsBefore;
  await service.stop();
  await source.end();
  await storage.end();
  await server.dropDatabase(`bench_src_${index}`);
  await server.dropDatabase(`bench_sto_${index}`);
  return {
    snapshotRowsPerSecond: ROWS / snapshotSeconds,
    snapshotPhaseRowsPerSecond: log.rowsPerSecond ?? NaN,
    catchUpOpsPerSecond: ops / catchUpSeconds,
    ops,
    snapshotCpu,
    catchUpCpu,
    largeOpsPerSecond: largeOps / largeSeconds,
    largeOps,
    largeCpu,
  };
}

const server = await startEmbeddedPostgres();
try {
  const results = [];
  for (let i = 0; i < RUNS; i++) {
    const result = await run(server, i);
    results.push(result);
    console.log(
      `run ${i + 1}/${RUNS}: snapshot ${Math.round(result.snapshotRowsPerSecond)} rows/s end to end ` +
        `(${Math.round(result.snapshotPhaseRowsPerSecond)} rows/s in the snapshot itself), ` +
        `catch-up ${Math.round(result.catchUpOpsPerSecond)} ops/s (${result.ops} ops)\n` +
        `  snapshot: ${result.snapshotCpu}\n  catch-up: ${result.catchUpCpu}\n` +
        `  one ${ROWS}-row transaction: ${Math.round(result.largeOpsPerSecond)} ops/s (${result.largeOps} ops), ${result.largeCpu}`,
    );
  }
  const verdict = (value: number, limit: number) => (value >= limit ? 'met' : 'NOT met');
  const snapshot = median(results.map((r) => r.snapshotRowsPerSecond));
  const snapshotPhase = median(results.map((r) => r.snapshotPhaseRowsPerSecond));
  const catchUp = median(results.map((r) => r.catchUpOpsPerSecond));
  const large = median(results.map((r) => r.largeOpsPerSecond));
  console.log(
    `\nreplication benchmark, ${ROWS} rows, ${RUNS} runs (median), ${os.cpus().length} CPUs, source, storage and service on one machine:`,
  );
  console.log(
    `  initial snapshot, end to end: ${Math.round(snapshot)} rows/s (must >= ${TARGETS.snapshot.must}: ${verdict(snapshot, TARGETS.snapshot.must)})`,
  );
  console.log(`  initial snapshot, the snapshot itself: ${Math.round(snapshotPhase)} rows/s`);
  console.log(
    `  catch-up:         ${Math.round(catchUp)} ops/s (must >= ${TARGETS.catchUp.must}: ${verdict(catchUp, TARGETS.catchUp.must)}; ` +
      `goal >= ${TARGETS.catchUp.goal}: ${verdict(catchUp, TARGETS.catchUp.goal)})`,
  );
  console.log(
    `  one ${ROWS}-row transaction, COMMIT to checkpoint: ${Math.round(large)} ops/s (must >= ${TARGETS.catchUp.must}: ` +
      `${verdict(large, TARGETS.catchUp.must)}; goal >= ${TARGETS.catchUp.goal}: ${verdict(large, TARGETS.catchUp.goal)})`,
  );
} finally {
  await server.stop();
}
