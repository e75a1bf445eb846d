import { MetricName, type SampleSink } from '../metrics/index.js';
import type { StampFloor } from './pending-stamps.js';

/**
 * Turns client events into samples for a sink. One instance is shared by every client of a fleet group, so
 * tags are one object per group, not per client; counters are emitted as increments and nothing is kept.
 */
export class ClientMetrics {
  constructor(
    private readonly sink: SampleSink,
    private readonly tags?: Record<string, string>,
    /** Rows committed before this are not timed end to end (see `StampFloor`). */
    readonly stampFloor: StampFloor = { ms: 0, offsetMs: 0 },
  ) {}

  /** A trend (ms) or a counter increment. */
  add(metric: string, value: number): void {
    this.sink.add({ metric, value, time: Date.now(), tags: this.tags });
  }

  /** One `errors` sample tagged with its code. */
  error(code: string): void {
    this.sink.add({ metric: MetricName.errors, value: 1, time: Date.now(), tags: { ...this.tags, code } });
  }
}
