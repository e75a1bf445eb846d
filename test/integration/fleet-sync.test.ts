import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Fleet,
  SimulatedClient,
  type ClientEnvironmentOptions,
  type Transport,
} from '../../src/fleet/index.js';
import type { Sample } from '../../src/metrics/index.js';
import { compact } from '../../src/service/compact/index.js';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { silentLogger } from '../../src/service/logging/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import {
  createReplicationDatabases,
  serviceConfigYaml,
  waitForReplication,
} from '../support/replication-fixture.js';

const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };
const USERS = 12;
const TODOS_PER_USER = 3;
const LISTS = 4;

/** Keeps every sample (fine for a test); `of` filters by metric and tag. */
class CaptureSink {
  readonly samples: Sample[] = [];
  listener: ((sample: Sample) => void) | undefined;
  add(sample: Sample): void {
    this.samples.push(sample);
    this.listener?.(sample);
  }
  of(metric: string, tag?: string): Sample[] {
    return this.samples.filter((s) => s.metric === metric && (tag === undefined || s.tags?.test === tag));
  }
  errors(tag?: string): string[] {
    return this.of('errors', tag).map((s) => s.tags!.code!);
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('fleet against the reference service', () => {
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let service: RunningService;
  let storage: pg.Pool;
  let endpoint: string;
  const sink = new CaptureSink();
  const clients: SimulatedClient[] = [];
  /** Updates made to the global bucket so far (each one more op for every client syncing from scratch). */
  let globalUpdates = 0;

  /** A standalone client of user `userId`, tagged `test: tag`, started. */
  function client(userId: string, tag: string, options: Partial<ClientEnvironmentOptions> = {}) {
    const c = SimulatedClient.create({
      endpoint,
      userId,
      auth: { key: KEY, audience: 'syncscale' },
      sink,
      tags: { test: tag },
      backoff: { baseMs: 50, capMs: 500 },
      ...options,
    });
    clients.push(c);
    c.start();
    return c;
  }

  async function replicated(sql: string, values?: unknown[]): Promise<void> {
    await db.source.query(sql, values);
    await waitForReplication(db.source, storage);
  }

  beforeAll(async () => {
    db = await createReplicationDatabases('fleet');
    await db.source.query('ALTER TABLE todos ADD COLUMN ss_ts int8');
    await db.source.query(
      `INSERT INTO lists SELECT 'l' || g, 'list ' || g FROM generate_series(1, ${LISTS}) g;
       INSERT INTO todos (id, owner_id, title)
         SELECT 't' || u || '_' || k, 'u' || u, 'todo ' || k FROM generate_series(0, ${USERS - 1}) u, generate_series(1, ${TODOS_PER_USER}) k;
       INSERT INTO todos (id, owner_id, title) SELECT 'big' || g, 'big', repeat('x', 200) FROM generate_series(1, 2500) g;`,
    );
    service = await startService(
      'unified',
      parseServiceConfig(serviceConfigYaml(db.sourceUrl, db.storageUrl)),
      {
        log: silentLogger,
        env: {},
      },
    );
    storage = new pg.Pool({ connectionString: db.storageUrl, max: 2 });
    await waitForReplication(db.source, storage);
    endpoint = `http://127.0.0.1:${service.port}`;
    // Replicated is not yet served: streams get PSYNC_S2302 until the API has seen the first checkpoint.
    const probe = client('probe', 'probe');
    await until(() => probe.synced, 'the service to serve streams', 60_000);
    probe.stop();
  }, 120_000);

  afterAll(async () => {
    for (const c of clients) c.stop();
    await service?.stop();
    await storage?.end();
    await db?.drop();
  });

  it.each<Transport>(['http-ndjson', 'http-bson', 'websocket'])(
    '%s: a fleet of clients syncs and validates every checkpoint',
    async (transport) => {
      const fleet = new Fleet({
        endpoint,
        auth: { key: KEY, audience: 'syncscale' },
        sink,
        transport,
        tags: { test: transport },
        userId: (i) => `u${i}`,
      });
      try {
        fleet.add(USERS);
        await until(() => fleet.snapshot().synced === USERS, 'every client synced');
        const stats = [...fleet.list()].map((c) => c.stats());
        expect(stats.every((s) => s.checksumFailures === 0 && s.errors === 0)).toBe(true);
        // Each user holds the global bucket and its own bucket.
        expect(stats.map((s) => s.opsReceived)).toEqual(
          stats.map(() => LISTS + globalUpdates + TODOS_PER_USER),
        );
        for (const c of fleet.list())
          expect([...c.positions().keys()].sort()).toEqual(['1#by_user["' + c.userId + '"]', '1#global[]']);
        expect(sink.of('connect_time', transport)).toHaveLength(USERS);
        expect(sink.of('first_checkpoint', transport)).toHaveLength(USERS);
        expect(sink.of('bytes_received', transport).reduce((a, s) => a + s.value, 0)).toBeGreaterThan(0);

        // A change fans out to everyone (a global row) and validates again.
        await replicated(`UPDATE lists SET name = $1 WHERE id = 'l1'`, [`renamed for ${transport}`]);
        globalUpdates++;
        await until(() => [...fleet.list()].every((c) => c.stats().checkpointsCompleted >= 2), 'the update');
        expect([...fleet.list()].every((c) => c.stats().checksumFailures === 0)).toBe(true);
        expect(sink.of('checksum_failures', transport)).toEqual([]);
        expect(sink.of('checkpoint_latency', transport).length).toBeGreaterThanOrEqual(2 * USERS);
      } finally {
        fleet.stopAll();
      }
      expect(fleet.size).toBe(0);
    },
  );

  it('resumes from its positions after the socket is killed: no data is sent twice', async () => {
    for (const transport of ['http-ndjson', 'websocket'] as const) {
      const tag = `resume-${transport}`;
      const c = client('u3', tag, { transport });
      await until(() => c.synced, 'first sync');
      const before = c.stats();
      const positions = c.positions();
      c.dropConnection();
      await until(() => c.stats().connects === 2 && c.synced, 'reconnected and synced');
      const after = c.stats();
      expect(after.opsReceived).toBe(before.opsReceived); // nothing re-sent
      expect(after.reconnects).toBe(1);
      expect(sink.errors(tag)).toEqual(['network']);
      expect(c.positions()).toEqual(positions);
      // And it keeps syncing from there.
      await replicated(`INSERT INTO todos (id, owner_id, title) VALUES ($1, 'u3', 'new')`, [
        `resume-${transport}`,
      ]);
      await until(
        () =>
          c.stats().opsReceived === before.opsReceived + 1 &&
          c.stats().checkpointsCompleted > after.checkpointsCompleted,
        'the new row',
      );
      expect(c.stats().checksumFailures).toBe(0);
      c.stop();
    }
  });

  it('a connection killed mid-download resumes from the last applied checkpoint and validates', async () => {
    const c = client('big', 'mid');
    let dropped = false;
    sink.listener = (sample) => {
      if (!dropped && sample.metric === 'ops_received' && sample.tags?.test === 'mid') {
        dropped = true;
        setImmediate(() => c.dropConnection());
      }
    };
    try {
      await until(() => c.synced, 'sync after the drop', 30_000);
    } finally {
      sink.listener = undefined;
    }
    const stats = c.stats();
    expect(dropped).toBe(true);
    expect(stats.reconnects).toBe(1);
    expect(stats.checksumFailures).toBe(0);
    expect(stats.opsReceived).toBeGreaterThan(2500 + LISTS); // the partial download was received again
    expect(c.positions().size).toBe(2);
    c.stop();
  });

  it('refreshes a short-lived token before it expires and keeps syncing, with no auth error', async () => {
    const http = client('u5', 'token-http', {
      auth: { key: KEY, audience: 'syncscale', lifetimeSeconds: 5 },
    });
    const ws = client('u5', 'token-ws', {
      transport: 'websocket',
      auth: { key: KEY, audience: 'syncscale', lifetimeSeconds: 5 },
    });
    await until(() => http.synced && ws.synced, 'first sync');
    const initial = LISTS + globalUpdates + TODOS_PER_USER;
    expect([http.stats().opsReceived, ws.stats().opsReceived]).toEqual([initial, initial]);
    await until(
      () => http.stats().reconnects >= 2 && ws.stats().reconnects >= 2,
      'two token refreshes',
      20_000,
    );
    await replicated(`INSERT INTO todos (id, owner_id, title) VALUES ('after-refresh', 'u5', 'x')`);
    // Resumed from its positions after each refresh: only the new row arrives.
    await until(() => http.stats().opsReceived === initial + 1, 'the new row over http');
    await until(() => ws.stats().opsReceived === initial + 1, 'the new row over ws');
    for (const tag of ['token-http', 'token-ws']) expect(sink.errors(tag)).toEqual([]);
    expect(http.synced && ws.synced).toBe(true);
    http.stop();
    ws.stop();
  }, 40_000);

  it('SDK-shaped clients ask for gzip and decode it; the same sync costs more wire bytes without', async () => {
    const sdk = client('u8', 'gzip-sdk', { transport: 'http-ndjson' });
    const plain = client('u8', 'gzip-none', { transport: 'http-ndjson', compression: 'none' });
    await until(() => sdk.synced && plain.synced, 'first sync');
    expect(sdk.stats().opsReceived).toBe(plain.stats().opsReceived);
    expect(sdk.stats().checksumFailures + plain.stats().checksumFailures).toBe(0);
    // Bytes received count what crossed the wire: gzip is smaller for the same lines.
    expect(sdk.stats().bytesReceived).toBeLessThan(plain.stats().bytesReceived);
    sdk.stop();
    plain.stop();
  });

  it('measures end-to-end latency of a stamped row from its source commit', async () => {
    const c = client('u7', 'e2e', { transport: 'http-bson' });
    await until(() => c.synced, 'first sync');
    const stampedAt = Date.now();
    await db.source.query(
      `INSERT INTO todos (id, owner_id, title, ss_ts) VALUES ('stamped', 'u7', 's', $1)`,
      [stampedAt],
    );
    const observedBy = Date.now();
    await until(() => sink.of('e2e_latency', 'e2e').length === 1, 'an e2e sample');
    const [sample] = sink.of('e2e_latency', 'e2e');
    expect(sample!.value).toBeGreaterThanOrEqual(0);
    expect(sample!.value).toBeLessThanOrEqual(Date.now() - stampedAt);
    expect(sample!.time).toBeGreaterThanOrEqual(observedBy - 1);
    c.stop();
  });

  it('measures the write-checkpoint round trip', async () => {
    for (const transport of ['http-ndjson', 'websocket'] as const) {
      const tag = `wc-${transport}`;
      const c = client('u8', tag, { transport });
      await until(() => c.synced, 'first sync');
      const first = await c.requestWriteCheckpoint();
      const second = await c.requestWriteCheckpoint();
      expect(first).toBeGreaterThan(0);
      expect(second).toBeGreaterThan(0);
      expect(sink.of('write_checkpoint_latency', tag).map((s) => s.value)).toEqual([first, second]);
      expect(sink.errors(tag)).toEqual([]);
      c.stop();
    }
  });

  it('validates MOVE and CLEAR ops the service sends after compaction', async () => {
    const before = client('u9', 'compact-before');
    await until(() => before.synced, 'first sync');
    for (let i = 0; i < 5; i++)
      await db.source.query(`UPDATE todos SET title = 'v${i}' WHERE owner_id = 'u9'`);
    await db.source.query(`DELETE FROM todos WHERE id = 't9_1'`);
    await waitForReplication(db.source, storage);
    const result = await compact(storage);
    expect(result.movedOps + result.clearedOps).toBeGreaterThan(0);
    const after = client('u9', 'compact-after');
    await until(() => after.synced, 'sync of compacted buckets');
    await replicated(`UPDATE todos SET title = 'final' WHERE owner_id = 'u9'`);
    await until(
      () => before.stats().checkpointsCompleted >= 3 && after.stats().checkpointsCompleted >= 2,
      'both updated',
    );
    for (const c of [before, after]) {
      expect(c.stats().checksumFailures).toBe(0);
      c.stop();
    }
  });

  it('stops for good: on stop() and when its AbortSignal aborts', async () => {
    const controller = new AbortController();
    const c = SimulatedClient.create({
      endpoint,
      userId: 'u10',
      auth: { key: KEY, audience: 'syncscale' },
      sink,
      tags: { test: 'abort' },
      transport: 'websocket',
      signal: controller.signal,
    });
    c.start();
    await until(() => c.synced, 'first sync');
    controller.abort();
    expect(c.status).toBe('stopped');
    const frozen = c.stats();
    await replicated(`UPDATE todos SET title = 'after stop' WHERE owner_id = 'u10'`);
    await sleep(300);
    expect(c.stats()).toEqual(frozen);
    await expect(c.requestWriteCheckpoint()).rejects.toThrow(/stopped/);
    expect(sink.errors('abort')).toEqual([]);
  });
});
