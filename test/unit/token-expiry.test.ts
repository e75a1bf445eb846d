import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SyncStreamContext } from '../../src/service/api/sync/stream-types.js';
import { TokenExpiry } from '../../src/service/api/sync/token-expiry.js';

const EXP = 2_000_000_000; // seconds

function context(transport: 'http' | 'websocket', onWrite: () => void, lines: unknown[]): SyncStreamContext {
  return {
    token: { sub: 'u', exp: EXP } as SyncStreamContext['token'],
    request: {},
    transport,
    signal: new AbortController().signal,
    sink: {
      write: async (line) => {
        lines.push(line);
        onWrite();
      },
    },
  };
}

describe('token_expires_in', () => {
  afterEach(() => vi.useRealTimers());

  it('says 20 s before expiry, then 0 at expiry, and ends the stream', async () => {
    vi.useFakeTimers({ now: EXP * 1000 - 25_000 });
    const lines: unknown[] = [];
    let ended = 0;
    new TokenExpiry(
      context('websocket', () => undefined, lines),
      () => ended++,
    );
    await vi.advanceTimersByTimeAsync(25_000);
    expect(lines).toEqual([{ token_expires_in: 20 }, { token_expires_in: 0 }]);
    expect(ended).toBe(1);
  });

  it('says 0 at once when the clock crosses expiry between a tick and its next schedule (the flake CI hit)', async () => {
    // The expiry timer fires a few ms before the wall clock reaches exp (timers and Date.now() are different
    // clocks): the tick sends 1; its write takes long enough for the clock to pass exp. Before the fix the
    // next line came with the 20 s HTTP keepalive.
    vi.useFakeTimers({ now: EXP * 1000 - 30 });
    const lines: unknown[] = [];
    let ended = 0;
    const expiry = new TokenExpiry(
      context('http', () => vi.setSystemTime(Date.now() + 50), lines),
      () => ended++,
    );
    vi.setSystemTime(Date.now() - 10); // the timer will fire 10 ms "early" by the wall clock
    await vi.advanceTimersByTimeAsync(30);
    await vi.advanceTimersByTimeAsync(5);
    expect(lines).toEqual([{ token_expires_in: 1 }, { token_expires_in: 0 }]);
    expect(ended).toBe(1);
    expiry.stop();
  });
});
