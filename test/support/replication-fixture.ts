import pg from 'pg';
import { normaliseLsn } from '../../src/service/replication/index.js';
import {
  getActiveCheckpoint,
  getBucketChecksums,
  getBucketData,
  type OplogRow,
} from '../../src/service/storage/index.js';
import { createTestDatabase } from './databases.js';

export const SYNC_CONFIG = `
bucket_definitions:
  global:
    data:
      - SELECT * FROM lists
  by_user:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT * FROM todos WHERE owner_id = bucket.user_id
  by_org:
    parameters: SELECT org_id FROM users WHERE id = request.user_id()
    data:
      - SELECT id, name, org_id FROM projects WHERE org_id = bucket.org_id
`;

export const SOURCE_SCHEMA = `
  CREATE TABLE lists (id text PRIMARY KEY, name text);
  CREATE TABLE todos (id text PRIMARY KEY, owner_id text, title text, done boolean DEFAULT false, n int8);
  CREATE TABLE users (id text PRIMARY KEY, org_id integer);
  CREATE TABLE projects (id integer PRIMARY KEY, org_id integer, name text);
  CREATE PUBLICATION powersync FOR ALL TABLES;
`;

/** A source database with the fixture schema and an empty storage database, both on the shared server. */
export async function createReplicationDatabases(label: string) {
  const sourceDb = await createTestDatabase(`${label}_src`);
  const storageDb = await createTestDatabase(`${label}_sto`);
  const source = new pg.Pool({ connectionString: sourceDb.url, max: 4 });
  source.on('error', () => undefined);
  await source.query(SOURCE_SCHEMA);
  return {
    sourceUrl: sourceDb.url,
    storageUrl: storageDb.url,
    source,
    /** Drops the slots left on the source, then both databases. */
    async drop() {
      await source
        .query(
          `SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = current_database() AND active_pid IS NOT NULL`,
        )
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await source
        .query(
          'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()',
        )
        .catch(() => undefined);
      await source.end();
      await sourceDb.drop();
      await storageDb.drop();
    },
  };
}

/** Service config YAML for the fixture databases. */
export function serviceConfigYaml(sourceUrl: string, storageUrl: string, syncConfig = SYNC_CONFIG): string {
  const indented = syncConfig
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `
replication:
  connections:
    - type: postgresql
      uri: ${sourceUrl}
      sslmode: disable
storage:
  type: postgresql
  uri: ${storageUrl}
  sslmode: disable
port: 0
sync_config:
  content: |
${indented}
client_auth:
  audience: [syncscale]
  jwks:
    keys:
      - { kty: oct, alg: HS256, kid: test, k: c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA }
healthcheck:
  probes: { use_http: false, use_filesystem: false }
system:
  logging: { level: warn }
`;
}

/**
 * Waits until storage holds a checkpoint at or past the source's current WAL position (every commit made
 * before this call is replicated and checkpointed).
 */
export async function waitForReplication(
  source: pg.Pool,
  storage: pg.Pool,
  timeoutMs = 30_000,
): Promise<bigint> {
  const { rows } = await source.query<{ lsn: string }>(
    "SELECT pg_logical_emit_message(false, 'powersync', 'ping')::text AS lsn",
  );
  const target = normaliseLsn(rows[0]!.lsn);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const checkpoint = await getActiveCheckpoint(storage).catch(() => null);
    if (checkpoint?.lsn && checkpoint.lsn >= target) return checkpoint.checkpoint;
    if (Date.now() > deadline) {
      throw new Error(
        `Replication did not reach ${target} within ${timeoutMs} ms (at ${checkpoint?.lsn ?? 'none'})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every op of a bucket up to the active checkpoint. */
export async function bucketOps(storage: pg.Pool, bucket: string): Promise<OplogRow[]> {
  const checkpoint = await getActiveCheckpoint(storage);
  if (!checkpoint) return [];
  const ops: OplogRow[] = [];
  let after = 0n;
  for (;;) {
    const page = await getBucketData(storage, checkpoint.syncRulesId, checkpoint.checkpoint, [
      { bucket, after },
    ]);
    ops.push(...page);
    if (page.length < 1000) return ops;
    after = page[page.length - 1]!.opId;
  }
}

/** Client-side reduce: the rows a client holds after applying the ops (PUT sets, REMOVE deletes, CLEAR resets). */
export function reduceOps(ops: OplogRow[]): Map<string, string> {
  const rows = new Map<string, string>();
  for (const op of ops) {
    const key = `${op.objectType}/${op.objectId}/${op.subkey}`;
    if (op.op === 'PUT') rows.set(key, op.data!);
    else if (op.op === 'REMOVE') rows.delete(key);
    else if (op.op === 'CLEAR') rows.clear();
  }
  return rows;
}

export async function bucketChecksum(storage: pg.Pool, bucket: string) {
  const checkpoint = await getActiveCheckpoint(storage);
  if (!checkpoint) throw new Error('no active checkpoint');
  const sums = await getBucketChecksums(storage, checkpoint.syncRulesId, checkpoint.checkpoint, [bucket]);
  return sums.get(bucket)!;
}
