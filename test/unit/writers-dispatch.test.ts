import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OpenLoopDispatcher } from '../../src/writers/open-loop-dispatcher.js';

/** A dispatcher on fake time whose transactions finish only when the test says so. */
function harness(concurrency: number, maxLagMs: number) {
  const started: Array<{ scheduledAt: number; at: number; finish: () => void }> = [];
  const dropped: Array<{ scheduledAt: number; lateMs: number }> = [];
  const dispatcher = new OpenLoopDispatcher({
    concurrency,
    maxLagMs,
    now: () => Date.now(),
    start: (scheduledAt) =>
      new Promise<void>((finish) => started.push({ scheduledAt, at: Date.now(), finish })),
    onDrop: (scheduledAt, lateMs) => dropped.push({ scheduledAt, lateMs }),
  });
  return { dispatcher, started, dropped };
}

async function finish(entry: { finish: () => void } | undefined): Promise<void> {
  entry?.finish();
  await vi.advanceTimersByTimeAsync(0);
}

describe('open-loop dispatcher', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts each arrival at once while a slot is free, regardless of earlier ones', () => {
    const { dispatcher, started } = harness(3, 1000);
    dispatcher.arrive(0);
    dispatcher.arrive(0);
    dispatcher.arrive(0);
    expect(started.map((s) => s.at)).toEqual([0, 0, 0]);
    expect(dispatcher.inFlight).toBe(3);
  });

  it('queues behind busy slots, oldest first, and starts late when one frees', async () => {
    const { dispatcher, started } = harness(1, 1000);
    dispatcher.arrive(0);
    vi.setSystemTime(10);
    dispatcher.arrive(10);
    vi.setSystemTime(20);
    dispatcher.arrive(20);
    expect(dispatcher.queued).toBe(2);
    vi.setSystemTime(300);
    await finish(started[0]);
    expect(started[1]).toMatchObject({ scheduledAt: 10, at: 300 });
    expect(dispatcher.queued).toBe(1);
  });

  it('drops a queued transaction once it is more than maxLagMs late, even while nothing finishes', async () => {
    const { dispatcher, started, dropped } = harness(1, 100);
    dispatcher.arrive(0);
    dispatcher.arrive(0);
    dispatcher.arrive(50);
    await vi.advanceTimersByTimeAsync(102);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]?.scheduledAt).toBe(0);
    expect(dropped[0]?.lateMs).toBeGreaterThan(100);
    await vi.advanceTimersByTimeAsync(50);
    expect(dropped.map((d) => d.scheduledAt)).toEqual([0, 50]);
    expect(dispatcher.queued).toBe(0);
    expect(started).toHaveLength(1);
  });

  it('stop() discards the queue; whenIdle() waits for running transactions', async () => {
    const { dispatcher, started } = harness(1, 1000);
    dispatcher.arrive(0);
    dispatcher.arrive(0);
    dispatcher.arrive(0);
    expect(dispatcher.stop()).toBe(2);
    dispatcher.arrive(0);
    let idle = false;
    void dispatcher.whenIdle().then(() => (idle = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(idle).toBe(false);
    await finish(started[0]);
    expect(idle).toBe(true);
    expect(started).toHaveLength(1);
  });

  it('rejects a concurrency below 1', () => {
    expect(
      () =>
        new OpenLoopDispatcher({
          concurrency: 0,
          maxLagMs: 1,
          now: () => 0,
          start: async () => {},
          onDrop: () => {},
        }),
    ).toThrow(RangeError);
  });
});
