import { randomBytes } from 'node:crypto';
import { redactor } from '../redact/index.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type PostgresServer } from '../postgres/index.js';
import { datasetUserIds } from '../writers/index.js';
import { ServiceProcess } from './child-processes.js';

export const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/syncscale.js');

export interface EmbeddedTargetOptions {
  runDir: string;
  log: Writable;
  syncConfig: string;
  replicators: number;
  apiContainers: number;
  heapMb: number;
  maxConcurrentConnections: number;
  dataset: { users: number; rowsPerUser: number; rowSizeBytes: number; lists: number };
  dataDir?: string;
  /** Loads the written table (`todos`) into the source before the service starts (so it is snapshotted). */
  prepareSource?: (sourceUrl: string) => Promise<void>;
}

/** What the fleet, writers and probes need to reach an embedded target. */
export interface EmbeddedTarget {
  endpoints: string[];
  sourceUrl: string;
  storageUrl: string;
  jwtKey: { k: string; kid: string };
  audience: string;
  users: string[];
  configPath: string;
  processes: ServiceProcess[];
  /** The service processes now running (pids change on restart). */
  serviceProcesses(): Array<{ label: string; metricsUrl: string; pid: number | undefined }>;
  /** Runs `syncscale service compact` as its own process, like the cron job; resolves with its JSON result. */
  compact(): Promise<Record<string, unknown>>;
  restart(role: 'api' | 'replicator'): Promise<void>;
  killReplicator(): Promise<void>;
  stop(): Promise<void>;
}

interface RoleProcess {
  child: ServiceProcess;
  port: number;
  metricsPort: number;
  configPath: string;
}

/** Tables of the dataset; `todos` (per-user buckets) is loaded and written by the writers, `lists` is global. */
const DATASET_SCHEMA = `
  CREATE TABLE lists (id text PRIMARY KEY, name text);
  CREATE TABLE todos (id text PRIMARY KEY, owner_id text NOT NULL, payload text, ss_ts int8,
    updated_at timestamptz DEFAULT now());
  CREATE INDEX todos_owner ON todos (owner_id);
  CREATE TABLE users (id text PRIMARY KEY, org_id integer);
  CREATE TABLE projects (id integer PRIMARY KEY, org_id integer, name text);
  CREATE PUBLICATION powersync FOR ALL TABLES;
`;

/**
 * Starts embedded Postgres, loads the dataset, and starts the reference service as separate processes
 * (replicators and API containers, each with its own heap limit), all on 127.0.0.1.
 */
export async function startEmbeddedTarget(options: EmbeddedTargetOptions): Promise<EmbeddedTarget> {
  const server = await startEmbeddedPostgres({ dataDir: options.dataDir });
  const processes: ServiceProcess[] = [];
  /** Starts one service process (a "container") and waits until it is up. */
  const launch = async (label: string, role: 'sync' | 'api', configPath: string): Promise<ServiceProcess> => {
    const child = spawnService(label, role, configPath, {
      heapMb: options.heapMb,
      runDir: options.runDir,
      log: options.log,
      // Drill timings keep a killed replicator's lease short (the real service's is 60 s).
      env: role === 'sync' ? { SYNCSCALE_LOCK_TTL_MS: '10000', SYNCSCALE_LOCK_REFRESH_MS: '3000' } : {},
    });
    processes.push(child);
    await child.waitFor(/Service started in/);
    return child;
  };
  const stopAll = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await server.stop();
  };
  try {
    const sourceUrl = await server.createDatabase('syncscale_source');
    const storageUrl = await server.createDatabase('syncscale_storage');
    const users = datasetUserIds(options.dataset.users);
    await loadDataset(sourceUrl, options.dataset);
    await options.prepareSource?.(sourceUrl);
    const jwtKey = { k: randomBytes(32).toString('base64url'), kid: 'syncscale-run' };
    // The run's own signing key is as secret as a user's: never in an artifact.
    redactor.add(jwtKey.k);
    const audience = 'syncscale';
    await fs.writeFile(path.join(options.runDir, 'sync-config.yaml'), options.syncConfig);

    const startRole = async (role: 'sync' | 'api', index: number): Promise<RoleProcess> => {
      const { configPath, port, metricsPort } = await writeServiceFiles(options.runDir, `${role}-${index}`, {
        sourceUrl,
        storageUrl,
        jwtKey,
        audience,
        maxConcurrentConnections: options.maxConcurrentConnections,
        role,
      });
      const label = role === 'sync' ? `replicator-${index}` : `api-${index}`;
      const child = await launch(label, role, configPath);
      return { child, port, metricsPort, configPath };
    };

    const replicators: RoleProcess[] = [];
    for (let i = 0; i < options.replicators; i++) replicators.push(await startRole('sync', i));
    await waitForActiveCheckpoint(storageUrl, 120_000);
    const apis: RoleProcess[] = [];
    for (let i = 0; i < options.apiContainers; i++) apis.push(await startRole('api', i));

    const all = [...replicators, ...apis];
    const target: EmbeddedTarget = {
      endpoints: apis.map((a) => `http://127.0.0.1:${a.port}`),
      sourceUrl,
      storageUrl,
      jwtKey,
      audience,
      users,
      configPath: replicators[0]!.configPath,
      processes,
      serviceProcesses: () =>
        all.map((p) => ({
          label: p.child.label,
          metricsUrl: `http://127.0.0.1:${p.metricsPort}/metrics`,
          pid: p.child.pid,
        })),
      async compact() {
        const child = new ServiceProcess('compact', [CLI, 'service', 'compact', '-c', target.configPath], {
          heapMb: options.heapMb,
          cwd: options.runDir,
          log: options.log,
        });
        const match = await child.waitFor(/^\{.*\}$/, 600_000);
        await child.exited;
        return JSON.parse(match[0]) as Record<string, unknown>;
      },
      async restart(role) {
        const pool = role === 'api' ? apis : replicators;
        const entry = pool[0]!;
        await entry.child.stop();
        const replacement = await startRoleOnPort(entry, role === 'api' ? 'api' : 'sync');
        entry.child = replacement;
      },
      async killReplicator() {
        replicators[0]!.child.kill();
        await replicators[0]!.child.exited;
        replicators[0]!.child = await startRoleOnPort(replicators[0]!, 'sync');
      },
      stop: stopAll,
    };
    // A restarted process keeps its port and config, as a container restart would.
    const startRoleOnPort = (entry: { configPath: string; child: ServiceProcess }, role: 'sync' | 'api') =>
      launch(entry.child.label, role, entry.configPath);
    return target;
  } catch (error) {
    await stopAll().catch(() => undefined);
    throw error;
  }
}

/**
 * One service process's files, as a container's: two free ports on 127.0.0.1 and the generated config at
 * `<runDir>/service-<name>.yaml` (sync config in `sync-config.yaml` beside it).
 */
export async function writeServiceFiles(
  runDir: string,
  name: string,
  input: Omit<ServiceConfigInput, 'port' | 'metricsPort'>,
): Promise<{ configPath: string; port: number; metricsPort: number }> {
  const port = await freePort();
  const metricsPort = await freePort();
  const configPath = path.join(runDir, `service-${name}.yaml`);
  await fs.writeFile(configPath, serviceConfig({ ...input, port, metricsPort }));
  return { configPath, port, metricsPort };
}

/** `syncscale service start -r <role> -c <config>` as its own process (not waited for). */
export function spawnService(
  label: string,
  role: 'sync' | 'api',
  configPath: string,
  options: {
    runDir: string;
    log: Writable;
    heapMb: number;
    env?: NodeJS.ProcessEnv;
    onLine?: (line: string, at: number) => void;
  },
): ServiceProcess {
  return new ServiceProcess(label, [CLI, 'service', 'start', '-r', role, '-c', configPath], {
    heapMb: options.heapMb,
    cwd: options.runDir,
    log: options.log,
    env: options.env,
    onLine: options.onLine,
  });
}

/** The generated config of one service process (sync config in `sync-config.yaml` beside it). */
export interface ServiceConfigInput {
  sourceUrl: string;
  storageUrl: string;
  port: number;
  metricsPort: number;
  jwtKey: { k: string; kid: string };
  audience: string;
  maxConcurrentConnections: number;
  role: 'sync' | 'api';
}

export function serviceConfig(input: ServiceConfigInput): string {
  return `# Generated by syncscale run for the ${input.role} process.
port: ${input.port}
replication:
  connections:
    - type: postgresql
      uri: ${JSON.stringify(input.sourceUrl)}
      sslmode: disable
storage:
  type: postgresql
  uri: ${JSON.stringify(input.storageUrl)}
  sslmode: disable
sync_config:
  path: sync-config.yaml
client_auth:
  audience: [${JSON.stringify(input.audience)}]
  jwks:
    keys:
      - { kty: oct, alg: HS256, kid: ${input.jwtKey.kid}, k: ${input.jwtKey.k} }
api:
  parameters:
    max_concurrent_connections: ${input.maxConcurrentConnections}
telemetry:
  prometheus_port: ${input.metricsPort}
  disable_telemetry_sharing: true
healthcheck:
  probes: { use_http: ${input.role === 'api'}, use_filesystem: false }
system:
  logging: { level: info, format: text }
`;
}

/** Creates the dataset tables and the publication, and loads lists, users and projects. */
export async function loadDataset(
  sourceUrl: string,
  dataset: EmbeddedTargetOptions['dataset'],
): Promise<void> {
  const source = new pg.Client({ connectionString: sourceUrl });
  await source.connect();
  try {
    await source.query(DATASET_SCHEMA);
    await source.query(
      `INSERT INTO lists SELECT 'list' || g, 'List ' || g FROM generate_series(1, $1::int) g`,
      [dataset.lists],
    );
    await source.query(
      `INSERT INTO users SELECT 'user' || g, g % 10 FROM generate_series(0, $1::int - 1) g`,
      [dataset.users],
    );
    await source.query(
      `INSERT INTO projects SELECT g, g % 10, 'Project ' || g FROM generate_series(1, 20) g`,
    );
  } finally {
    await source.end();
  }
}

export async function waitForActiveCheckpoint(storageUrl: string, timeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: storageUrl });
  await client.connect();
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { rows } = await client
        .query("SELECT 1 FROM powersync.sync_rules WHERE state = 'ACTIVE' AND last_checkpoint IS NOT NULL")
        .catch(() => ({ rows: [] }));
      if (rows.length > 0) return;
      if (Date.now() > deadline) throw new Error('Initial replication did not finish in time');
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  } finally {
    await client.end();
  }
}

export type { PostgresServer };
