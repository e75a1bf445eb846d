import { describe, expect, it } from 'vitest';
import { Backoff } from '../../src/fleet/backoff.js';
import { ConnectGate } from '../../src/fleet/connect-gate.js';
import { classifyHttpError, classifyRSocketError, FleetErrorCode, readStamp } from '../../src/fleet/index.js';
import { PendingStamps } from '../../src/fleet/pending-stamps.js';
import { TokenSource } from '../../src/fleet/token-source.js';
import { decodeJwt } from 'jose';
import { decodeTokenExpiry, mintToken, RSocketErrorCode } from '../../src/protocol/index.js';

const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };

describe('fleet error classification', () => {
  it('takes the PSYNC code of a JSON error body, else the status', () => {
    const body = JSON.stringify({
      error: { name: 'x', code: 'PSYNC_S2103', status: 401, description: 'JWT has expired' },
    });
    expect(classifyHttpError(401, body)).toBe('PSYNC_S2103');
    expect(classifyHttpError(429, '')).toBe(FleetErrorCode.http429);
    expect(classifyHttpError(502, '<html>Bad gateway</html>')).toBe('http_502');
  });

  it('takes the PSYNC code of an RSocket error message, else the error kind', () => {
    expect(
      classifyRSocketError(
        RSocketErrorCode.REJECTED_SETUP,
        '[PSYNC_S2304] Maximum active concurrent connections limit has been reached',
      ),
    ).toBe('PSYNC_S2304');
    expect(classifyRSocketError(RSocketErrorCode.REJECTED_SETUP, 'Lease and resume are not supported')).toBe(
      'rejected_setup',
    );
    expect(classifyRSocketError(RSocketErrorCode.APPLICATION_ERROR, 'boom')).toBe('application_error');
    expect(classifyRSocketError(RSocketErrorCode.CONNECTION_ERROR, 'x')).toBe('rsocket_0x101');
  });
});

describe('fleet backoff', () => {
  it('doubles from the base up to the cap, jittered between half and all, and resets', () => {
    const low = new Backoff({ baseMs: 250, capMs: 10_000 }, () => 0);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(() => low.next())).toEqual([
      125, 250, 500, 1000, 2000, 4000, 5000, 5000,
    ]);
    const high = new Backoff({ baseMs: 250, capMs: 10_000 }, () => 0.999999);
    for (let i = 0; i < 10; i++) high.next();
    expect(high.next()).toBeCloseTo(10_000, 0);
    high.reset();
    expect(high.next()).toBeCloseTo(250, 0);
  });
});

describe('fleet tokens', () => {
  it('mints one token per user and reuses it until it nears expiry', async () => {
    const source = new TokenSource({ key: KEY, audience: 'syncscale', lifetimeSeconds: 3600 }, 'u1');
    const now = Date.now() / 1000;
    const first = await source.get(now);
    expect(decodeJwt(first)).toMatchObject({ sub: 'u1', aud: 'syncscale' });
    expect(decodeTokenExpiry(first)! - Math.floor(now)).toBe(3600);
    expect(await source.get(now + 100)).toBe(first);
    expect(source.dueAt(31)).toBe(false);
    expect(source.dueAt(30)).toBe(true);
  });

  it('obtains a new token within 30 s of exp', async () => {
    let calls = 0;
    const source = new TokenSource(
      { tokenProvider: (sub) => mintToken({ key: KEY, sub, audience: 'syncscale', claims: { n: ++calls } }) },
      'u1',
    );
    const now = Date.now() / 1000;
    await source.get(now);
    await source.get(now + 3560);
    expect(calls).toBe(1);
    await source.get(now + 3575);
    expect(calls).toBe(2);
  });

  it('uses half the lifetime as the margin for short-lived tokens', async () => {
    const source = new TokenSource({ key: KEY, audience: 'syncscale', lifetimeSeconds: 5 }, 'u1');
    const token = await source.get();
    expect(await source.get()).toBe(token);
    expect(source.dueAt(3)).toBe(false);
    expect(source.dueAt(0)).toBe(true);
  });

  it('asks the provider for external targets, and again after invalidate', async () => {
    let calls = 0;
    const source = new TokenSource({ tokenProvider: (sub) => `tok-${sub}-${++calls}` }, 'u9');
    expect(await source.get()).toBe('tok-u9-1');
    expect(await source.get()).toBe('tok-u9-1');
    source.invalidate();
    expect(await source.get()).toBe('tok-u9-2');
  });
});

describe('fleet stamps and connect gate', () => {
  it('reads ss_ts without parsing the row', () => {
    expect(readStamp('{"id":"a","ss_ts":1712345678901}')).toBe(1712345678901);
    expect(readStamp('{"id":"a","ss_ts":"1712345678901"}')).toBe(1712345678901);
    expect(readStamp('{"id":"a"}')).toBeUndefined();
  });

  it('releases stamps by bucket visibility', () => {
    const stamps = new PendingStamps();
    stamps.collect('a', [{ op_id: '1', op: 'PUT', data: '{"ss_ts":100}', checksum: 0 }]);
    stamps.collect('b', [{ op_id: '2', op: 'PUT', data: '{"ss_ts":200}', checksum: 0 }]);
    const seen: number[] = [];
    stamps.release(
      1000,
      (bucket) => bucket === 'a',
      (v) => seen.push(v),
    );
    expect(seen).toEqual([900]);
    expect(stamps.size).toBe(1);
  });

  it('does not time rows committed before the floor (the phase start), and counts them', () => {
    const stamps = new PendingStamps();
    stamps.collect('a', [
      { op_id: '1', op: 'PUT', data: '{"ss_ts":100}', checksum: 0 },
      { op_id: '2', op: 'PUT', data: '{"ss_ts":600}', checksum: 0 },
      { op_id: '3', op: 'PUT', data: '{"ss_ts":500}', checksum: 0 },
    ]);
    const seen: number[] = [];
    const earlier = stamps.release(
      1000,
      () => true,
      (v) => seen.push(v),
      500,
    );
    expect(seen).toEqual([400, 500]);
    expect(earlier).toBe(1);
    expect(stamps.size).toBe(0);
  });

  it('admits at most `limit` attempts and hands permits over in order', () => {
    const gate = new ConnectGate(2);
    const order: number[] = [];
    const waiter = (n: number) => ({ onPermit: () => order.push(n) });
    for (let i = 1; i <= 4; i++) gate.acquire(waiter(i));
    expect(order).toEqual([1, 2]);
    expect(gate.waiting).toBe(2);
    gate.release();
    gate.release();
    expect(order).toEqual([1, 2, 3, 4]);
    gate.release();
    gate.release();
    expect(gate.active).toBe(0);
  });
});
