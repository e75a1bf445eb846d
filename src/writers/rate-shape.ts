/**
 * Write rate shapes: transactions per second as a piecewise-linear function of time since the start of a
 * phase. A shape only describes the rate; `arrivalSchedule` turns it into start times, lazily.
 */

/** One piece of a shape: the rate moves linearly from `fromRate` to `toRate` (tx/s) over `durationMs`. */
export interface RateSegment {
  readonly startMs: number;
  readonly durationMs: number;
  readonly fromRate: number;
  readonly toRate: number;
}

/** One step of `steps()`: `rate` tx/s held for `durationMs`. */
export interface RateStep {
  rate: number;
  durationMs: number;
}

export type RateShapeKind = 'constant' | 'steps' | 'ramp';

/** A write rate over time. Beyond `durationMs` the rate is zero (a constant shape never ends). */
export class RateShape {
  readonly durationMs: number;
  /** Expected arrivals before the start of each segment (Λ at its start). */
  private readonly countBefore: number[];

  constructor(
    readonly kind: RateShapeKind,
    readonly segments: readonly RateSegment[],
  ) {
    const last = segments[segments.length - 1];
    this.durationMs = last ? last.startMs + last.durationMs : 0;
    this.countBefore = [];
    let count = 0;
    for (const segment of segments) {
      this.countBefore.push(count);
      count += segmentCount(segment, segment.durationMs);
    }
  }

  /** The rate in tx/s at `ms` after the start. */
  rateAt(ms: number): number {
    const segment = this.segments.find((s) => ms >= s.startMs && ms < s.startMs + s.durationMs);
    if (!segment) return 0;
    if (segment.fromRate === segment.toRate) return segment.fromRate;
    return (
      segment.fromRate + ((segment.toRate - segment.fromRate) * (ms - segment.startMs)) / segment.durationMs
    );
  }

  /** Expected number of arrivals in [0, ms) (the integral of the rate). */
  expectedCount(ms: number): number {
    let total = 0;
    for (const [i, segment] of this.segments.entries()) {
      if (ms <= segment.startMs) break;
      const within = Math.min(ms - segment.startMs, segment.durationMs);
      total = (this.countBefore[i] ?? 0) + segmentCount(segment, within);
    }
    return total;
  }

  /** Mean rate in tx/s over [0, ms). */
  meanRate(ms: number): number {
    return ms > 0 ? (this.expectedCount(ms) * 1000) / ms : 0;
  }

  /**
   * A cursor over the inverse of `expectedCount`: for non-decreasing `count`, the latest time at which no more
   * than `count` arrivals are expected (so zero-rate stretches are skipped), or Infinity past the end.
   */
  inverter(): (count: number) => number {
    let i = 0;
    return (count) => {
      for (; i < this.segments.length; i++) {
        const segment = this.segments[i] as RateSegment;
        const before = this.countBefore[i] ?? 0;
        if (before + segmentCount(segment, segment.durationMs) > count) {
          return segment.startMs + Math.min(segmentTime(segment, count - before), segment.durationMs);
        }
      }
      return Infinity;
    };
  }
}

/** `rate` tx/s for ever (bound it with the run's duration). */
export function constant(rate: number): RateShape {
  checkRate(rate, 'constant(rate)');
  return new RateShape('constant', [{ startMs: 0, durationMs: Infinity, fromRate: rate, toRate: rate }]);
}

/** Each step's rate held for its duration, one after another; the shape ends after the last step. */
export function steps(list: readonly RateStep[]): RateShape {
  if (list.length === 0) throw new RangeError('steps(): at least one step is required');
  let startMs = 0;
  const segments = list.map((step, i) => {
    checkRate(step.rate, `steps()[${i}].rate`);
    checkDuration(step.durationMs, `steps()[${i}].durationMs`);
    const segment = { startMs, durationMs: step.durationMs, fromRate: step.rate, toRate: step.rate };
    startMs += step.durationMs;
    return segment;
  });
  return new RateShape('steps', segments);
}

/** The rate moves linearly from `from` to `to` tx/s over `durationMs`; the shape ends there. */
export function ramp(from: number, to: number, durationMs: number): RateShape {
  checkRate(from, 'ramp(from)');
  checkRate(to, 'ramp(to)');
  checkDuration(durationMs, 'ramp(durationMs)');
  return new RateShape('ramp', [{ startMs: 0, durationMs, fromRate: from, toRate: to }]);
}

/** Expected arrivals in the first `ms` of a segment: ∫ rate, with rates in tx/s and time in ms. */
function segmentCount(segment: RateSegment, ms: number): number {
  if (ms <= 0) return 0;
  if (segment.fromRate === segment.toRate) return segment.fromRate === 0 ? 0 : (segment.fromRate * ms) / 1000;
  const slope = (segment.toRate - segment.fromRate) / segment.durationMs;
  return (ms * (segment.fromRate + (slope * ms) / 2)) / 1000;
}

/** The time into a segment at which `count` arrivals are expected (the root of a quadratic, stable form). */
function segmentTime(segment: RateSegment, count: number): number {
  if (count <= 0) return 0;
  const y = count * 1000;
  if (segment.fromRate === segment.toRate) return y / segment.fromRate;
  const slope = (segment.toRate - segment.fromRate) / segment.durationMs;
  const root = Math.sqrt(Math.max(0, segment.fromRate * segment.fromRate + 2 * slope * y));
  return (2 * y) / (segment.fromRate + root);
}

function checkRate(rate: number, what: string): void {
  if (!Number.isFinite(rate) || rate < 0)
    throw new RangeError(`${what} must be a finite rate ≥ 0, got ${rate}`);
}

function checkDuration(ms: number, what: string): void {
  if (!Number.isFinite(ms) || ms <= 0)
    throw new RangeError(`${what} must be a finite duration > 0 ms, got ${ms}`);
}
