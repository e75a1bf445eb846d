import { performance } from 'node:perf_hooks';
import type { SampleSink } from '../metrics/index.js';
import { describeError, ProbeMetric, UnavailableNotes, type Probe } from './probe.js';

export interface ProbeSchedulerOptions {
  probes: readonly Probe[];
  sink: SampleSink;
  /** Default 1000 ms. */
  intervalMs?: number;
  /** Monotonic clock (ms) the schedule is kept on. Default `performance.now`. */
  now?: () => number;
  /** Wall clock (ms since the epoch) stamped on samples. Default `Date.now`. */
  wallClock?: () => number;
}

export interface ProbeSchedulerStats {
  /** Ticks that fired. */
  ticks: number;
  /** Ticks skipped because the timer fired more than a whole interval late (the event loop was blocked). */
  lateTicks: number;
  /** Per probe name: ticks skipped because that probe's previous reading was still running. */
  missed: Record<string, number>;
}

/**
 * Reads every probe once per interval and pushes their samples to a sink. Ticks are due at
 * `start + k × interval` (a late timer does not push later ticks back), a probe whose previous reading is still
 * running skips the tick and the miss is counted and emitted as `probe_missed_ticks{probe}`, and every sample
 * of one tick carries the same time. `stop()` ends the schedule at once, closes the probes (aborting readings
 * in flight) and pushes nothing after it was called.
 */
export class ProbeScheduler {
  private readonly probes: readonly Probe[];
  private readonly sink: SampleSink;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly wallClock: () => number;
  private readonly notes = new UnavailableNotes();
  private readonly inflight = new Map<Probe, Promise<void>>();
  private readonly counts: ProbeSchedulerStats;
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private tickIndex = 0;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private stopping?: Promise<void>;

  constructor(options: ProbeSchedulerOptions) {
    this.probes = options.probes;
    this.sink = options.sink;
    this.intervalMs = options.intervalMs ?? 1000;
    if (!(this.intervalMs > 0)) throw new RangeError(`intervalMs must be > 0, got ${this.intervalMs}`);
    this.now = options.now ?? (() => performance.now());
    this.wallClock = options.wallClock ?? Date.now;
    this.counts = { ticks: 0, lateTicks: 0, missed: Object.fromEntries(this.probes.map((p) => [p.name, 0])) };
  }

  /** Reads every probe now, then every interval. */
  start(): void {
    if (this.state !== 'new') throw new Error(`ProbeScheduler cannot start: it is ${this.state}`);
    this.state = 'running';
    this.startedAt = this.now();
    this.tick();
  }

  /** Stops the schedule, closes the probes and waits for readings in flight to settle. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  stats(): ProbeSchedulerStats {
    return { ticks: this.counts.ticks, lateTicks: this.counts.lateTicks, missed: { ...this.counts.missed } };
  }

  /** What each probe could not read (and any probe that failed outright), each once. */
  unavailable(): string[] {
    return [...new Set([...this.notes.list(), ...this.probes.flatMap((p) => p.unavailable())])];
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopped';
    clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(
      this.probes.map((probe) =>
        probe.close?.().catch((error: unknown) => {
          this.notes.add(
            `close ${probe.name}`,
            `probe ${probe.name} failed to close: ${describeError(error)}`,
          );
        }),
      ),
    );
    await Promise.allSettled(this.inflight.values());
  }

  private tick(): void {
    this.timer = undefined;
    if (this.state !== 'running') return;
    this.counts.ticks++;
    const time = this.wallClock();
    for (const probe of this.probes) {
      if (this.inflight.has(probe)) this.miss(probe, time);
      else
        this.inflight.set(
          probe,
          this.read(probe, time).finally(() => this.inflight.delete(probe)),
        );
    }
    this.scheduleNext();
  }

  private scheduleNext(): void {
    this.tickIndex++;
    const now = this.now();
    let due = this.startedAt + this.tickIndex * this.intervalMs;
    if (now - due >= this.intervalMs) {
      const behind = Math.floor((now - due) / this.intervalMs);
      this.counts.lateTicks += behind;
      this.tickIndex += behind;
      due += behind * this.intervalMs;
    }
    this.timer = setTimeout(() => this.tick(), Math.max(0, due - now));
  }

  private async read(probe: Probe, time: number): Promise<void> {
    try {
      const samples = await probe.sample(time);
      if (this.state === 'running') for (const sample of samples) this.sink.add(sample);
    } catch (error) {
      this.notes.add(`failed ${probe.name}`, `probe ${probe.name} failed: ${describeError(error)}`);
    }
  }

  private miss(probe: Probe, time: number): void {
    this.counts.missed[probe.name] = (this.counts.missed[probe.name] ?? 0) + 1;
    this.sink.add({ metric: ProbeMetric.probeMissedTicks, value: 1, time, tags: { probe: probe.name } });
  }
}
