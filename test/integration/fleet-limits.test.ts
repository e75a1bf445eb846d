import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fleet, SimulatedClient } from '../../src/fleet/index.js';
import type { Sample } from '../../src/metrics/index.js';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { silentLogger } from '../../src/service/logging/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import {
  createReplicationDatabases,
  serviceConfigYaml,
  waitForReplication,
} from '../support/replication-fixture.js';
import { trackOwnedHandles } from '../support/owned-handles.js';

const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };
const LIMIT = 2;

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('fleet under the service connection limit and auth failures', () => {
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let service: RunningService;
  let endpoint: string;
  const samples: Sample[] = [];
  const sink = { add: (s: Sample) => samples.push(s) };
  const errors = (tag: string) =>
    samples.filter((s) => s.metric === 'errors' && s.tags?.test === tag).map((s) => s.tags!.code!);

  beforeAll(async () => {
    db = await createReplicationDatabases('fleet_limits');
    await db.source.query(`INSERT INTO lists VALUES ('l1', 'one')`);
    const yaml = serviceConfigYaml(db.sourceUrl, db.storageUrl).replace(
      'port: 0',
      `port: 0\napi:\n  parameters:\n    max_concurrent_connections: ${LIMIT}`,
    );
    service = await startService('unified', parseServiceConfig(yaml), { log: silentLogger, env: {} });
    const storage = new pg.Pool({ connectionString: db.storageUrl, max: 1 });
    await waitForReplication(db.source, storage);
    await storage.end();
    endpoint = `http://127.0.0.1:${service.port}`;
    // Replicated is not yet served: streams get PSYNC_S2302 until the API has seen the first checkpoint.
    const probe = SimulatedClient.create({
      endpoint,
      userId: 'probe',
      sink,
      tags: { test: 'probe' },
      auth: { key: KEY, audience: 'syncscale' },
      backoff: { baseMs: 50, capMs: 200 },
    });
    probe.start();
    await until(() => probe.synced, 'the service to serve streams', 60_000);
    probe.stop();
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await db?.drop();
  });

  it.each([
    ['http-ndjson', 'http_429'],
    ['websocket', 'PSYNC_S2304'],
  ] as const)(
    '%s: over the limit is classified as %s and backs off until a slot frees',
    async (transport, code) => {
      const fleet = new Fleet({
        endpoint,
        auth: { key: KEY, audience: 'syncscale' },
        sink,
        transport,
        tags: { test: transport },
        backoff: { baseMs: 100, capMs: 400 },
      });
      try {
        fleet.add(LIMIT + 1);
        await until(
          () => fleet.snapshot().synced === LIMIT && errors(transport).length >= 2,
          'the limit to bite',
        );
        const snapshot = fleet.snapshot();
        expect(snapshot.streaming).toBe(LIMIT);
        expect(new Set(errors(transport))).toEqual(new Set([code]));
        // Retries are spaced out by the backoff, not a hot loop.
        const rejectedSoFar = errors(transport).length;
        await new Promise((resolve) => setTimeout(resolve, 1000));
        expect(errors(transport).length - rejectedSoFar).toBeLessThanOrEqual(6);
        // One client leaves: the one backing off gets in.
        const first = fleet.list().next().value as SimulatedClient;
        first.stop();
        await until(() => fleet.snapshot().synced === LIMIT, 'the waiting client to connect');
        expect(samples.filter((s) => s.metric === 'checksum_failures')).toEqual([]);
      } finally {
        fleet.stopAll();
      }
    },
  );

  it('classifies auth failures by their PSYNC code and retries with a new token', async () => {
    let calls = 0;
    const badThenGood = SimulatedClient.create({
      endpoint,
      userId: 'u1',
      sink,
      tags: { test: 'auth' },
      backoff: { baseMs: 50, capMs: 100 },
      auth: {
        tokenProvider: async () => {
          calls++;
          if (calls === 1) return 'not-a-jwt';
          const { mintToken } = await import('../../src/protocol/index.js');
          return mintToken({ key: KEY, sub: 'u1', audience: calls === 2 ? 'elsewhere' : 'syncscale' });
        },
      },
    });
    badThenGood.start();
    await until(() => badThenGood.synced, 'sync after two rejected tokens');
    expect(errors('auth')).toEqual(['PSYNC_S2101', 'PSYNC_S2105']);
    expect(calls).toBe(3);
    badThenGood.stop();
  });

  it("the fleet's watchdog drops a silent stream as a timeout and resumes", async () => {
    const fleet = new Fleet({
      endpoint,
      auth: { key: KEY, audience: 'syncscale' },
      sink,
      transport: 'websocket',
      tags: { test: 'silent' },
      idleTimeoutMs: 1000, // the service sends nothing for 20 s on an idle RSocket stream
      backoff: { baseMs: 50, capMs: 100 },
    });
    try {
      const [client] = fleet.add(1);
      await until(() => client!.synced, 'first sync');
      const ops = client!.stats().opsReceived;
      await until(() => client!.stats().connects >= 2 && client!.synced, 'a watchdog reconnect', 10_000);
      expect(errors('silent')[0]).toBe('timeout');
      expect(client!.stats().opsReceived).toBe(ops);
      expect(fleet.remove(1, 'oldest')).toBe(1);
      expect(client!.status).toBe('stopped');
    } finally {
      fleet.stopAll();
    }
  });

  it('stopAll leaves no socket or timer behind', async () => {
    // Only the fleet's own handles: the service shares this process and keeps its own.
    const handles = trackOwnedHandles();
    try {
      const fleet = handles.run(
        () =>
          new Fleet({
            endpoint,
            auth: { key: KEY, audience: 'syncscale' },
            sink,
            tags: { test: 'stop-all' },
            backoff: { baseMs: 5_000 },
          }),
      );
      handles.run(() => {
        fleet.add(1, { transport: 'websocket' });
        fleet.add(1, { transport: 'http-bson' });
        fleet.add(2); // the third HTTP stream is over the limit of 2: backing off with a retry timer
      });
      await until(
        () => fleet.snapshot().synced === 3 && fleet.snapshot().backoff === 1,
        'streams and a retry',
      );
      expect(handles.live().TCPWRAP ?? 0).toBeGreaterThanOrEqual(3);
      expect(handles.live().Timeout ?? 0).toBeGreaterThanOrEqual(1); // the retry timer
      fleet.stopAll();
      await until(
        () => Object.keys(handles.live()).length === 0,
        'every socket and timer of the fleet gone',
        10_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; still live: ${JSON.stringify(handles.live())}`);
      });
    } finally {
      handles.stop();
    }
  });

  it('classifies a refused connection as a network error', async () => {
    const closed = SimulatedClient.create({
      endpoint: 'http://127.0.0.1:1',
      userId: 'u1',
      sink,
      tags: { test: 'refused' },
      auth: { key: KEY, audience: 'syncscale' },
      backoff: { baseMs: 10_000 },
    });
    closed.start();
    await until(() => errors('refused').length === 1, 'the refusal');
    expect(errors('refused')).toEqual(['network']);
    expect(closed.status).toBe('backoff');
    closed.stop();
    expect(closed.status).toBe('stopped');
  });
});
