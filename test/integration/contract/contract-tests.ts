import { SignJWT } from 'jose';
import { beforeEach, describe, expect, it } from 'vitest';
import { ClientState, TestStream } from '../../support/sync-client.js';
import type { SyncTarget } from './sync-target.js';

/**
 * Protocol contract tests, run against the reference service and, when POWERSYNC_TEST_URL is set, a real
 * PowerSync deployment. The target's sync config is fixtures-like: `global` (lists), `by_user` (todos).
 */
export function registerTargetTests(name: string, getTarget: () => SyncTarget): void {
  describe(`sync protocol contract: ${name}`, () => {
    // A target with a small connection limit releases streams closed by the previous test asynchronously;
    // every test starts once the server's own count says they are gone (not after a sleep), or its first
    // stream may be the one over the limit (an empty 429).
    beforeEach(async () => {
      await waitForOpenConnections(getTarget(), 0);
    });
    const open = async (sub: string, body: object = {}, headers: Record<string, string> = {}) => {
      const target = getTarget();
      const stream = new TestStream(
        target.endpoint,
        await target.token(sub),
        { raw_data: true, ...body },
        headers,
      );
      await stream.opened;
      return stream;
    };
    const syncUntilComplete = async (stream: TestStream, state: ClientState, from = 0) => {
      const index = await stream.waitFor((l) => l.checkpoint_complete !== undefined, 15_000, from);
      for (let i = from; i <= index; i++) state.apply(stream.lines[i]!);
      return index + 1;
    };
    /**
     * Applies checkpoints until `ready` holds: a real deployment replicates what the suite just inserted
     * asynchronously, so the first checkpoint may not hold it yet. Returns the next line index.
     */
    const syncUntil = async (stream: TestStream, state: ClientState, ready: () => boolean, from = 0) => {
      let next = await syncUntilComplete(stream, state, from);
      while (!ready()) next = await syncUntilComplete(stream, state, next);
      return next;
    };
    // Ids unique per run: a real deployment's source keeps the rows of earlier runs.
    const runTag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

    it('initial sync: checkpoint first, data, checkpoint_complete, verified checksums', async () => {
      const target = getTarget();
      const stream = await open('alice');
      try {
        expect(stream.status).toBe(200);
        expect(stream.headers['content-type']).toContain('application/x-ndjson');
        expect(stream.headers['x-accel-buffering']).toBe('no');
        const state = new ClientState();
        await syncUntil(stream, state, () => state.objects().has('l1') && state.objects().has('t-alice-1'));
        expect(Object.keys(stream.lines[0]!)).toEqual(['checkpoint']);
        expect(stream.lines[0]!.checkpoint.streams.map((s: { name: string }) => s.name)).toContain('global');
        const objects = state.objects();
        expect(objects.get('l1')).toBe('{"id":"l1","name":"Groceries"}');
        expect(objects.get('t-alice-1')).toBeDefined();
        expect([...state.rows.keys()].sort()).toEqual(
          [target.bucket('by_user["alice"]'), target.bucket('global[]')].sort(),
        );
      } finally {
        stream.close();
      }
    });

    it('a source write reaches a connected client as a diff, data and checkpoint_complete', async () => {
      const target = getTarget();
      const stream = await open('alice');
      try {
        const state = new ClientState();
        let next = await syncUntilComplete(stream, state);
        const id = `t-alice-live-${runTag}`;
        await target.sql("INSERT INTO todos (id, owner_id, title) VALUES ($1, 'alice', 'live')", [id]);
        next = await syncUntil(stream, state, () => state.objects().has(id), next);
        expect(stream.lines.slice(0, next).some((l) => l.checkpoint_diff)).toBe(true);
        expect(state.objects().get(id)).toContain('"title":"live"');
      } finally {
        stream.close();
      }
    });

    it('SELECT * does not sync columns whose name starts with _', async () => {
      const target = getTarget();
      await target.sql('ALTER TABLE todos ADD COLUMN IF NOT EXISTS _hidden text');
      const stream = await open('dave');
      try {
        const state = new ClientState();
        let next = await syncUntilComplete(stream, state);
        const id = `t-dave-hidden-${runTag}`;
        await target.sql(
          "INSERT INTO todos (id, owner_id, title, _hidden) VALUES ($1, 'dave', 'h', 'secret')",
          [id],
        );
        while (!state.objects().has(id)) next = await syncUntilComplete(stream, state, next);
        const row = JSON.parse(state.objects().get(id)!) as Record<string, unknown>;
        expect(row.title).toBe('h');
        expect(Object.keys(row).some((k) => k.startsWith('_'))).toBe(false);
      } finally {
        stream.close();
      }
    });

    it('per-user buckets isolate users', async () => {
      const stream = await open('bob');
      try {
        const state = new ClientState();
        await syncUntil(stream, state, () => state.objects().has('t-bob-1'));
        const ids = [...state.objects().keys()];
        expect(ids).toContain('t-bob-1');
        expect(ids.some((id) => id.startsWith('t-alice'))).toBe(false);
      } finally {
        stream.close();
      }
    });

    it('reconnecting with per-bucket `after` resumes without re-sending', async () => {
      const first = await open('carol');
      const state = new ClientState();
      await syncUntil(first, state, () => state.objects().has('t-carol-1'));
      first.close();
      const buckets = [...state.positions].map(([bucket, after]) => ({
        name: bucket,
        after: state.checkpoint ?? after,
      }));
      const second = await open('carol', { buckets });
      try {
        const index = await second.waitFor((l) => l.checkpoint_complete !== undefined);
        const data = second.lines.slice(0, index).filter((l) => l.data && l.data.data.length > 0);
        expect(data).toEqual([]);
      } finally {
        second.close();
      }
    });

    it('write checkpoint round trip: the next checkpoint carries it', async () => {
      const target = getTarget();
      const token = await target.token('dave');
      const stream = new TestStream(target.endpoint, token, { raw_data: true, client_id: 'device-1' });
      await stream.opened;
      try {
        const state = new ClientState();
        const next = await syncUntilComplete(stream, state);
        const res = await fetch(`${target.endpoint}/write-checkpoint2.json?client_id=device-1`, {
          headers: { Authorization: `Token ${token}` },
        });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { data: { write_checkpoint: string } };
        expect(body.data.write_checkpoint).toMatch(/^\d+$/);
        const index = await stream.waitFor(
          (l) => (l.checkpoint_diff ?? l.checkpoint)?.write_checkpoint === body.data.write_checkpoint,
          15_000,
          next,
        );
        await stream.waitFor((l) => l.checkpoint_complete !== undefined, 15_000, index);
      } finally {
        stream.close();
      }
    });

    it('token expiry sends token_expires_in: 0 and ends the stream', async () => {
      const target = getTarget();
      const stream = new TestStream(target.endpoint, await target.token('erin', { lifetimeSeconds: 3 }), {
        raw_data: true,
      });
      await stream.opened;
      await stream.waitFor((l) => l.token_expires_in === 0, 20_000);
      await stream.waitForEnd();
    });

    it('rejects bad tokens with the PSYNC auth codes', async () => {
      const target = getTarget();
      const attempt = async (token: string | undefined, header?: string) => {
        const res = await fetch(`${target.endpoint}/sync/stream`, {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            ...(header ? { Authorization: header } : token ? { Authorization: `Token ${token}` } : {}),
          },
          body: '{}',
        });
        const body = (await res.json()) as { error: { code: string } };
        return [res.status, body.error.code];
      };
      expect(await attempt(undefined)).toEqual([401, 'PSYNC_S2106']);
      expect(await attempt(undefined, 'Basic abc')).toEqual([401, 'PSYNC_S2106']);
      expect(await attempt('not-a-jwt')).toEqual([401, 'PSYNC_S2101']);
      const forged = await new SignJWT({ sub: 'x' })
        .setProtectedHeader({ alg: 'HS256', kid: 'test' })
        .setIssuedAt()
        .setExpirationTime('1h')
        .setAudience('syncscale')
        .sign(new TextEncoder().encode('wrong-secret-wrong-secret-wrong!'));
      expect(await attempt(forged)).toEqual([401, 'PSYNC_S2101']);
      expect(
        await attempt(await target.token('x', { lifetimeSeconds: 120, iatOffsetSeconds: -300 })),
      ).toEqual([401, 'PSYNC_S2103']);
      expect(await attempt(await target.token('x', { audience: 'someone-else' }))).toEqual([
        401,
        'PSYNC_S2105',
      ]);
      expect(await attempt(await target.token('x', { lifetimeSeconds: 86_401 }))).toEqual([
        401,
        'PSYNC_S2104',
      ]);
    });

    it('answers a body that is not JSON with 400 FST_ERR_CTP_INVALID_JSON_BODY (as PowerSync 1.25) and keeps serving', async () => {
      const target = getTarget();
      const res = await fetch(`${target.endpoint}/sync/stream`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Token ${await target.token('x')}` },
        body: '{"buckets": [{"name": 1, "after": "x"}',
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'FST_ERR_CTP_INVALID_JSON_BODY',
      );
      const stream = await open('alice');
      try {
        await stream.waitFor((l) => l.checkpoint_complete !== undefined);
      } finally {
        stream.close();
      }
    });

    it('unknown routes are 404 PSYNC_S2002', async () => {
      const res = await fetch(`${getTarget().endpoint}/no/such/route`);
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('PSYNC_S2002');
    });

    it('answers HTTP streams beyond max_concurrent_connections with an empty 429', async (context) => {
      const target = getTarget();
      if (!target.smallConnectionLimit) return context.skip();
      const streams = await Promise.all([1, 2, 3].map(() => open('frank')));
      try {
        for (const s of streams) expect(s.status).toBe(200);
        await waitForOpenConnections(target, 3);
        const over = await open('frank');
        expect(over.status).toBe(429);
        await over.waitForEnd();
        expect(over.body).toBe('');
      } finally {
        for (const s of streams) s.close();
      }
    });
  });
}

/** Polls the server's open-stream count until it equals `count` (no-op when the target cannot tell). */
async function waitForOpenConnections(target: SyncTarget, count: number, timeoutMs = 15_000): Promise<void> {
  if (!target.openConnections) return;
  const deadline = Date.now() + timeoutMs;
  let seen = await target.openConnections();
  while (seen !== count) {
    if (Date.now() > deadline) throw new Error(`server still counts ${seen} open streams, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    seen = await target.openConnections();
  }
}
