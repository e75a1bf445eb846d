import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Sample, SampleSink } from '../../src/metrics/index.js';
import { BlindProbe, ProbeMetric, ProbeScheduler, type Probe } from '../../src/probes/index.js';

class ListSink implements SampleSink {
  readonly samples: Sample[] = [];
  add(sample: Sample): void {
    this.samples.push(sample);
  }
  of(metric: string): Sample[] {
    return this.samples.filter((s) => s.metric === metric);
  }
}

/** A probe whose readings stay in flight until released (or until close() aborts them). */
class ControlledProbe implements Probe {
  readonly name = 'controlled';
  calls = 0;
  running = 0;
  maxRunning = 0;
  closed = 0;
  private releases: Array<() => void> = [];

  async sample(time: number): Promise<Sample[]> {
    this.calls++;
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    await new Promise<void>((resolve) => this.releases.push(resolve));
    this.running--;
    return [{ metric: 'controlled_value', value: this.calls, time }];
  }

  release(): void {
    for (const resolve of this.releases.splice(0)) resolve();
  }

  unavailable(): string[] {
    return [];
  }

  async close(): Promise<void> {
    this.closed++;
    this.release();
  }
}

/** A probe that reads at once; `work` advances the fake monotonic clock as if reading took that long. */
class QuickProbe implements Probe {
  readonly name = 'quick';
  readonly tickClock: number[] = [];
  constructor(
    private readonly clock: { now: () => number; skew: number },
    private readonly work = 0,
  ) {}
  async sample(time: number): Promise<Sample[]> {
    this.tickClock.push(this.clock.now());
    this.clock.skew += this.work;
    return [{ metric: 'quick_value', value: 1, time }];
  }
  unavailable(): string[] {
    return [];
  }
}

describe('ProbeScheduler', () => {
  const clock = { skew: 0, now: () => Date.now() + clock.skew };
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
    clock.skew = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads every probe at once and then every interval, all samples of a tick with the same time', async () => {
    const sink = new ListSink();
    const a = new QuickProbe(clock);
    const b: Probe = {
      name: 'b',
      sample: async (time) => [{ metric: 'b_value', value: 2, time }],
      unavailable: () => [],
    };
    const scheduler = new ProbeScheduler({ probes: [a, b], sink, intervalMs: 1000, now: clock.now });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(3500);
    await scheduler.stop();
    expect(sink.of('quick_value').map((s) => s.time)).toEqual([1_000_000, 1_001_000, 1_002_000, 1_003_000]);
    expect(sink.of('b_value').map((s) => s.time)).toEqual(sink.of('quick_value').map((s) => s.time));
    expect(scheduler.stats()).toEqual({ ticks: 4, lateTicks: 0, missed: { quick: 0, b: 0 } });
  });

  it('keeps ticks on start + k × interval when reading takes time (no drift)', async () => {
    const sink = new ListSink();
    const slow = new QuickProbe(clock, 30); // every reading "takes" 30 ms of the monotonic clock
    const scheduler = new ProbeScheduler({ probes: [slow], sink, intervalMs: 1000, now: clock.now });
    const start = clock.now();
    scheduler.start();
    await vi.advanceTimersByTimeAsync(4000);
    await scheduler.stop();
    // A naive setTimeout(interval) after each reading would tick at 1030, 2060, 3090, …
    expect(slow.tickClock.map((t) => t - start)).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('skips ticks a blocked event loop made it miss, and counts them', async () => {
    const sink = new ListSink();
    const seen: number[] = [];
    const blocking: Probe = {
      name: 'blocking',
      sample: async (time) => {
        seen.push(clock.now());
        if (seen.length === 1) clock.skew += 2500; // the first reading blocks the loop for 2.5 intervals
        return [{ metric: 'blocking_value', value: 1, time }];
      },
      unavailable: () => [],
    };
    const scheduler = new ProbeScheduler({ probes: [blocking], sink, intervalMs: 1000, now: clock.now });
    const start = clock.now();
    scheduler.start();
    await vi.advanceTimersByTimeAsync(1000);
    await scheduler.stop();
    // The tick due at 1000 is skipped; the one due at 2000 runs at once (2500), then 3000 is on time again.
    expect(seen.map((t) => t - start)).toEqual([0, 2500, 3000]);
    expect(scheduler.stats()).toMatchObject({ ticks: 3, lateTicks: 1 });
  });

  it('never overlaps a probe with itself: a busy probe skips ticks, counted and emitted', async () => {
    const sink = new ListSink();
    const probe = new ControlledProbe();
    const scheduler = new ProbeScheduler({ probes: [probe], sink, intervalMs: 1000, now: clock.now });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(3000); // ticks at 1000, 2000, 3000 find the first reading running
    expect(probe.calls).toBe(1);
    expect(scheduler.stats().missed).toEqual({ controlled: 3 });
    expect(sink.of(ProbeMetric.probeMissedTicks)).toEqual([
      { metric: 'probe_missed_ticks', value: 1, time: 1_001_000, tags: { probe: 'controlled' } },
      { metric: 'probe_missed_ticks', value: 1, time: 1_002_000, tags: { probe: 'controlled' } },
      { metric: 'probe_missed_ticks', value: 1, time: 1_003_000, tags: { probe: 'controlled' } },
    ]);
    probe.release();
    await vi.advanceTimersByTimeAsync(1000);
    expect(probe.calls).toBe(2);
    expect(probe.maxRunning).toBe(1);
    expect(sink.of('controlled_value')).toEqual([{ metric: 'controlled_value', value: 1, time: 1_000_000 }]);
    await scheduler.stop();
  });

  it('stop() ends the schedule at once, closes probes, aborts readings in flight and pushes nothing after', async () => {
    const sink = new ListSink();
    const probe = new ControlledProbe();
    const scheduler = new ProbeScheduler({ probes: [probe], sink, intervalMs: 1000, now: clock.now });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(10);
    const pushedBefore = sink.samples.length;
    await scheduler.stop(); // resolves without any timer advancing: close() released the reading
    expect(probe.closed).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5000);
    expect(probe.calls).toBe(1);
    expect(sink.samples).toHaveLength(pushedBefore);
    await scheduler.stop(); // idempotent
    expect(probe.closed).toBe(1);
    expect(() => scheduler.start()).toThrow(/stopped/);
  });

  it('collects what each probe could not read, and a probe that throws, once each', async () => {
    const sink = new ListSink();
    const failing: Probe = {
      name: 'failing',
      sample: async () => {
        throw new Error('boom');
      },
      unavailable: () => [],
    };
    const blind = new BlindProbe('process api', 'no process id for the API container');
    const scheduler = new ProbeScheduler({
      probes: [failing, blind],
      sink,
      intervalMs: 1000,
      now: clock.now,
    });
    scheduler.start();
    await vi.advanceTimersByTimeAsync(2500);
    await scheduler.stop();
    expect(scheduler.stats().ticks).toBe(3);
    expect(scheduler.unavailable()).toEqual([
      'probe failing failed: boom',
      'no process id for the API container',
    ]);
  });

  it('rejects a non-positive interval', () => {
    expect(() => new ProbeScheduler({ probes: [], sink: new ListSink(), intervalMs: 0 })).toThrow(RangeError);
  });
});

describe('ProbeScheduler on real timers', () => {
  it('stop() is prompt even with a long interval', async () => {
    const probe = new ControlledProbe();
    const scheduler = new ProbeScheduler({ probes: [probe], sink: new ListSink(), intervalMs: 60_000 });
    scheduler.start();
    const started = performance.now();
    await scheduler.stop();
    expect(performance.now() - started).toBeLessThan(100);
  });
});
