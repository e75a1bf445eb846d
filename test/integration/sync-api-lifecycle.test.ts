import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../../src/protocol/index.js';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { silentLogger } from '../../src/service/logging/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import {
  createReplicationDatabases,
  serviceConfigYaml,
  waitForReplication,
} from '../support/replication-fixture.js';
import { ClientState, TestStream } from '../support/sync-client.js';

const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };

const PRIORITY_CONFIG = `
bucket_definitions:
  global:
    priority: 1
    data:
      - SELECT * FROM lists
  by_user:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT * FROM todos WHERE owner_id = bucket.user_id
`;

describe('sync API lifecycle: sync config changes, priorities, limits', () => {
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let storage: pg.Pool;
  let api: RunningService | undefined;
  let replicator: RunningService | undefined;
  const yaml = (syncConfig?: string, extra = '') =>
    serviceConfigYaml(db.sourceUrl, db.storageUrl, syncConfig).replace('port: 0', `port: 0\n${extra}`);

  beforeAll(async () => {
    db = await createReplicationDatabases('lifecycle');
    await db.source.query(`INSERT INTO lists VALUES ('l1', 'One');
      INSERT INTO todos (id, owner_id, title) VALUES ('t1', 'u1', 'x'), ('t2', 'u1', 'y')`);
    storage = new pg.Pool({ connectionString: db.storageUrl, max: 1 });
    replicator = await startService('sync', parseServiceConfig(yaml()), { log: silentLogger, env: {} });
    await waitForReplication(db.source, storage);
    api = await startService('api', parseServiceConfig(yaml()), { log: silentLogger, env: {} });
  }, 120_000);

  afterAll(async () => {
    await api?.stop();
    await replicator?.stop();
    await storage?.end();
    await db?.drop();
  });

  it('ends open streams when a new sync config becomes active; clients reconnect to its buckets', async () => {
    const token = await mintToken({ key: KEY, sub: 'u1', audience: 'syncscale' });
    const stream = new TestStream(`http://127.0.0.1:${api!.port}`, token, { raw_data: true });
    await stream.opened;
    await stream.waitFor((l) => l.checkpoint_complete !== undefined);
    // A rolling deploy of the replicator with a changed sync config.
    await replicator!.stop();
    replicator = await startService('sync', parseServiceConfig(yaml(PRIORITY_CONFIG)), {
      log: silentLogger,
      env: {},
    });
    await stream.waitForEnd(30_000);

    const again = new TestStream(`http://127.0.0.1:${api!.port}`, token, { raw_data: true });
    await again.opened;
    try {
      const complete = await again.waitFor((l) => l.checkpoint_complete !== undefined, 30_000);
      const lines = again.lines.slice(0, complete + 1);
      expect(lines[0]!.checkpoint.buckets.map((b: { bucket: string }) => b.bucket).sort()).toEqual([
        '2#by_user["u1"]',
        '2#global[]',
      ]);
      // Priority 1 (global) is published first, with a partial completion, then the rest.
      const partial = lines.findIndex((l) => l.partial_checkpoint_complete);
      expect(lines[partial]!.partial_checkpoint_complete.priority).toBe(1);
      const dataBuckets = lines.filter((l) => l.data).map((l) => l.data.bucket);
      expect(dataBuckets.indexOf('2#global[]')).toBeLessThan(dataBuckets.indexOf('2#by_user["u1"]'));
      expect(lines.findIndex((l) => l.data?.bucket === '2#global[]')).toBeLessThan(partial);
      const state = new ClientState();
      for (const line of lines) state.apply(line);
      expect([...state.objects().keys()].sort()).toEqual(['l1', 't1', 't2']);
    } finally {
      again.close();
    }
  });

  it('fails a stream with more buckets than max_buckets_per_connection (PSYNC_S2305)', async () => {
    const limited = await startService(
      'api',
      parseServiceConfig(yaml(PRIORITY_CONFIG, 'api:\n  parameters:\n    max_buckets_per_connection: 1')),
      { log: silentLogger, env: {} },
    );
    try {
      const token = await mintToken({ key: KEY, sub: 'u1', audience: 'syncscale' });
      const stream = new TestStream(`http://127.0.0.1:${limited.port}`, token, { raw_data: true });
      await stream.opened;
      expect(stream.status).toBe(200);
      // Mid-stream errors are not reported in-band over HTTP: the stream is cut.
      await stream.waitForEnd();
      expect(stream.lines).toEqual([]);
    } finally {
      await limited.stop();
    }
  });
});
