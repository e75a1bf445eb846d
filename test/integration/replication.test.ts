import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putChecksum, removeChecksum, sumChecksums } from '../../src/protocol/index.js';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { createLogger, silentLogger } from '../../src/service/logging/index.js';
import { SyncConfig } from '../../src/service/rules/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import { compact } from '../../src/service/compact/index.js';
import {
  getActiveCheckpoint,
  getBucketChecksums,
  getParameterSets,
} from '../../src/service/storage/index.js';
import {
  bucketChecksum,
  bucketOps,
  createReplicationDatabases,
  reduceOps,
  serviceConfigYaml,
  SYNC_CONFIG,
  waitForReplication,
} from '../support/replication-fixture.js';

describe('Postgres replication into bucket storage', () => {
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let service: RunningService | undefined;
  let storage: pg.Pool;

  const start = async () => {
    const loaded = parseServiceConfig(serviceConfigYaml(db.sourceUrl, db.storageUrl));
    service = await startService('sync', loaded, {
      log: process.env.SYNCSCALE_TEST_LOG ? createLogger({ level: 'debug' }) : silentLogger,
      env: {},
    });
  };

  beforeAll(async () => {
    db = await createReplicationDatabases('replication');
    await db.source.query(`
      INSERT INTO lists VALUES ('l1', 'List 1'), ('l2', 'List 2');
      INSERT INTO todos (id, owner_id, title, done, n) VALUES ('t1', 'u1', 'Buy milk', false, 9007199254740993),
        ('t2', 'u2', 'Walk', true, 1);
      INSERT INTO users VALUES ('u1', 1), ('u2', 2);
      INSERT INTO projects VALUES (1, 1, 'Apollo'), (2, 2, 'Gemini');
    `);
    storage = new pg.Pool({ connectionString: db.storageUrl, max: 2 });
    await start();
    await waitForReplication(db.source, storage);
  });

  afterAll(async () => {
    await service?.stop();
    await storage?.end();
    await db?.drop();
  });

  it('snapshots existing rows as PUT ops with protocol checksums', async () => {
    const ops = await bucketOps(storage, '1#global[]');
    expect(ops.map((o) => [o.op, o.objectType, o.objectId, o.data])).toEqual([
      ['PUT', 'lists', 'l1', '{"id":"l1","name":"List 1"}'],
      ['PUT', 'lists', 'l2', '{"id":"l2","name":"List 2"}'],
    ]);
    for (const op of ops) expect(op.checksum).toBe(putChecksum('lists', op.objectId!, op.data!));
    const state = await bucketChecksum(storage, '1#global[]');
    expect(state).toMatchObject({ count: 2, checksum: sumChecksums(ops.map((o) => o.checksum)) });

    const todo = (await bucketOps(storage, '1#by_user["u1"]'))[0]!;
    // int8 beyond 2^53 stays exact; booleans become 0/1 as in SQLite.
    expect(todo.data).toBe('{"id":"t1","owner_id":"u1","title":"Buy milk","done":0,"n":9007199254740993}');
  });

  it('streams inserts, updates and deletes as new ops with matching checksums', async () => {
    const before = await getActiveCheckpoint(storage);
    await db.source.query("INSERT INTO lists VALUES ('l3', 'List 3')");
    await db.source.query("UPDATE lists SET name = 'List one' WHERE id = 'l1'");
    await db.source.query("DELETE FROM lists WHERE id = 'l2'");
    const checkpoint = await waitForReplication(db.source, storage);
    expect(checkpoint).toBeGreaterThan(before!.checkpoint);

    const ops = await bucketOps(storage, '1#global[]');
    expect(ops.slice(2).map((o) => [o.op, o.objectId, o.data])).toEqual([
      ['PUT', 'l3', '{"id":"l3","name":"List 3"}'],
      ['PUT', 'l1', '{"id":"l1","name":"List one"}'],
      ['REMOVE', 'l2', null],
    ]);
    const remove = ops[4]!;
    expect(remove.checksum).toBe(removeChecksum(remove.subkey!));
    expect(remove.subkey).toBe(ops[1]!.subkey);
    expect([...reduceOps(ops).values()].sort()).toEqual([
      '{"id":"l1","name":"List one"}',
      '{"id":"l3","name":"List 3"}',
    ]);
    const state = await bucketChecksum(storage, '1#global[]');
    expect(state).toEqual({
      bucket: '1#global[]',
      count: 5,
      checksum: sumChecksums(ops.map((o) => o.checksum)),
    });
  });

  it('moves a row between buckets: REMOVE in the old one, PUT in the new one', async () => {
    await db.source.query("UPDATE todos SET owner_id = 'u2' WHERE id = 't1'");
    await waitForReplication(db.source, storage);
    const u1 = await bucketOps(storage, '1#by_user["u1"]');
    const u2 = await bucketOps(storage, '1#by_user["u2"]');
    expect(u1.map((o) => [o.op, o.objectId])).toEqual([
      ['PUT', 't1'],
      ['REMOVE', 't1'],
    ]);
    expect(reduceOps(u1).size).toBe(0);
    expect(u2.map((o) => [o.op, o.objectId])).toEqual([
      ['PUT', 't2'],
      ['PUT', 't1'],
    ]);
  });

  it('re-evaluates parameter queries when a parameter table changes', async () => {
    const config = SyncConfig.parse(SYNC_CONFIG, { bucketIdPrefix: '1#' });
    const bucketsOf = async (userId: string) => {
      const checkpoint = (await getActiveCheckpoint(storage))!;
      const buckets = await config.resolveBuckets(
        { userId, jwt: { sub: userId }, parameters: {} },
        (lookups) => getParameterSets(storage, checkpoint.syncRulesId, checkpoint.checkpoint, lookups),
      );
      return buckets.map((b) => b.bucket).sort();
    };
    expect(await bucketsOf('u1')).toEqual(['1#by_org[1]', '1#by_user["u1"]', '1#global[]']);
    await db.source.query("UPDATE users SET org_id = 2 WHERE id = 'u1'");
    await waitForReplication(db.source, storage);
    expect(await bucketsOf('u1')).toEqual(['1#by_org[2]', '1#by_user["u1"]', '1#global[]']);
    await db.source.query("DELETE FROM users WHERE id = 'u1'");
    await waitForReplication(db.source, storage);
    expect(await bucketsOf('u1')).toEqual(['1#by_user["u1"]', '1#global[]']);
  });

  it('truncate removes every row of the table from its buckets', async () => {
    await db.source.query('TRUNCATE projects');
    await waitForReplication(db.source, storage);
    const ops = await bucketOps(storage, '1#by_org[2]');
    expect(ops.map((o) => o.op)).toEqual(['PUT', 'REMOVE']);
    expect(reduceOps(ops).size).toBe(0);
  });

  it('restarts without losing or duplicating a change made while it was down', async () => {
    await service!.stop();
    service = undefined;
    await db.source.query("INSERT INTO lists VALUES ('l4', 'List 4')");
    await db.source.query("UPDATE lists SET name = 'List three' WHERE id = 'l3'");
    await start();
    await waitForReplication(db.source, storage);
    await db.source.query("INSERT INTO lists VALUES ('l5', 'List 5')");
    await waitForReplication(db.source, storage);
    const ops = await bucketOps(storage, '1#global[]');
    expect(ops.slice(5).map((o) => [o.op, o.objectId, o.data])).toEqual([
      ['PUT', 'l4', '{"id":"l4","name":"List 4"}'],
      ['PUT', 'l3', '{"id":"l3","name":"List three"}'],
      ['PUT', 'l5', '{"id":"l5","name":"List 5"}'],
    ]);
    expect(await bucketChecksum(storage, '1#global[]')).toMatchObject({ count: 8 });
  });

  it('measures replication lag and counts what it replicated', async () => {
    await db.source.query("INSERT INTO lists VALUES ('l6', 'List 6')");
    await waitForReplication(db.source, storage);
    const metrics = service!.engine!.metrics;
    expect(metrics.lagSeconds).not.toBeNull();
    expect(metrics.lagSeconds!).toBeGreaterThanOrEqual(0);
    expect(metrics.lagSeconds!).toBeLessThan(60);
    expect(metrics.transactions).toBeGreaterThan(0);
    expect(metrics.ops).toBeGreaterThan(0);
  });

  it('compaction of the replicated buckets keeps checksums and client-visible rows', async () => {
    const checkpoint = (await getActiveCheckpoint(storage))!;
    const buckets = ['1#global[]', '1#by_user["u1"]', '1#by_user["u2"]', '1#by_org[1]', '1#by_org[2]'];
    const before = await getBucketChecksums(storage, checkpoint.syncRulesId, checkpoint.checkpoint, buckets);
    const rowsBefore = await Promise.all(buckets.map(async (b) => reduceOps(await bucketOps(storage, b))));
    const result = await compact(storage);
    expect(result.movedOps + result.clearedOps).toBeGreaterThan(0);
    const after = await getBucketChecksums(storage, checkpoint.syncRulesId, checkpoint.checkpoint, buckets);
    for (const bucket of buckets)
      expect(after.get(bucket)!.checksum, bucket).toBe(before.get(bucket)!.checksum);
    const rowsAfter = await Promise.all(buckets.map(async (b) => reduceOps(await bucketOps(storage, b))));
    expect(rowsAfter).toEqual(rowsBefore);
    // Replication goes on normally after compaction.
    await db.source.query("UPDATE lists SET name = 'List 6b' WHERE id = 'l6'");
    await waitForReplication(db.source, storage);
    expect([...reduceOps(await bucketOps(storage, '1#global[]')).values()]).toContain(
      '{"id":"l6","name":"List 6b"}',
    );
  });
  it('keeps tabs, newlines, backslashes and non-ASCII in ids and values exact (bulk COPY path)', async () => {
    const awkward = 'tab\there\nnew line\r\\N back\\slash \\x00 ünïcødé 🚀';
    const id = 'l\t\\x';
    await db.source.query('INSERT INTO lists VALUES ($1, $2)', [id, awkward]);
    await db.source.query('UPDATE lists SET name = $2 WHERE id = $1', [id, awkward + '!']);
    await waitForReplication(db.source, storage);
    const ops = (await bucketOps(storage, '1#global[]')).filter((o) => o.objectId === id);
    expect(ops.map((o) => JSON.parse(o.data!))).toEqual([
      { id, name: awkward },
      { id, name: awkward + '!' },
    ]);
    for (const op of ops) expect(op.checksum).toBe(putChecksum('lists', id, op.data!));
    // current_data kept the exact image: the update found the row (a REMOVE-free move within one bucket).
    const { rows } = await storage.query(
      "SELECT convert_from(data, 'UTF8') AS data FROM powersync.current_data WHERE convert_from(data, 'UTF8') LIKE '%ünïcødé%'",
    );
    expect(rows.map((r) => JSON.parse(r.data).name)).toEqual([awkward + '!']);
    await db.source.query('DELETE FROM lists WHERE id = $1', [id]);
    await waitForReplication(db.source, storage);
  });
  it('numbers ops from whatever the sequence hands out, also when the ids are not one contiguous range', async () => {
    // Another session drawing from the sequence mid-batch has the same effect as a step of 3: gaps.
    await storage.query('ALTER SEQUENCE powersync.op_id_sequence INCREMENT BY 3');
    try {
      await db.source.query("INSERT INTO lists VALUES ('g1', 'Gap 1'), ('g2', 'Gap 2'), ('g3', 'Gap 3')");
      await waitForReplication(db.source, storage);
    } finally {
      await storage.query('ALTER SEQUENCE powersync.op_id_sequence INCREMENT BY 1');
    }
    const ops = (await bucketOps(storage, '1#global[]')).filter((o) => o.objectId?.startsWith('g'));
    expect(ops.map((o) => o.objectId)).toEqual(['g1', 'g2', 'g3']);
    const ids = ops.map((o) => o.opId);
    expect(ids[1]! - ids[0]!).toBe(3n);
    expect(ids[2]! - ids[1]!).toBe(3n);
    // The pre-aggregate still matches the ops, and the checkpoint covers the last one.
    const all = await bucketOps(storage, '1#global[]');
    expect(await bucketChecksum(storage, '1#global[]')).toMatchObject({
      count: all.length,
      checksum: sumChecksums(all.map((o) => o.checksum)),
    });
    expect((await getActiveCheckpoint(storage))!.checkpoint).toBeGreaterThanOrEqual(ids[2]!);
    await db.source.query("DELETE FROM lists WHERE id IN ('g1', 'g2', 'g3')");
    await waitForReplication(db.source, storage);
  });
});
