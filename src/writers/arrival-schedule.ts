import { createRandom } from './random.js';
import type { RateShape } from './rate-shape.js';

/** How start times are spread: `even` at exact intervals of the rate, or `poisson` (exponential gaps). */
export type ArrivalProcess = 'even' | 'poisson';

export interface ScheduleOptions {
  /** Length of the schedule in ms; defaults to the shape's own length (required for `constant`). */
  durationMs?: number;
  arrivals?: ArrivalProcess;
  /** Seed of the Poisson gaps; the same seed gives the same schedule. Default 1. */
  seed?: number;
}

/**
 * The open-loop schedule of a shape: the start time (ms after the start) of every transaction in
 * [0, durationMs), in order, computed one at a time. `even` places the k-th start where k arrivals are
 * expected; `poisson` draws unit-mean exponential gaps in expected-count space and maps them back through the
 * shape (an exact non-homogeneous Poisson process for a piecewise-linear rate).
 */
export function* arrivalSchedule(shape: RateShape, options: ScheduleOptions = {}): Generator<number, void> {
  const end = scheduleLength(shape, options.durationMs);
  const random = options.arrivals === 'poisson' ? createRandom(options.seed ?? 1, 0x5c4ed) : undefined;
  const timeOf = shape.inverter();
  let count = random ? random.exponential() : 0;
  for (;;) {
    const at = timeOf(count);
    if (!(at < end)) return;
    yield at;
    count += random ? random.exponential() : 1;
  }
}

/** The bounded length of a schedule: the shorter of the requested duration and the shape's own length. */
export function scheduleLength(shape: RateShape, durationMs?: number): number {
  if (durationMs !== undefined && (!Number.isFinite(durationMs) || durationMs < 0)) {
    throw new RangeError(`durationMs must be a finite duration ≥ 0 ms, got ${durationMs}`);
  }
  const length = Math.min(durationMs ?? Infinity, shape.durationMs);
  if (!Number.isFinite(length)) {
    throw new RangeError(`a ${shape.kind} rate shape never ends: give the schedule a durationMs`);
  }
  return length;
}
