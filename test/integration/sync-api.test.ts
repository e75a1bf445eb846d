/* eslint-disable @typescript-eslint/no-explicit-any -- protocol lines are inspected loosely */
import http from 'node:http';
import zlib from 'node:zlib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { BSON } from 'bson';
import {
  BsonStreamDecoder,
  decodeFrame,
  encodeKeepalive,
  encodeRequestN,
  encodeRequestStream,
  encodeSetup,
  FrameType,
  mintToken,
  NdjsonDecoder,
  RSocketErrorCode,
  type PayloadFrame,
  type RSocketFrame,
} from '../../src/protocol/index.js';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { silentLogger } from '../../src/service/logging/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import { createStoragePool, migrate } from '../../src/service/storage/index.js';
import {
  createReplicationDatabases,
  serviceConfigYaml,
  waitForReplication,
} from '../support/replication-fixture.js';

const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };
const token = (sub: string) => mintToken({ key: KEY, sub, audience: 'syncscale' });

/** Collects a raw HTTP response body as it streams. */
function post(port: number, headers: Record<string, string>, body: string) {
  const chunks: Buffer[] = [];
  let response: http.IncomingMessage | undefined;
  const req = http.request({ host: '127.0.0.1', port, path: '/sync/stream', method: 'POST', headers });
  const opened = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      response = res;
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => undefined);
      resolve(res);
    });
  });
  req.end(body);
  return {
    opened,
    chunks,
    close: () => req.destroy(),
    get response() {
      return response;
    },
  };
}

async function until<T>(read: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A raw RSocket-over-WebSocket client recording every frame. */
async function rsocket(port: number, options: { lifetimeMs?: number; token?: string; initialN?: number }) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/sync/stream`);
  const frames: RSocketFrame[] = [];
  let closed = false;
  ws.on('message', (data: Buffer) => frames.push(decodeFrame(data)));
  ws.on('close', () => (closed = true));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.send(
    encodeSetup({
      keepaliveMs: 20_000,
      lifetimeMs: options.lifetimeMs ?? 30_000,
      metadataMime: 'application/bson',
      dataMime: 'application/bson',
      metadata: BSON.serialize(options.token ? { token: `Token ${options.token}` } : {}),
    }),
  );
  ws.send(
    encodeRequestStream({
      streamId: 1,
      initialN: options.initialN ?? 10,
      metadata: BSON.serialize({ path: '/sync/stream' }),
      data: BSON.serialize({ raw_data: true }),
    }),
  );
  return {
    ws,
    frames,
    get closed() {
      return closed;
    },
    payloads: () => frames.filter((f): f is PayloadFrame => f.type === FrameType.PAYLOAD && f.next),
  };
}

describe('sync API of the reference service', () => {
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let service: RunningService;
  let storage: pg.Pool;

  beforeAll(async () => {
    db = await createReplicationDatabases('api');
    await db.source.query(`INSERT INTO lists VALUES ('l1', 'One'), ('l2', 'Two');
      INSERT INTO todos (id, owner_id, title) VALUES ('t1', 'u1', 'x')`);
    const yaml = serviceConfigYaml(db.sourceUrl, db.storageUrl).replace(
      'port: 0',
      'port: 0\ntelemetry: { prometheus_port: 0, disable_telemetry_sharing: true }\napi:\n  parameters:\n    max_concurrent_connections: 2',
    );
    service = await startService('unified', parseServiceConfig(yaml), { log: silentLogger, env: {} });
    storage = new pg.Pool({ connectionString: db.storageUrl, max: 1 });
    await waitForReplication(db.source, storage);
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await storage?.end();
    await db?.drop();
  });

  it('serves the concatenated BSON stream when the client prefers it', async () => {
    const stream = post(
      service.port!,
      {
        'Content-Type': 'application/json',
        Authorization: `Bearer ${await token('u1')}`,
        Accept: 'application/vnd.powersync.bson-stream;q=0.9,application/x-ndjson;q=0.8',
      },
      '{}',
    );
    const res = await stream.opened;
    expect(res.headers['content-type']).toBe('application/vnd.powersync.bson-stream');
    const decoder = new BsonStreamDecoder<Record<string, any>>();
    const lines: Record<string, any>[] = [];
    await until(() => {
      for (const chunk of stream.chunks.splice(0)) lines.push(...decoder.push(chunk));
      return lines.find((l) => l.checkpoint_complete);
    });
    stream.close();
    expect(Object.keys(lines[0]!)).toEqual(['checkpoint']);
    const put = lines.find((l) => l.data)!.data.data[0];
    // BSON lines always carry PUT data as a JSON string.
    expect(typeof put.data).toBe('string');
  });

  it('gzips the stream when the client accepts it', async () => {
    const stream = post(
      service.port!,
      {
        'Content-Type': 'application/json',
        Authorization: `Token ${await token('u1')}`,
        'Accept-Encoding': 'gzip',
      },
      '{"raw_data":true}',
    );
    const res = await stream.opened;
    expect(res.headers['content-encoding']).toBe('gzip');
    const gunzip = zlib.createGunzip();
    const decoder = new NdjsonDecoder<Record<string, any>>();
    const lines: Record<string, any>[] = [];
    gunzip.on('data', (chunk: Buffer) => lines.push(...decoder.push(chunk)));
    res.pipe(gunzip);
    await until(() => lines.find((l) => l.checkpoint_complete));
    stream.close();
  });

  it('gzip arrives as one member per burst, which fetch (undici) decodes across later writes', async () => {
    const controller = new AbortController();
    const res = await fetch(`http://127.0.0.1:${service.port}/sync/stream`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Token ${await token('u1')}` },
      body: '{"raw_data":true}',
      signal: controller.signal,
    });
    expect(res.headers.get('content-encoding')).toBe('gzip');
    const decoder = new NdjsonDecoder<Record<string, any>>();
    const lines: Record<string, any>[] = [];
    const reading = (async () => {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        lines.push(...decoder.push(Buffer.from(chunk)));
    })().catch(() => undefined);
    await until(() => lines.find((l) => l.checkpoint_complete));
    const completes = () => lines.filter((l) => l.checkpoint_complete).length;
    const before = completes();
    await db.source.query("INSERT INTO todos (id, owner_id, title) VALUES ('t-gzip-member', 'u1', 'g')");
    await until(() =>
      lines.some((l) => JSON.stringify(l).includes('t-gzip-member')) && completes() > before
        ? true
        : undefined,
    );
    controller.abort();
    await reading;
  });

  it('exports powersync_* and process metrics on the Prometheus port', async () => {
    const stream = post(
      service.port!,
      { 'Content-Type': 'application/json', Authorization: `Token ${await token('u1')}` },
      '{"raw_data":true}',
    );
    await stream.opened;
    await until(() =>
      Buffer.concat(stream.chunks).toString().includes('checkpoint_complete') ? true : undefined,
    );
    const text = await (await fetch(`http://127.0.0.1:${service.metricsPort}/metrics`)).text();
    stream.close();
    expect(text).toMatch(/^powersync_concurrent_connections 1$/m);
    expect(text).toMatch(/^powersync_operations_synced_total [1-9]/m);
    expect(text).toMatch(/^powersync_data_synced_bytes_total [1-9]/m);
    expect(text).toMatch(/^powersync_replication_lag_seconds \d/m);
    expect(text).toMatch(/^powersync_operation_storage_size_bytes [1-9]/m);
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_p99_seconds /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
  });

  it('RSocket: a client granting 1 credit receives exactly 1 line until it grants more', async () => {
    const client = await rsocket(service.port!, { token: await token('u1'), initialN: 1 });
    try {
      await until(() => (client.payloads().length > 0 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(client.payloads()).toHaveLength(1);
      const first = BSON.deserialize(client.payloads()[0]!.data as Buffer);
      expect(Object.keys(first)).toEqual(['checkpoint']);
      client.ws.send(encodeRequestN(1, 2));
      await until(() => (client.payloads().length >= 3 ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(client.payloads()).toHaveLength(3);
    } finally {
      client.ws.close();
    }
  });

  it('RSocket: echoes keepalives and closes a connection whose keepalives stop', async () => {
    const client = await rsocket(service.port!, { token: await token('u1'), lifetimeMs: 600 });
    client.ws.send(encodeKeepalive({ respond: true }));
    await until(() => client.frames.find((f) => f.type === FrameType.KEEPALIVE));
    await until(() => (client.closed ? true : undefined), 5_000);
  });

  it('RSocket: rejects a missing token at SETUP with REJECTED_SETUP PSYNC_S2106', async () => {
    const client = await rsocket(service.port!, {});
    const error = await until(() => client.frames.find((f) => f.type === FrameType.ERROR));
    expect(error).toMatchObject({ streamId: 0, code: RSocketErrorCode.REJECTED_SETUP });
    expect((error as { message: string }).message).toContain('[PSYNC_S2106]');
  });

  it('RSocket: rejects connections beyond the limit with PSYNC_S2304', async () => {
    const open = [
      await rsocket(service.port!, { token: await token('u1') }),
      await rsocket(service.port!, { token: await token('u1') }),
    ];
    try {
      await until(() => (open.every((c) => c.payloads().length > 0) ? true : undefined));
      const over = await rsocket(service.port!, { token: await token('u1') });
      const error = await until(() => over.frames.find((f) => f.type === FrameType.ERROR));
      expect(error).toMatchObject({ code: RSocketErrorCode.REJECTED_SETUP });
      expect((error as { message: string }).message).toContain('[PSYNC_S2304]');
    } finally {
      for (const c of open) c.ws.close();
    }
  });

  it('answers 500 PSYNC_S2302 while no sync config is active', async () => {
    const other = await createReplicationDatabases('api_inactive');
    const pool = createStoragePool(other.storageUrl, 1);
    await migrate(pool, 'up');
    await pool.end();
    const api = await startService(
      'api',
      parseServiceConfig(serviceConfigYaml(other.sourceUrl, other.storageUrl)),
      {
        log: silentLogger,
        env: {},
      },
    );
    try {
      const res = await fetch(`http://127.0.0.1:${api.port}/sync/stream`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Token ${await token('u1')}` },
        body: '{}',
      });
      expect(res.status).toBe(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PSYNC_S2302');
      const live = await fetch(`http://127.0.0.1:${api.port}/probes/liveness`);
      expect(live.status).toBe(200);
    } finally {
      await api.stop();
      await other.drop();
    }
  });
});
