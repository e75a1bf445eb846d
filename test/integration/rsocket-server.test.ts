import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { deserialize, serialize } from 'bson';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ServiceError } from '../../src/errors/index.js';
import {
  decodeFrame,
  encodeCancel,
  encodeKeepalive,
  encodeRequestN,
  encodeRequestStream,
  encodeSetup,
  FrameType,
  RSocketErrorCode,
  type RSocketFrame,
  type SetupOptions,
} from '../../src/protocol/index.js';
import {
  handleRSocketConnection,
  type RSocketConnectionOptions,
} from '../../src/service/api/rsocket/index.js';
import type {
  SyncStreamContext,
  SyncStreamRunner,
  VerifiedToken,
} from '../../src/service/api/sync/stream-types.js';

const bson = (document: object): Buffer => Buffer.from(serialize(document));

/** A real `ws` client that decodes every inbound message as one RSocket frame. */
class RSocketTestClient {
  readonly frames: RSocketFrame[] = [];
  readonly closed: Promise<number>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.frames.push(decodeFrame(data)));
    this.closed = new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));
  }

  static async open(url: string): Promise<RSocketTestClient> {
    const ws = new WebSocket(url);
    await once(ws, 'open');
    return new RSocketTestClient(ws);
  }

  send(...frames: Buffer[]): void {
    for (const frame of frames) this.ws.send(frame);
  }

  /** The next inbound frame (waits up to 3 s). */
  async next(): Promise<RSocketFrame> {
    await vi.waitFor(() => expect(this.frames.length).toBeGreaterThan(0), { timeout: 3000, interval: 5 });
    return this.frames.shift()!;
  }

  /** Asserts nothing else arrives within `ms`. */
  async expectSilence(ms = 150): Promise<void> {
    await sleep(ms);
    expect(this.frames).toEqual([]);
  }
}

function setupFrame(token: string | undefined, overrides: Partial<SetupOptions> = {}): Buffer {
  return encodeSetup({
    keepaliveMs: 20_000,
    lifetimeMs: 30_000,
    metadataMime: 'application/bson',
    dataMime: 'application/bson',
    metadata: bson(token === undefined ? { user_agent: 'test/1' } : { token, user_agent: 'test/1' }),
    ...overrides,
  });
}

function requestStream(streamId: number, initialN: number, path = '/sync/stream', data: object = {}): Buffer {
  const body = { buckets: [{ name: 'b', after: '0' }], raw_data: true, client_id: 'c1', ...data };
  return encodeRequestStream({ streamId, initialN, metadata: bson({ path }), data: bson(body) });
}

const TOKEN: VerifiedToken = { sub: 'user-1', iat: 1, exp: 2 ** 31, payload: { sub: 'user-1' } };

/** Fake verifier: "Token good" passes, "Token expired" fails, absent fails; answers after 20 ms. */
async function authenticate(token: string | undefined): Promise<VerifiedToken> {
  await sleep(20);
  if (token === undefined) throw new ServiceError('PSYNC_S2106', 'No token provided');
  if (token === 'Token expired') throw new ServiceError('PSYNC_S2103');
  if (token === 'Token good' || token === 'Bearer good') return TOKEN;
  throw new ServiceError('PSYNC_S2101');
}

/** Writes `count` lines `{token_expires_in: i}` then resolves. */
function writeLines(count: number): SyncStreamRunner {
  return async ({ sink }) => {
    for (let i = 0; i < count; i++) await sink.write({ token_expires_in: i });
  };
}

/** Writes one line, then waits until the stream is aborted. */
const untilAborted: SyncStreamRunner = async ({ sink, signal }) => {
  await sink.write({ checkpoint_complete: { last_op_id: '1' } });
  if (!signal.aborted) await once(signal, 'abort');
};

interface Harness {
  url: string;
  shutdown: AbortController;
  contexts: SyncStreamContext[];
  tokens: Array<string | undefined>;
  opened: number;
  closed: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startServer(options: Partial<RSocketConnectionOptions> = {}): Promise<Harness> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const shutdown = new AbortController();
  const { port } = server.address() as AddressInfo;
  const harness: Harness = {
    url: `ws://127.0.0.1:${port}/sync/stream`,
    shutdown,
    contexts: [],
    tokens: [],
    opened: 0,
    closed: 0,
  };
  const runStream = options.runStream ?? writeLines(3);
  server.on('connection', (ws) =>
    handleRSocketConnection(ws, {
      admit: () => true,
      ...options,
      authenticate: (token) => {
        harness.tokens.push(token);
        return (options.authenticate ?? authenticate)(token);
      },
      runStream: (context) => {
        harness.contexts.push(context);
        return runStream(context);
      },
      onStreamOpen: () => harness.opened++,
      onStreamClose: () => harness.closed++,
      shutdownSignal: shutdown.signal,
    }),
  );
  cleanups.push(async () => {
    shutdown.abort();
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  });
  return harness;
}

async function connect(harness: Harness): Promise<RSocketTestClient> {
  const client = await RSocketTestClient.open(harness.url);
  cleanups.push(() => client.ws.terminate());
  return client;
}

function expectPayload(frame: RSocketFrame, streamId: number): unknown {
  expect(frame).toMatchObject({ type: FrameType.PAYLOAD, streamId, next: true, complete: false });
  expect(frame.type === FrameType.PAYLOAD && frame.metadata).toBeUndefined();
  return deserialize((frame as { data: Buffer }).data);
}

function expectComplete(frame: RSocketFrame, streamId: number): void {
  expect(frame).toMatchObject({ type: FrameType.PAYLOAD, streamId, next: false, complete: true });
  expect((frame as { data: Buffer }).data.length).toBe(0);
}

describe('RSocket over WebSocket server (protocol.md §1.9)', () => {
  it('serves SETUP + REQUEST_STREAM sent back to back: BSON payloads then COMPLETE', async () => {
    const harness = await startServer({ runStream: writeLines(3) });
    const client = await connect(harness);
    client.send(setupFrame('Token good'), requestStream(1, 10));
    for (let i = 0; i < 3; i++)
      expect(expectPayload(await client.next(), 1)).toEqual({ token_expires_in: i });
    expectComplete(await client.next(), 1);
    await client.expectSilence(50);
    expect(harness.tokens).toEqual(['Token good']);
    const [context] = harness.contexts;
    expect(context).toMatchObject({ token: TOKEN, transport: 'websocket' });
    expect(context!.request).toEqual({
      buckets: [{ name: 'b', after: '0' }],
      raw_data: true,
      client_id: 'c1',
    });
    await vi.waitFor(() => expect([harness.opened, harness.closed]).toEqual([1, 1]));
  });

  it('decodes metadata and data as JSON when SETUP says application/json', async () => {
    const harness = await startServer({ runStream: writeLines(1) });
    const client = await connect(harness);
    const json = (value: object): Buffer => Buffer.from(JSON.stringify(value));
    client.send(
      setupFrame(undefined, {
        metadataMime: 'application/json',
        dataMime: 'application/json',
        metadata: json({ token: 'Bearer good' }),
      }),
      encodeRequestStream({
        streamId: 1,
        initialN: 5,
        metadata: json({ path: '/sync/stream' }),
        data: json({ buckets: [], client_id: 'j' }),
      }),
    );
    expect(expectPayload(await client.next(), 1)).toEqual({ token_expires_in: 0 });
    expectComplete(await client.next(), 1);
    expect(harness.contexts[0]!.request).toEqual({ buckets: [], client_id: 'j' });
  });

  it('never sends without credit: 1 payload, then exactly 2 after REQUEST_N(2)', async () => {
    const harness = await startServer({ runStream: writeLines(5) });
    const client = await connect(harness);
    client.send(setupFrame('Token good'), requestStream(1, 1));
    expect(expectPayload(await client.next(), 1)).toEqual({ token_expires_in: 0 });
    await client.expectSilence();
    client.send(encodeRequestN(1, 2));
    expect(expectPayload(await client.next(), 1)).toEqual({ token_expires_in: 1 });
    expect(expectPayload(await client.next(), 1)).toEqual({ token_expires_in: 2 });
    await client.expectSilence();
    client.send(encodeRequestN(1, 10));
    expect(expectPayload(await client.next(), 1)).toEqual({ token_expires_in: 3 });
    expect(expectPayload(await client.next(), 1)).toEqual({ token_expires_in: 4 });
    expectComplete(await client.next(), 1);
  });

  it.each([
    ['Token expired', '[PSYNC_S2103] JWT has expired'],
    [undefined, '[PSYNC_S2106] No token provided'],
  ])('rejects SETUP with token %j: ERROR 0x3 on stream 0, then closes', async (token, message) => {
    const harness = await startServer();
    const client = await connect(harness);
    client.send(setupFrame(token), requestStream(1, 10));
    expect(await client.next()).toMatchObject({ type: FrameType.ERROR, streamId: 0, code: 0x3, message });
    await client.closed;
    expect(harness.contexts).toEqual([]);
  });

  it('rejects SETUP when admit() refuses: REJECTED_SETUP PSYNC_S2304, without authenticating', async () => {
    const harness = await startServer({ admit: () => false });
    const client = await connect(harness);
    client.send(setupFrame('Token good'));
    expect(await client.next()).toMatchObject({
      type: FrameType.ERROR,
      streamId: 0,
      code: RSocketErrorCode.REJECTED_SETUP,
      message: '[PSYNC_S2304] Maximum active concurrent connections limit has been reached',
    });
    await client.closed;
    expect(harness.tokens).toEqual([]);
  });

  it('answers a non-SETUP first frame with UNSUPPORTED_SETUP and closes', async () => {
    const client = await connect(await startServer());
    client.send(requestStream(1, 10));
    expect(await client.next()).toMatchObject({ type: FrameType.ERROR, streamId: 0, code: 0x2 });
    await client.closed;
  });

  it.each([
    [{ metadataMime: 'text/plain' }, /^\[PSYNC_S2004\] .*text\/plain/],
    [{ dataMime: 'application/msgpack' }, /^\[PSYNC_S2004\] /],
    [{ lease: true }, /lease/i],
    [{ resumeToken: Buffer.from('r') }, /resume/i],
  ])('rejects SETUP %j with REJECTED_SETUP', async (overrides, message) => {
    const client = await connect(await startServer());
    client.send(setupFrame('Token good', overrides));
    const frame = await client.next();
    expect(frame).toMatchObject({
      type: FrameType.ERROR,
      streamId: 0,
      code: RSocketErrorCode.REJECTED_SETUP,
    });
    expect(frame.type === FrameType.ERROR && frame.message).toMatch(message);
    await client.closed;
  });

  it('answers an unknown path with APPLICATION_ERROR on that stream and keeps the connection', async () => {
    const harness = await startServer({ runStream: writeLines(1) });
    const client = await connect(harness);
    client.send(setupFrame('Token good'), requestStream(1, 10, '/nope'));
    const frame = await client.next();
    expect(frame).toMatchObject({ type: FrameType.ERROR, streamId: 1, code: 0x201 });
    expect(frame.type === FrameType.ERROR && frame.message).toMatch(
      /^\[PSYNC_S2002\] The path does not exist on this server/,
    );
    client.send(requestStream(3, 10));
    expectPayload(await client.next(), 3);
    expectComplete(await client.next(), 3);
    expect(harness.contexts).toHaveLength(1);
  });

  it('reports a request that fails validation as PSYNC_S2001 on the stream', async () => {
    const client = await connect(await startServer());
    client.send(setupFrame('Token good'), requestStream(1, 10, '/sync/stream', { buckets: 'all' }));
    const frame = await client.next();
    expect(frame).toMatchObject({ type: FrameType.ERROR, streamId: 1, code: 0x201 });
    expect(frame.type === FrameType.ERROR && frame.message).toMatch(/^\[PSYNC_S2001\] Validation failed/);
  });

  it('ends a stream whose runner throws with APPLICATION_ERROR and the error text', async () => {
    const warnings: string[] = [];
    const runStream: SyncStreamRunner = async ({ sink, request }) => {
      await sink.write({ token_expires_in: 1 });
      if (request.client_id === 'service') throw new ServiceError('PSYNC_S2302');
      throw new Error('boom');
    };
    const client = await connect(await startServer({ runStream, log: { warn: (m) => warnings.push(m) } }));
    client.send(setupFrame('Token good'), requestStream(1, 10, '/sync/stream', { client_id: 'service' }));
    expectPayload(await client.next(), 1);
    expect(await client.next()).toMatchObject({
      type: FrameType.ERROR,
      streamId: 1,
      code: RSocketErrorCode.APPLICATION_ERROR,
      message: '[PSYNC_S2302] No sync config available',
    });
    client.send(requestStream(3, 10));
    expectPayload(await client.next(), 3);
    expect(await client.next()).toMatchObject({
      type: FrameType.ERROR,
      streamId: 3,
      code: RSocketErrorCode.APPLICATION_ERROR,
      message: '[PSYNC_S2001] Something went wrong\n  boom',
    });
    expect(warnings).toEqual([expect.stringContaining('boom')]);
  });

  it('echoes KEEPALIVE with RESPOND without the flag and with the same data', async () => {
    const client = await connect(await startServer());
    client.send(setupFrame('Token good'), encodeKeepalive({ respond: true, data: Buffer.from('ka') }));
    expect(await client.next()).toMatchObject({
      type: FrameType.KEEPALIVE,
      streamId: 0,
      respond: false,
      data: Buffer.from('ka'),
    });
    client.send(encodeKeepalive({ respond: false }));
    await client.expectSilence(100);
  });

  it('closes the connection and aborts its streams when no KEEPALIVE arrives within the lifetime', async () => {
    const harness = await startServer({ runStream: untilAborted });
    const client = await connect(harness);
    const started = Date.now();
    client.send(setupFrame('Token good', { keepaliveMs: 100, lifetimeMs: 300 }), requestStream(1, 10));
    expectPayload(await client.next(), 1);
    expect(await client.next()).toMatchObject({
      type: FrameType.ERROR,
      streamId: 0,
      code: RSocketErrorCode.CONNECTION_ERROR,
    });
    await client.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(harness.contexts[0]!.signal.aborted).toBe(true);
    await vi.waitFor(() => expect(harness.closed).toBe(1));
  });

  it('keeps a connection alive while KEEPALIVEs arrive within the lifetime', async () => {
    const harness = await startServer({ runStream: untilAborted });
    const client = await connect(harness);
    client.send(setupFrame('Token good', { keepaliveMs: 100, lifetimeMs: 300 }), requestStream(1, 10));
    expectPayload(await client.next(), 1);
    for (let i = 0; i < 6; i++) {
      await sleep(100);
      client.send(encodeKeepalive({ respond: false }));
    }
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
    expect(harness.contexts[0]!.signal.aborted).toBe(false);
  });

  it('aborts a stream on CANCEL and sends nothing more on it', async () => {
    const harness = await startServer({ runStream: untilAborted });
    const client = await connect(harness);
    client.send(setupFrame('Token good'), requestStream(1, 10));
    expectPayload(await client.next(), 1);
    client.send(encodeCancel(1));
    await vi.waitFor(() => expect(harness.contexts[0]!.signal.aborted).toBe(true));
    await vi.waitFor(() => expect(harness.closed).toBe(1));
    await client.expectSilence(100);
    expect(client.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('aborts streams when the client closes the socket', async () => {
    const harness = await startServer({ runStream: untilAborted });
    const client = await connect(harness);
    client.send(setupFrame('Token good'), requestStream(1, 10));
    expectPayload(await client.next(), 1);
    client.ws.close();
    await vi.waitFor(() => expect(harness.contexts[0]!.signal.aborted).toBe(true));
  });

  it('runs two streams on one socket independently', async () => {
    const runStream: SyncStreamRunner = async ({ sink, request }) => {
      for (let i = 0; i < 3; i++) await sink.write({ data: { bucket: request.client_id, after: String(i) } });
    };
    const harness = await startServer({ runStream });
    const client = await connect(harness);
    client.send(
      setupFrame('Token good'),
      requestStream(1, 2, '/sync/stream', { client_id: 'one' }),
      requestStream(3, 10, '/sync/stream', { client_id: 'three' }),
    );
    const byStream = new Map<number, RSocketFrame[]>([
      [1, []],
      [3, []],
    ]);
    for (let i = 0; i < 6; i++) {
      const frame = await client.next();
      byStream.get(frame.streamId)!.push(frame);
    }
    expect(byStream.get(1)).toHaveLength(2); // stream 1 has credit for 2 only
    expect(byStream.get(3)!.map((frame) => frame.type === FrameType.PAYLOAD && frame.complete)).toEqual([
      false,
      false,
      false,
      true,
    ]);
    client.send(encodeRequestN(1, 1));
    expect(expectPayload(await client.next(), 1)).toEqual({ data: { bucket: 'one', after: '2' } });
    expectComplete(await client.next(), 1);
    await vi.waitFor(() => expect([harness.opened, harness.closed]).toEqual([2, 2]));
  });

  it('stops writing while the socket is backed up and resumes when it drains', async () => {
    const lines = 400;
    const filler = randomBytes(48 * 1024).toString('base64'); // 64 KiB, incompressible
    let written = 0;
    const runStream: SyncStreamRunner = async ({ sink }) => {
      for (let i = 0; i < lines; i++) {
        await sink.write({ data: { bucket: 'b', after: String(i), filler } });
        written++;
      }
    };
    const client = await connect(await startServer({ runStream }));
    client.ws.pause();
    client.send(setupFrame('Token good'), requestStream(1, lines));
    await sleep(400);
    expect(written).toBeGreaterThan(0);
    expect(written).toBeLessThan(lines / 2); // blocked on the socket, not on credit
    client.ws.resume();
    await vi.waitFor(() => expect(client.frames).toHaveLength(lines + 1), { timeout: 10_000 });
    expectComplete(client.frames[lines]!, 1);
    expect(written).toBe(lines);
  });

  it('on shutdown aborts every stream, lets the runner end it, then closes the socket', async () => {
    const harness = await startServer({ runStream: untilAborted });
    const client = await connect(harness);
    client.send(setupFrame('Token good'), requestStream(1, 10), requestStream(3, 10));
    expectPayload(await client.next(), 1);
    expectPayload(await client.next(), 3);
    harness.shutdown.abort();
    expectComplete(await client.next(), 1);
    expectComplete(await client.next(), 3);
    expect(await client.closed).toBe(1001);
    expect(harness.contexts[0]!.signal.reason).toMatchObject({ code: 'PSYNC_S2003' });
  });
});
