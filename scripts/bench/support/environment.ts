/**
 * An embedded Postgres with a small source schema and the reference service started against it, on 127.0.0.1;
 * Prometheus scraping and /proc CPU readings of the service and of Postgres.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type PostgresServer } from '../../../src/postgres/index.js';
import { onCleanup } from './cleanup.js';
import { StreamClient } from './http-stream-client.js';
import { ServiceChild } from './service-child.js';
import { sleep } from './stats.js';
import { postmasterPidOf } from './proc-readings.js';
import { AUDIENCE, tokenFor } from './tokens.js';

export const SYNC_CONFIG = `
bucket_definitions:
  global:
    data:
      - SELECT * FROM lists
  by_user:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT * FROM todos WHERE owner_id = bucket.user_id
`;

const SOURCE_SCHEMA = `
  CREATE TABLE lists (id text PRIMARY KEY, name text);
  CREATE TABLE todos (id text PRIMARY KEY, owner_id text, title text, done boolean DEFAULT false);
  CREATE PUBLICATION powersync FOR ALL TABLES;
`;

export const LIST_ROWS = 5;

export interface BenchEnvironment {
  pg: PostgresServer;
  source: pg.Pool;
  sourceUrl: string;
  storageUrl: string;
  service: ServiceChild;
  port: number;
  metricsPort: number;
  key: { k: string; kid: string };
  startupSeconds: number;
  /** PID of our embedded Postgres postmaster (from postmaster.pid), NaN if unreadable. */
  postmasterPid: number;
  /** The service config file (in a temp dir removed at cleanup). */
  configPath: string;
}

/**
 * Embedded Postgres, source schema with `lists` (5 rows) and 1–2 todos per user for `users` users, and the
 * service child, started and ready (an active sync config, a probe stream got its first checkpoint).
 * Registers the cleanups (child first, then Postgres).
 */
export async function startEnvironment(options: {
  users: number;
  maxConcurrentConnections: number;
  /** `--max-old-space-size` of the service child, in MB (V8 default when absent). */
  heapMb?: number;
  /** More node flags for the service child (e.g. `--heapsnapshot-signal`). */
  nodeArgs?: string[];
}): Promise<BenchEnvironment> {
  const server = await startEmbeddedPostgres();
  onCleanup(() => server.stop());
  const sourceUrl = await server.createDatabase('api_bench_src');
  const storageUrl = await server.createDatabase('api_bench_sto');
  // The embedded server runs with synchronous_commit=off, so a commit's WAL reaches the walsender only at the
  // next WAL-writer flush (up to wal_writer_delay, 200 ms). The bench's own writes commit synchronously, as
  // an application's would on a production source, so replication starts at once.
  const source = new pg.Pool({ connectionString: sourceUrl, max: 2, options: '-c synchronous_commit=on' });
  source.on('error', () => undefined);
  onCleanup(() => source.end());
  await source.query(SOURCE_SCHEMA);
  await source.query(
    `INSERT INTO lists (id, name) SELECT 'l' || g, 'list ' || g FROM generate_series(0, ${LIST_ROWS - 1}) g`,
  );
  // One or two todos per user (u0 has 2, u1 has 1, …).
  await source.query(
    `INSERT INTO todos (id, owner_id, title)
     SELECT 't' || g || '_' || k, 'u' || g, 'todo ' || k || ' of user ' || g
     FROM generate_series(0, $1::int - 1) g, generate_series(1, 2) k WHERE k = 1 OR g % 2 = 0`,
    [options.users],
  );

  // NaN when unreadable: Postgres CPU is then not reported.
  const postmasterPid = await postmasterPidOf(source).catch(() => NaN);

  const port = await freePort();
  const metricsPort = await freePort();
  const key = { k: randomBytes(32).toString('base64url'), kid: 'bench' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-api-bench-'));
  onCleanup(() => fs.rmSync(dir, { recursive: true, force: true }));
  const configPath = path.join(dir, 'powersync.yaml');
  fs.writeFileSync(
    configPath,
    `
port: ${port}
replication:
  connections:
    - type: postgresql
      uri: ${sourceUrl}
      sslmode: disable
storage:
  type: postgresql
  uri: ${storageUrl}
  sslmode: disable
sync_config:
  content: |
${SYNC_CONFIG.split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}
client_auth:
  audience: [${AUDIENCE}]
  jwks:
    keys:
      - { kty: oct, alg: HS256, kid: ${key.kid}, k: ${key.k} }
api:
  parameters: { max_concurrent_connections: ${options.maxConcurrentConnections} }
telemetry: { prometheus_port: ${metricsPort}, disable_telemetry_sharing: true }
healthcheck:
  probes: { use_http: false, use_filesystem: false }
system:
  logging: { level: info, format: text }
`,
  );

  const started = Date.now();
  // SYNCSCALE_BENCH_SERVICE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the service child.
  const extraNodeArgs = process.env.SYNCSCALE_BENCH_SERVICE_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const service = new ServiceChild(configPath, {
    heapMb: options.heapMb,
    nodeArgs: [...(options.nodeArgs ?? []), ...extraNodeArgs],
  });
  onCleanup(() => service.stop());
  await service.waitFor(/Listening on http:\/\/127\.0\.0\.1:(\d+)/, 60_000);
  // Initial replication: streams are refused (500 PSYNC_S2302) until the first checkpoint exists.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const probe = new StreamClient(port, await tokenFor('probe', key), () => undefined);
    const outcome = await probe.firstCheckpoint(10_000);
    probe.close();
    if (outcome === 'ok') break;
    if (Date.now() > deadline) throw new Error(`service never became ready: ${probe.describe()}`);
    if (!service.alive) throw new Error(`service exited during start-up:\n${service.tail}`);
    await sleep(250);
  }
  return {
    pg: server,
    source,
    sourceUrl,
    storageUrl,
    configPath,
    service,
    port,
    metricsPort,
    key,
    startupSeconds: (Date.now() - started) / 1000,
    postmasterPid,
  };
}
