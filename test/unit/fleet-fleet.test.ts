import { afterEach, describe, expect, it } from 'vitest';
import { Fleet } from '../../src/fleet/index.js';

const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };
const fleets: Fleet[] = [];

/** A fleet aimed at a closed port: clients fail to connect and wait in backoff (10 s), which is all we need. */
function fleet(signal?: AbortSignal): Fleet {
  const f = new Fleet({
    endpoint: 'http://127.0.0.1:1',
    auth: { key: KEY, audience: 'syncscale' },
    sink: { add: () => undefined },
    backoff: { baseMs: 10_000 },
    userId: (i) => `u${i}`,
    signal,
  });
  fleets.push(f);
  return f;
}

afterEach(() => {
  for (const f of fleets.splice(0)) f.stopAll();
});

describe('Fleet bookkeeping', () => {
  it('adds clients with distinct users and removes the newest or the oldest', () => {
    const f = fleet();
    const added = [...f.add(3), ...f.add(2, { transport: 'websocket' })];
    expect(added.map((c) => c.userId)).toEqual(['u0', 'u1', 'u2', 'u3', 'u4']);
    expect(new Set(added.map((c) => c.clientId)).size).toBe(5);
    expect(f.remove(2)).toBe(2);
    expect(added.slice(3).every((c) => c.status === 'stopped')).toBe(true);
    expect(f.remove(1, 'oldest')).toBe(1);
    expect(added[0]!.status).toBe('stopped');
    expect([...f.list()].map((c) => c.userId)).toEqual(['u1', 'u2']);
    f.add(1);
    expect(f.remove(1)).toBe(1);
    expect([...f.list()].map((c) => c.userId)).toEqual(['u1', 'u2']);
    expect(f.remove(10)).toBe(2);
    expect(f.remove(1)).toBe(0);
    expect(f.remove(0)).toBe(0);
  });

  it('stopAll stops every client and accepts no more; an aborted signal does the same', () => {
    const f = fleet();
    const added = f.add(4);
    f.stopAll();
    expect(added.every((c) => c.status === 'stopped')).toBe(true);
    expect(f.size).toBe(0);
    expect(f.add(1)).toEqual([]);

    const controller = new AbortController();
    const g = fleet(controller.signal);
    const more = g.add(2);
    controller.abort();
    expect(more.every((c) => c.status === 'stopped')).toBe(true);
    expect(g.snapshot()).toMatchObject({ clients: 0, streaming: 0 });
  });
});
