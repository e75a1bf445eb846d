import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/errors/index.js';
import { createApiServer } from '../../src/service/api/http/api-server.js';
import { silentLogger } from '../../src/service/logging/index.js';
import { Probes } from '../../src/service/runner/index.js';

/** The HTTP surface on a real socket (127.0.0.1, port 0) with fake stream and auth behind it. */
function start(options: { shuttingDown?: boolean; authenticate?: () => Promise<never> } = {}) {
  const shutdown = new AbortController();
  if (options.shuttingDown) shutdown.abort();
  const server = createApiServer({
    authenticate: options.authenticate ?? (async () => ({ sub: 'u1', iat: 0, exp: 2e9, payload: {} })),
    runStream: async ({ sink, signal }) => {
      await sink.write({ checkpoint: { last_op_id: '0', buckets: [] } });
      await new Promise((resolve) => signal.addEventListener('abort', resolve));
    },
    createWriteCheckpoint: async () => 1n,
    hasActiveSyncConfig: () => true,
    probes: new Probes({ hasReplication: false }),
    metrics: {
      connectionOpened() {},
      connectionClosed() {},
      bytesSynced() {},
      bytesSent() {},
      opsSynced() {},
    },
    maxConcurrentConnections: 10,
    compression: true,
    shutdownSignal: shutdown.signal,
    log: silentLogger,
  });
  return new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

describe('API error responses', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => close?.());

  const post = (url: string, body: string) =>
    fetch(`${url}/sync/stream`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });

  it('answers 503 PSYNC_S2003 while shutting down', async () => {
    const api = await start({ shuttingDown: true });
    close = api.close;
    const res = await post(api.url, '{}');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'PSYNC_S2003', status: 503 } });
  });

  it('validates the body before authorization and reports every problem', async () => {
    const api = await start({
      authenticate: async () => {
        throw new ServiceError('PSYNC_S2106', 'No token provided');
      },
    });
    close = api.close;
    const res = await post(api.url, '{"buckets":[{"name":1,"after":"x"}],"client_id":5}');
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; details: string } };
    expect(body.error.code).toBe('PSYNC_S2001');
    for (const path of ['buckets[0].name', 'buckets[0].after', 'client_id'])
      expect(body.error.details).toContain(path);
    const auth = await post(api.url, '{}');
    expect(auth.status).toBe(401);
  });

  it('survives hostile requests without affecting open streams', async () => {
    const api = await start();
    close = api.close;
    const open = await post(api.url, '{}');
    expect(open.status).toBe(200);
    const reader = open.body!.getReader();
    await reader.read();
    const huge = await post(api.url, `{"parameters":{"x":"${'y'.repeat(2 * 1024 * 1024)}"}}`);
    expect(huge.status).toBe(400);
    expect((await post(api.url, '[1,2,3]')).status).toBe(400);
    expect((await post(api.url, 'not json')).status).toBe(400);
    expect((await fetch(`${api.url}/sync/stream`, { method: 'GET' })).status).toBe(404);
    // The first stream is still open and the server still serves new ones.
    expect((await post(api.url, '{}')).status).toBe(200);
    await reader.cancel();
  });
});
