import { spawn } from 'node:child_process';
import pg from 'pg';
import { parsePrometheusText } from '../probes/index.js';
import { commandTokenProvider, type ClientAuth, type MintedTokenAuth } from '../fleet/index.js';
import type { ExternalProcess, ExternalTarget } from './types.js';

/** What a run needs from its target, embedded or external. */
export interface RunTarget {
  endpoints: string[];
  sourceUrl: string;
  auth: ClientAuth;
  /** The same, as plain data a fleet worker thread can be started with. */
  workerAuth: MintedTokenAuth | { tokenCommand: string };
  /** Databases the Postgres probe reads. */
  databases: Array<{ url: string; label: string }>;
  /** Bucket storage in MongoDB, read by the MongoDB probe. */
  mongodbStorageUrl?: string;
  serviceProcesses(): Array<{ label: string; metricsUrl?: string; pid?: number }>;
  /** What the probes cannot see on this target, said once in results.json. */
  blind: string[];
  /** Things the user should know about the target (deprecations), printed before the load starts. */
  notices?: string[];
  /** What the service says it is (`target_info` labels of its metrics), when it says. */
  reported?: { name?: string; version?: string };
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
          "deprecated: todos has the old stamp column _ss_ts, which PowerSync's SELECT * never syncs; syncscale now stamps ss_ts and has added it (drop _ss_ts when no older syncscale uses this source)",
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
  const labelled = labelProcesses(target.processes);
  if (labelled.length === 0)
    blind.push('no processes declared: service CPU, memory and Prometheus metrics are not probed');
  for (const p of labelled) {
    if (p.pid === undefined)
      blind.push(`${p.label}: no pid, so CPU and RSS come from its metrics only, if it exports process_*`);
    if (!p.metricsUrl)
      blind.push(`${p.label}: no metrics_url, so connections, heap and replication figures are not probed`);
  }
  if (!target.storage)
    blind.push(
      'bucket storage not declared (target.external.storage): storage sizes come from the service metrics only',
    );
  const compactCommand = target.processes.find((p) => p.role === 'compact' && p.command)?.command;
  const unsupported = async () => {
    throw new Error('this action is not available on an external target');
  };
  const reported = await reportedService(labelled.map((p) => p.metricsUrl).filter((u): u is string => !!u));
  const databases: RunTarget['databases'] = [{ url: target.sourceDatabaseUrl, label: 'source' }];
  if (target.storage?.kind === 'postgres') databases.push({ url: target.storage.url, label: 'storage' });
  return {
    endpoints: [target.endpoint],
    sourceUrl: target.sourceDatabaseUrl,
    auth,
    workerAuth,
    databases,
    mongodbStorageUrl: target.storage?.kind === 'mongodb' ? target.storage.url : undefined,
    serviceProcesses: () => labelled.map(({ label, pid, metricsUrl }) => ({ label, pid, metricsUrl })),
    blind,
    notices,
    reported,
    compact: compactCommand ? () => runCompactCommand(compactCommand) : unsupported,
    restart: unsupported,
    killReplicator: unsupported,
    async stop() {},
  };
}

/**
 * Probe labels by role, as the sizing model reads them: `api-<i>` and `replicator-<j>` in declaration order.
 * A unified process serves and replicates, so it is probed under both labels.
 */
export function labelProcesses(
  processes: readonly ExternalProcess[],
): Array<{ label: string; role: ExternalProcess['role']; pid?: number; metricsUrl?: string }> {
  let api = 0;
  let replicator = 0;
  const out: Array<{ label: string; role: ExternalProcess['role']; pid?: number; metricsUrl?: string }> = [];
  for (const p of processes) {
    if (p.role === 'compact') continue;
    if (p.role === 'api' || p.role === 'unified')
      out.push({ label: `api-${api++}`, role: p.role, pid: p.pid, metricsUrl: p.metricsUrl });
    if (p.role === 'replicator' || p.role === 'unified')
      out.push({ label: `replicator-${replicator++}`, role: p.role, pid: p.pid, metricsUrl: p.metricsUrl });
  }
  return out;
}

/**
 * Runs the declared compact command. Its result is the last JSON line it printed (syncscale's own compact
 * prints one, with counts) and its duration; otherwise what its log says it did (`compactOutput`).
 */
function runCompactCommand(command: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out = (out + chunk.toString()).slice(-65_536);
      log = (log + chunk.toString()).slice(-65_536);
    });
    child.stderr.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-65_536)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`compact command exited with ${code}`));
      const json = out
        .trim()
        .split('\n')
        .reverse()
        .find((l) => l.startsWith('{') && l.endsWith('}'));
      const result = parseJsonLine(json);
      resolve({
        ...result,
        ...(json ? {} : { compactOutput: readCompactLog(log) }),
        commandDurationMs: Date.now() - started,
        durationMs: result.durationMs ?? Date.now() - started,
      });
    });
  });
}

/** What a compact job's log says it did, when it prints no JSON result. */
export interface CompactOutput {
  /** `completed`: it says it compacted (no counts); `nothing`: no active instance; `unknown`: not recognised. */
  stated: 'completed' | 'nothing' | 'unknown';
  note: string;
}

/**
 * Reads PowerSync's compact log. Version 1.25 prints "Performing compaction..." then "Successfully compacted
 * storage." and no counts, or "No active instance to compact"; anything else is not parsed, and said so.
 */
export function readCompactLog(log: string): CompactOutput {
  if (/No active instance to compact/i.test(log))
    return {
      stated: 'nothing',
      note: 'the compact job said "No active instance to compact": it did nothing',
    };
  if (/Successfully compacted storage/i.test(log))
    return {
      stated: 'completed',
      note: 'the compact job said "Successfully compacted storage." and states no counts: operations examined are estimated',
    };
  return {
    stated: 'unknown',
    note: 'the compact job printed neither a JSON result nor a message syncscale recognises: only its duration is used',
  };
}

/**
 * The service's name and version from the OpenTelemetry `target_info` series of its metrics (the real
 * service exports its resource attributes there); undefined when no metrics URL answers with one.
 */
async function reportedService(
  urls: readonly string[],
): Promise<{ name?: string; version?: string } | undefined> {
  for (const url of urls) {
    try {
      const text = await (await fetch(url, { signal: AbortSignal.timeout(3000) })).text();
      const info = parsePrometheusText(text).series.find((s) => s.name === 'target_info');
      if (info) return { name: info.labels.service_name, version: info.labels.service_version };
    } catch {
      // the next URL, if any
    }
  }
  return undefined;
}

/** A JSON object line, or {} when there is none or it is not JSON. */
function parseJsonLine(line: string | undefined): Record<string, unknown> {
  if (!line) return {};
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return {};
  }
}
