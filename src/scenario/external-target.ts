import pg from 'pg';
import { commandTokenProvider, type ClientAuth, type MintedTokenAuth } from '../fleet/index.js';
import type { ExternalTarget } from './types.js';

/** What a run needs from its target, embedded or external. */
export interface RunTarget {
  endpoints: string[];
  sourceUrl: string;
  auth: ClientAuth;
  /** The same, as plain data a fleet worker thread can be started with. */
  workerAuth: MintedTokenAuth | { tokenCommand: string };
  /** Databases the Postgres probe reads. */
  databases: Array<{ url: string; label: string }>;
  serviceProcesses(): Array<{ label: string; metricsUrl?: string; pid?: number }>;
  /** What the probes cannot see on this target, said once in results.json. */
  blind: string[];
  /** Things the user should know about the target (deprecations), printed before the load starts. */
  notices?: string[];
  compact(): Promise<Record<string, unknown>>;
  restart(role: 'api' | 'replicator'): Promise<void>;
  killReplicator(): Promise<void>;
  stop(): Promise<void>;
}

/** The dataset tables, created only when missing: an external source may already have them. */
const EXTERNAL_SCHEMA = `
  CREATE TABLE IF NOT EXISTS lists (id text PRIMARY KEY, name text);
  CREATE TABLE IF NOT EXISTS todos (id text PRIMARY KEY, owner_id text NOT NULL, payload text, ss_ts int8,
    updated_at timestamptz DEFAULT now());
  CREATE TABLE IF NOT EXISTS users (id text PRIMARY KEY, org_id integer);
`;

/**
 * A deployment the user named: syncscale starts nothing, loads its dataset into the source database (new
 * keys only), mints tokens with the given key or asks the token command, and probes what is reachable.
 */
export async function connectExternalTarget(
  target: ExternalTarget,
  dataset: { users: number; lists: number },
): Promise<RunTarget> {
  const source = new pg.Client({ connectionString: target.sourceDatabaseUrl });
  await source.connect();
  const notices: string[] = [];
  try {
    await source.query(EXTERNAL_SCHEMA);
    // Older syncscale stamped `_ss_ts`, which PowerSync's SELECT * drops (it treats `_` columns as internal).
    const { rows } = await source.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'todos' AND column_name IN ('_ss_ts', 'ss_ts')`,
    );
    if (!rows.some((r) => r.column_name === 'ss_ts')) {
      await source.query('ALTER TABLE todos ADD COLUMN IF NOT EXISTS ss_ts int8');
      if (rows.some((r) => r.column_name === '_ss_ts'))
        notices.push(
          'deprecated: todos has the old stamp column _ss_ts, which PowerSync\'s SELECT * never syncs; syncscale now stamps ss_ts and has added it (drop _ss_ts when no older syncscale uses this source)',
        );
    }
    await source.query(
      `INSERT INTO lists SELECT 'list' || g, 'List ' || g FROM generate_series(1, $1::int) g ON CONFLICT DO NOTHING`,
      [dataset.lists],
    );
    await source.query(
      `INSERT INTO users SELECT 'user' || g, g % 10 FROM generate_series(0, $1::int - 1) g ON CONFLICT DO NOTHING`,
      [dataset.users],
    );
  } finally {
    await source.end();
  }
  const token = target.token;
  const workerAuth: RunTarget['workerAuth'] =
    token.kind === 'key'
      ? { key: { k: token.k, kid: token.kid, alg: token.alg }, audience: token.audience ?? [target.endpoint] }
      : { tokenCommand: token.command };
  const auth: ClientAuth =
    'tokenCommand' in workerAuth
      ? { tokenProvider: commandTokenProvider(workerAuth.tokenCommand) }
      : workerAuth;
  const blind: string[] = [];
  if (!target.metricsUrl) blind.push('no metrics_url: the service Prometheus metrics are not probed');
  if (target.pid === undefined) blind.push('no pid: the service process CPU and RSS are not probed');
  blind.push(
    'bucket storage is not reachable from the scenario: storage sizes come from the service metrics only',
  );
  const unsupported = async () => {
    throw new Error('actions are not available on an external target');
  };
  return {
    endpoints: [target.endpoint],
    sourceUrl: target.sourceDatabaseUrl,
    auth,
    workerAuth,
    databases: [{ url: target.sourceDatabaseUrl, label: 'source' }],
    serviceProcesses: () => [{ label: 'service', metricsUrl: target.metricsUrl, pid: target.pid }],
    blind,
    notices,
    compact: unsupported,
    restart: unsupported,
    killReplicator: unsupported,
    async stop() {},
  };
}
