import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseServiceConfig } from '../../src/service/config/index.js';
import type { Logger } from '../../src/service/logging/index.js';
import { normaliseLsn } from '../../src/service/replication/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import {
  createWriteCheckpoint,
  getProcessedWriteCheckpoint,
  listSyncRules,
} from '../../src/service/storage/index.js';
import {
  bucketOps,
  createReplicationDatabases,
  serviceConfigYaml,
  waitForReplication,
} from '../support/replication-fixture.js';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (message: string) => void lines.push(message);
  return { lines, debug: record, info: record, warn: record, error: record };
}

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('replication recovery and write checkpoints', () => {
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let storage: pg.Pool;
  let service: RunningService | undefined;
  const log = recordingLogger();
  const start = async () => {
    const loaded = parseServiceConfig(serviceConfigYaml(db.sourceUrl, db.storageUrl));
    service = await startService('sync', loaded, { log, env: { SYNCSCALE_REPLICATION_RETRY_MS: '300' } });
  };

  beforeEach(async () => {
    db = await createReplicationDatabases('recovery');
    storage = new pg.Pool({ connectionString: db.storageUrl, max: 2 });
    log.lines.length = 0;
  });
  afterEach(async () => {
    await service?.stop();
    service = undefined;
    await storage.end();
    await db.drop();
  });

  it('marks a write checkpoint processed once replication passes its LSN, even with no data change', async () => {
    await start();
    await waitForReplication(db.source, storage);
    const head = (await db.source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!
      .lsn;
    const requested = await createWriteCheckpoint(storage, 'u1/client-1', normaliseLsn(head));
    expect(requested).toBe(1n);
    expect(await getProcessedWriteCheckpoint(storage, 'u1/client-1')).toBeNull();
    // What the API does after creating one: a source-side marker past the head.
    await db.source.query("SELECT pg_logical_emit_message(false, 'powersync', 'ping')");
    await until(async () => (await getProcessedWriteCheckpoint(storage, 'u1/client-1')) === 1n);
  });

  it('retries with PSYNC_S1141 while the publication is missing, then replicates', async () => {
    await db.source.query('DROP PUBLICATION powersync');
    await db.source.query("INSERT INTO lists VALUES ('l1', 'one')");
    await start();
    await until(() => log.lines.some((l) => l.includes('PSYNC_S1141')));
    await db.source.query('CREATE PUBLICATION powersync FOR ALL TABLES');
    await waitForReplication(db.source, storage);
    expect((await bucketOps(storage, '1#global[]')).map((o) => o.objectId)).toEqual(['l1']);
  });

  it('re-replicates into a new stream when the slot of an active stream is lost (PSYNC_S1146)', async () => {
    await db.source.query("INSERT INTO lists VALUES ('l1', 'one')");
    await start();
    await waitForReplication(db.source, storage);
    await service!.stop();
    const [stream] = await listSyncRules(storage, ['ACTIVE']);
    await db.source.query('SELECT pg_drop_replication_slot($1)', [stream!.slotName]);
    await db.source.query("INSERT INTO lists VALUES ('l2', 'two')");
    await start();
    await until(() => log.lines.some((l) => l.includes('PSYNC_S1146')));
    await until(async () => (await listSyncRules(storage, ['ACTIVE']))[0]?.id === 2);
    await waitForReplication(db.source, storage);
    const ops = await bucketOps(storage, '2#global[]');
    expect(ops.map((o) => o.objectId).sort()).toEqual(['l1', 'l2']);
    // The replaced stream is cleaned up: data deleted, state TERMINATED.
    await until(async () => (await listSyncRules(storage, ['TERMINATED'])).some((s) => s.id === 1));
  });

  it('replicates a table created after the initial snapshot', async () => {
    await db.source.query('DROP TABLE lists');
    await start();
    await waitForReplication(db.source, storage);
    await db.source.query(
      "CREATE TABLE lists (id text PRIMARY KEY, name text); INSERT INTO lists VALUES ('n1', 'new')",
    );
    await db.source.query("INSERT INTO lists VALUES ('n2', 'newer')");
    await waitForReplication(db.source, storage);
    expect((await bucketOps(storage, '1#global[]')).map((o) => [o.op, o.objectId])).toEqual([
      ['PUT', 'n1'],
      ['PUT', 'n2'],
    ]);
  });

  it('snapshots a table added to the publication later, then streams it', async () => {
    await db.source.query(
      'DROP PUBLICATION powersync; CREATE PUBLICATION powersync FOR TABLE todos, users, projects',
    );
    await db.source.query("INSERT INTO lists VALUES ('e1', 'existing')");
    await start();
    await waitForReplication(db.source, storage);
    expect(await bucketOps(storage, '1#global[]')).toEqual([]);
    await db.source.query('ALTER PUBLICATION powersync ADD TABLE lists');
    await db.source.query("INSERT INTO lists VALUES ('e2', 'added')");
    await waitForReplication(db.source, storage);
    const ops = await bucketOps(storage, '1#global[]');
    expect([...new Set(ops.map((o) => o.objectId))].sort()).toEqual(['e1', 'e2']);
  });

  it('recovers from a lost replication connection without losing or doubling changes', async () => {
    await start();
    await waitForReplication(db.source, storage);
    await db.source.query("INSERT INTO lists VALUES ('a', 'before')");
    await waitForReplication(db.source, storage);
    await db.source.query(
      'SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = current_database() AND active_pid IS NOT NULL',
    );
    await db.source.query("INSERT INTO lists VALUES ('b', 'during')");
    await until(() => log.lines.some((l) => l.includes('Replication of stream 1 failed: [PSYNC_S1120]')));
    await db.source.query("INSERT INTO lists VALUES ('c', 'after')");
    await waitForReplication(db.source, storage);
    expect((await bucketOps(storage, '1#global[]')).map((o) => [o.op, o.objectId])).toEqual([
      ['PUT', 'a'],
      ['PUT', 'b'],
      ['PUT', 'c'],
    ]);
  });
});
