/* eslint-disable @typescript-eslint/no-explicit-any -- error bodies and frames are inspected loosely */
import http from 'node:http';
import net from 'node:net';
import { BSON } from 'bson';
import * as jose from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Fleet } from '../../src/fleet/index.js';
import type { Sample } from '../../src/metrics/index.js';
import {
  decodeFrame,
  encodeCancel,
  encodeRequestStream,
  encodeSetup,
  FrameType,
  mintToken,
  RSocketErrorCode,
  type RSocketFrame,
} from '../../src/protocol/index.js';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { silentLogger } from '../../src/service/logging/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import {
  createReplicationDatabases,
  serviceConfigYaml,
  waitForReplication,
} from '../support/replication-fixture.js';
import { until } from '../support/until.js';

/**
 * Hostile input while 100 honest clients stay connected (issue 15): every hostile request gets its
 * documented answer (docs/errors.md), and afterwards every honest stream is still the one it opened,
 * never failed a checksum, still receives changes, and the data is what the honest writes made it.
 */
const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };
const WRONG_KEY = { k: 'b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldC1vdGhlcg', kid: 'test' };
const HONEST = 100;

const token = (sub: string, extra: Partial<Parameters<typeof mintToken>[0]> = {}) =>
  mintToken({ key: KEY, sub, audience: 'syncscale', ...extra });

interface Answer {
  status: number;
  body: string;
  json: any;
}

/** One HTTP request; the whole answer (a sync stream is cut once its first bytes arrive). */
function request(
  port: number,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: options.method ?? 'POST',
      path: options.path ?? '/sync/stream',
      headers: options.headers,
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        if (res.statusCode === 200 && options.path !== '/write-checkpoint2.json') req.destroy();
      });
      const done = () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body, json });
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', () => undefined);
    });
    req.end(options.body);
  });
}

const stream = (port: number, authorization: string | undefined, body = '{}') =>
  request(port, {
    headers: {
      'Content-Type': 'application/json',
      ...(authorization !== undefined ? { Authorization: authorization } : {}),
    },
    body,
  });

/** A raw RSocket-over-WebSocket connection that records every frame and how it closed. */
async function rawSocket(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/sync/stream`);
  const frames: RSocketFrame[] = [];
  let closeCode: number | undefined;
  ws.on('message', (data: Buffer) => frames.push(decodeFrame(data)));
  ws.on('close', (code) => (closeCode = code));
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    get closeCode() {
      return closeCode;
    },
    errors: () =>
      frames.filter((f) => f.type === FrameType.ERROR) as Array<
        RSocketFrame & { code: number; message: string }
      >,
    payloads: () => frames.filter((f) => f.type === FrameType.PAYLOAD),
  };
}

async function setup(ws: WebSocket, tokenValue: string | undefined): Promise<void> {
  ws.send(
    encodeSetup({
      keepaliveMs: 20_000,
      lifetimeMs: 60_000,
      metadataMime: 'application/bson',
      dataMime: 'application/bson',
      metadata: BSON.serialize(tokenValue ? { token: `Token ${tokenValue}` } : {}),
    }),
  );
}

function requestStream(ws: WebSocket, streamId: number, initialN: number, data = BSON.serialize({})): void {
  ws.send(
    encodeRequestStream({ streamId, initialN, metadata: BSON.serialize({ path: '/sync/stream' }), data }),
  );
}

/** A REQUEST_N frame with any 32-bit value (the encoder refuses 0 and 2^31, as a client should). */
function rawRequestN(streamId: number, n: number): Buffer {
  const frame = Buffer.alloc(10);
  frame.writeUInt32BE(streamId, 0);
  frame.writeUInt16BE(FrameType.REQUEST_N << 10, 4);
  frame.writeUInt32BE(n >>> 0, 6);
  return frame;
}

describe('hostile input against a running service with 100 honest clients', () => {
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let service: RunningService;
  let storage: pg.Pool;
  let port: number;
  let honest: Fleet;
  const samples: Sample[] = [];

  async function snapshotData() {
    const counts = await db.source.query<{ lists: number; todos: number; users: number }>(
      `SELECT (SELECT count(*) FROM lists)::int AS lists, (SELECT count(*) FROM todos)::int AS todos,
              (SELECT count(*) FROM users)::int AS users`,
    );
    const ops = await storage.query<{ n: number }>('SELECT count(*)::int AS n FROM powersync.bucket_data');
    return { ...counts.rows[0]!, ops: ops.rows[0]!.n };
  }

  /** Every honest client is on the stream it first opened and has never seen an error. */
  function expectHonestUndisturbed(): void {
    const disturbed = [...honest.list()]
      .map((client) => ({ user: client.userId, ...client.stats() }))
      .filter(
        (s) => s.connects !== 1 || s.errors !== 0 || s.checksumFailures !== 0 || s.status !== 'streaming',
      );
    expect(disturbed).toEqual([]);
  }

  beforeAll(async () => {
    db = await createReplicationDatabases('hostile');
    const values = Array.from({ length: HONEST }, (_, i) => `('t${i}', 'honest-${i}', 'task')`).join(',');
    await db.source.query(
      `INSERT INTO lists VALUES ('l1', 'one'); INSERT INTO todos (id, owner_id, title) VALUES ${values}`,
    );
    const yaml = serviceConfigYaml(db.sourceUrl, db.storageUrl).replace(
      'port: 0',
      'port: 0\napi:\n  parameters:\n    max_concurrent_connections: 1000',
    );
    service = await startService('unified', parseServiceConfig(yaml), { log: silentLogger, env: {} });
    port = service.port!;
    storage = new pg.Pool({ connectionString: db.storageUrl, max: 2 });
    await waitForReplication(db.source, storage);
    await until(
      async () => (await stream(port, `Bearer ${await token('probe')}`)).status === 200,
      'streams served',
    );
    honest = new Fleet({
      endpoint: `http://127.0.0.1:${port}`,
      auth: { key: KEY, audience: 'syncscale' },
      sink: { add: (s: Sample) => samples.push(s) },
      userId: (i) => `honest-${i}`,
      maxConcurrentConnects: 20,
      backoff: { baseMs: 60_000 }, // a disturbed client stays visibly disturbed
    });
    honest.add(HONEST / 2, { transport: 'http-ndjson' });
    honest.add(HONEST / 4, { transport: 'http-bson' });
    honest.add(HONEST / 4, { transport: 'websocket' });
    await until(() => honest.snapshot().synced === HONEST, 'every honest client synced', 60_000);
  }, 120_000);

  afterAll(async () => {
    honest?.stopAll();
    await service?.stop();
    await storage?.end();
    await db?.drop();
  });

  describe('JWTs over HTTP and RSocket', () => {
    const unsigned = () =>
      new jose.UnsecuredJWT({ sub: 'mallory', aud: 'syncscale' })
        .setIssuedAt()
        .setExpirationTime('5m')
        .encode();
    const cases: Array<[string, () => Promise<string>, string]> = [
      ['alg: none', async () => unsigned(), 'PSYNC_S2101'],
      [
        'a key the service does not hold',
        () => mintToken({ key: WRONG_KEY, sub: 'mallory', audience: 'syncscale' }),
        'PSYNC_S2101',
      ],
      [
        'expired',
        () => token('mallory', { nowSeconds: Date.now() / 1000 - 3600, lifetimeSeconds: 60 }),
        'PSYNC_S2103',
      ],
      [
        'a wrong audience',
        () => mintToken({ key: KEY, sub: 'mallory', audience: 'someone-else' }),
        'PSYNC_S2105',
      ],
      ['no sub', () => token(undefined as unknown as string), 'PSYNC_S2101'],
      ['garbage', async () => 'not.a.jwt', 'PSYNC_S2101'],
    ];
    for (const [name, make, code] of cases) {
      it(`${name}: HTTP 401 ${code}, RSocket REJECTED_SETUP ${code}`, async () => {
        const jwt = await make();
        const answer = await stream(port, `Bearer ${jwt}`);
        expect(answer.status).toBe(401);
        expect(answer.json?.error?.code).toBe(code);
        const socket = await rawSocket(port);
        await setup(socket.ws, jwt);
        await until(() => socket.closeCode !== undefined, 'the socket closed');
        expect(socket.errors()[0]?.code).toBe(RSocketErrorCode.REJECTED_SETUP);
        expect(socket.errors()[0]?.message).toContain(code);
        expectHonestUndisturbed();
      });
    }

    it('no Authorization header: 401 PSYNC_S2106; a malformed one too', async () => {
      expect((await stream(port, undefined)).json?.error?.code).toBe('PSYNC_S2106');
      expect((await stream(port, 'Basic dXNlcjpwYXNz')).json?.error?.code).toBe('PSYNC_S2106');
      expectHonestUndisturbed();
    });
  });

  describe('oversized and malformed HTTP requests', () => {
    it('a 2 MiB body: 400 PSYNC_S2001 "larger than 1 MiB"', async () => {
      const answer = await stream(
        port,
        `Bearer ${await token('mallory')}`,
        `{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`,
      );
      expect(answer.status).toBe(400);
      expect(answer.json.error.code).toBe('PSYNC_S2001');
      expect(answer.json.error.details).toContain('larger than 1 MiB');
      expectHonestUndisturbed();
    });

    it('a 64 KiB header: 431 before any handler runs', async () => {
      const answer = await request(port, { headers: { 'X-Big': 'a'.repeat(64 * 1024) }, body: '{}' }).catch(
        (error: Error) => ({ status: -1, body: error.message, json: undefined }),
      );
      expect(answer.status).toBe(431);
      expectHonestUndisturbed();
    });

    it('malformed JSON (400 FST_ERR_CTP_INVALID_JSON_BODY, as the real service) and wrongly typed fields (400 PSYNC_S2001 naming the problem)', async () => {
      const auth = `Bearer ${await token('mallory')}`;
      const broken = await stream(port, auth, '{"buckets": [');
      expect(broken.status).toBe(400);
      expect(broken.json.error.code).toBe('FST_ERR_CTP_INVALID_JSON_BODY');
      expect(broken.json.error.name).toBe('FastifyError');
      expect(broken.json.error.details).toContain('not valid JSON');
      const typed = await stream(port, auth, '{"buckets":[{"name":1,"after":"x"}],"raw_data":"yes"}');
      expect(typed.status).toBe(400);
      expect(typed.json.error.details).toContain('buckets[0].name');
      expect(typed.json.error.details).toContain('raw_data');
      const array = await stream(port, auth, '[1,2,3]');
      expect(array.status).toBe(400);
      const deep = await stream(port, auth, `${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      expect(deep.status).toBe(400);
      expectHonestUndisturbed();
    });

    it('unknown routes and methods: 404 PSYNC_S2002', async () => {
      const answer = await request(port, { method: 'DELETE', path: '/sync/stream' });
      expect(answer.status).toBe(404);
      expect(answer.json.error.code).toBe('PSYNC_S2002');
      expectHonestUndisturbed();
    });
  });

  describe('SQL metacharacters in user ids, parameters and bucket names', () => {
    it('are values, never SQL: the stream serves them as strings and every table is intact', async () => {
      const before = await snapshotData();
      const evil = `x'); DROP TABLE todos; --`;
      const answer = await stream(
        port,
        `Bearer ${await token(evil)}`,
        JSON.stringify({
          parameters: { org: '1 OR 1=1; DELETE FROM users; --' },
          buckets: [{ name: `by_user["'; TRUNCATE powersync.bucket_data; --"]`, after: '0' }],
        }),
      );
      expect(answer.status).toBe(200);
      expect(answer.body).toContain('DROP TABLE todos'); // the user's own bucket, named by the evil id
      const socket = await rawSocket(port);
      await setup(socket.ws, await token(`'; DELETE FROM powersync.checkpoints; --`));
      requestStream(socket.ws, 1, 10, BSON.serialize({ parameters: { x: "' OR '1'='1" } }));
      await until(() => socket.payloads().length > 0, 'the evil RSocket stream to be served');
      socket.ws.close();
      expect(await snapshotData()).toEqual(before);
      expectHonestUndisturbed();
    });
  });

  describe('RSocket frames', () => {
    it('random bytes as the first frame: UNSUPPORTED_SETUP, then closed', async () => {
      const socket = await rawSocket(port);
      socket.ws.send(Buffer.from('this is not an rsocket frame'));
      await until(() => socket.closeCode !== undefined, 'closed');
      expect(socket.errors()[0]?.code).toBe(RSocketErrorCode.UNSUPPORTED_SETUP);
      expectHonestUndisturbed();
    });

    it('a truncated SETUP: INVALID_SETUP; a truncated frame after SETUP: CONNECTION_ERROR', async () => {
      const first = await rawSocket(port);
      const full = encodeSetup({
        keepaliveMs: 20_000,
        lifetimeMs: 60_000,
        metadataMime: 'application/bson',
        dataMime: 'application/bson',
      });
      first.ws.send(full.subarray(0, 12));
      await until(() => first.closeCode !== undefined, 'closed');
      expect(first.errors()[0]?.code).toBe(RSocketErrorCode.INVALID_SETUP);

      const second = await rawSocket(port);
      await setup(second.ws, await token('mallory'));
      second.ws.send(Buffer.from([0, 0, 0, 1, 0x18])); // REQUEST_STREAM cut inside its header
      await until(() => second.closeCode !== undefined, 'closed');
      expect(second.errors().at(-1)?.code).toBe(RSocketErrorCode.CONNECTION_ERROR);
      expectHonestUndisturbed();
    });

    it('a 17 MiB frame: the WebSocket closes with 1009 (message too big) before it is buffered', async () => {
      const socket = await rawSocket(port);
      await setup(socket.ws, await token('mallory'));
      socket.ws.send(Buffer.alloc(17 * 1024 * 1024));
      await until(() => socket.closeCode !== undefined, 'closed');
      expect(socket.closeCode).toBe(1009);
      expectHonestUndisturbed();
    });

    it('REQUEST_N of 0 and of 2^31 add no credit; 2^31-1 is unbounded; frames after CANCEL are ignored', async () => {
      const socket = await rawSocket(port);
      await setup(socket.ws, await token('honest-0'));
      requestStream(socket.ws, 1, 1);
      await until(() => socket.payloads().length === 1, 'one payload');
      socket.ws.send(rawRequestN(1, 0));
      socket.ws.send(rawRequestN(1, 2 ** 31)); // the reserved top bit is masked: 0
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(socket.payloads()).toHaveLength(1);
      expect(socket.closeCode).toBeUndefined();
      socket.ws.send(rawRequestN(1, 2 ** 31 - 1));
      await until(() => socket.payloads().length >= 3, 'the rest of the first checkpoint');
      socket.ws.send(encodeCancel(1));
      socket.ws.send(rawRequestN(1, 5));
      socket.ws.send(encodeCancel(1));
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(socket.errors()).toEqual([]);
      expect(socket.closeCode).toBeUndefined();
      socket.ws.close();
      expectHonestUndisturbed();
    });

    it('a malformed BSON request: APPLICATION_ERROR on that stream, the connection stays', async () => {
      const socket = await rawSocket(port);
      await setup(socket.ws, await token('mallory'));
      requestStream(socket.ws, 1, 10, Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]));
      await until(() => socket.errors().length === 1, 'the stream error');
      expect(socket.errors()[0]).toMatchObject({ streamId: 1, code: RSocketErrorCode.APPLICATION_ERROR });
      requestStream(socket.ws, 3, 10);
      await until(() => socket.payloads().length > 0, 'a good stream on the same connection');
      socket.ws.close();
      expectHonestUndisturbed();
    });
  });

  describe('floods and slow clients', () => {
    it('10,000 write-checkpoint requests as fast as 64 sockets can send them: every one answered', async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
      const auth = `Bearer ${await token('flooder')}`;
      const statuses = new Map<number, number>();
      let next = 0;
      const started = performance.now();
      const worker = async () => {
        while (next < 10_000) {
          next++;
          const status = await new Promise<number>((resolve) => {
            const req = http.get(
              {
                host: '127.0.0.1',
                port,
                path: '/write-checkpoint2.json?client_id=c',
                agent,
                headers: { Authorization: auth },
              },
              (res) => {
                res.resume();
                res.on('end', () => resolve(res.statusCode ?? 0));
              },
            );
            req.on('error', () => resolve(-1));
          });
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 64 }, worker));
      const seconds = (performance.now() - started) / 1000;
      agent.destroy();
      expect(Object.fromEntries(statuses)).toEqual({ 200: 10_000 });
      console.log(
        `write-checkpoint flood: 10,000 answered in ${seconds.toFixed(1)} s (${(10_000 / seconds).toFixed(0)}/s)`,
      );
      expectHonestUndisturbed();
    }, 120_000);

    it('200 slowloris connections neither block new streams nor count against the limit', async () => {
      const sockets: net.Socket[] = [];
      for (let i = 0; i < 200; i++) {
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        socket.write('POST /sync/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
        sockets.push(socket);
      }
      const drip = setInterval(() => sockets.forEach((s) => s.write('a')), 200);
      try {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const answer = await stream(port, `Bearer ${await token('late-honest')}`);
        expect(answer.status).toBe(200);
        expect(answer.body).toContain('checkpoint');
      } finally {
        clearInterval(drip);
        sockets.forEach((s) => s.destroy());
      }
      expectHonestUndisturbed();
    });
  });

  it('afterwards: every honest client is on its first stream, receives a new change, and the data adds up', async () => {
    const before = await snapshotData();
    const received = [...honest.list()].map((c) => c.stats().opsReceived);
    const values = Array.from({ length: HONEST }, (_, i) => `('after${i}', 'honest-${i}', 'after')`).join(
      ',',
    );
    await db.source.query(`INSERT INTO todos (id, owner_id, title) VALUES ${values}`);
    await until(
      () => [...honest.list()].every((client, i) => client.stats().opsReceived > received[i]!),
      'every honest client to receive its new row',
    );
    expectHonestUndisturbed();
    const after = await snapshotData();
    expect(after.todos).toBe(before.todos + HONEST);
    expect(after.lists).toBe(1);
    expect(samples.filter((s) => s.metric === 'checksum_failures' && s.value > 0)).toEqual([]);
  });
});
