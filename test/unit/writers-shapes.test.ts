import { describe, expect, it } from 'vitest';
import { arrivalSchedule, constant, ramp, steps, type RateShape } from '../../src/writers/index.js';

/** Start times of a schedule counted per window of `windowMs`. */
function countsPerWindow(times: Iterable<number>, windowMs: number, windows: number): number[] {
  const counts = new Array<number>(windows).fill(0);
  for (const t of times) counts[Math.floor(t / windowMs)]! += 1;
  return counts;
}

function all(
  shape: RateShape,
  durationMs?: number,
  arrivals: 'even' | 'poisson' = 'even',
  seed = 1,
): number[] {
  return [...arrivalSchedule(shape, { ...(durationMs === undefined ? {} : { durationMs }), arrivals, seed })];
}

describe('rate shapes', () => {
  it('constant: rate × duration starts, evenly spaced from 0', () => {
    const times = all(constant(200), 3000);
    expect(times).toHaveLength(600);
    expect(times[0]).toBe(0);
    expect(times[1]).toBeCloseTo(5, 9);
    expect(times[599]).toBeCloseTo(2995, 6);
    expect(countsPerWindow(times, 1000, 3)).toEqual([200, 200, 200]);
    expect(constant(200).meanRate(3000)).toBeCloseTo(200, 9);
  });

  it('steps: each step keeps its own rate, a zero step is silent, the shape ends after the last', () => {
    const shape = steps([
      { rate: 100, durationMs: 1000 },
      { rate: 0, durationMs: 1000 },
      { rate: 300, durationMs: 1000 },
    ]);
    expect(shape.durationMs).toBe(3000);
    const times = all(shape);
    expect(countsPerWindow(times, 1000, 3)).toEqual([100, 0, 300]);
    expect(times[100]).toBe(2000);
    expect(all(shape, 10_000)).toHaveLength(400);
    expect(shape.rateAt(2500)).toBe(300);
    expect(shape.rateAt(3500)).toBe(0);
  });

  it('ramp: expected count is the integral of a linear rate', () => {
    const up = ramp(0, 200, 2000);
    expect(up.expectedCount(1000)).toBeCloseTo(50, 9);
    expect(up.expectedCount(2000)).toBeCloseTo(200, 9);
    expect(countsPerWindow(all(up), 1000, 2)).toEqual([50, 150]);
    const down = ramp(300, 100, 1000);
    expect(countsPerWindow(all(down), 250, 4)).toEqual([69, 56, 44, 31]);
    expect(down.rateAt(500)).toBeCloseTo(200, 9);
  });

  it('a schedule never extends past the requested duration or the shape', () => {
    expect(all(constant(10), 950)).toHaveLength(10);
    expect(all(ramp(10, 10, 500), 5000)).toHaveLength(5);
    expect(() => all(constant(10))).toThrow(/never ends/);
  });

  it('is lazy: an hour at a million per second yields its first starts at once', () => {
    const iterator = arrivalSchedule(constant(1_000_000), { durationMs: 3_600_000 })[Symbol.iterator]();
    const first = [iterator.next().value, iterator.next().value, iterator.next().value];
    expect(first).toEqual([0, 0.001, 0.002]);
  });

  it('rejects bad rates and durations', () => {
    expect(() => constant(-1)).toThrow(RangeError);
    expect(() => constant(Number.NaN)).toThrow(RangeError);
    expect(() => steps([])).toThrow(RangeError);
    expect(() => steps([{ rate: 1, durationMs: 0 }])).toThrow(/steps\(\)\[0\]\.durationMs/);
    expect(() => ramp(0, 10, Infinity)).toThrow(RangeError);
  });
});

describe('Poisson arrivals', () => {
  it('a seeded run has the expected mean count and exponential gaps', () => {
    const times = all(constant(500), 20_000, 'poisson', 42);
    // Expected 10 000 starts, σ = 100: a fixed seed lands well inside ±3σ.
    expect(Math.abs(times.length - 10_000)).toBeLessThan(300);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length);
    expect(mean).toBeGreaterThan(1.94);
    expect(mean).toBeLessThan(2.06);
    // Exponential: standard deviation equals the mean; an even schedule has none.
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
    // Counts per 100 ms window are Poisson(50): variance ≈ mean.
    const counts = countsPerWindow(times, 100, 200);
    const cMean = counts.reduce((a, b) => a + b, 0) / counts.length;
    const cVar = counts.reduce((a, c) => a + (c - cMean) ** 2, 0) / counts.length;
    expect(cVar / cMean).toBeGreaterThan(0.75);
    expect(cVar / cMean).toBeLessThan(1.3);
  });

  it('follows a time-varying rate', () => {
    const times = all(
      steps([
        { rate: 200, durationMs: 5000 },
        { rate: 1000, durationMs: 5000 },
      ]),
      undefined,
      'poisson',
      7,
    );
    const [low, high] = countsPerWindow(times, 5000, 2) as [number, number];
    expect(Math.abs(low - 1000)).toBeLessThan(100);
    expect(Math.abs(high - 5000)).toBeLessThan(225);
  });

  it('repeats for a seed and differs between seeds', () => {
    const a = all(constant(100), 2000, 'poisson', 3);
    expect(all(constant(100), 2000, 'poisson', 3)).toEqual(a);
    expect(all(constant(100), 2000, 'poisson', 4)).not.toEqual(a);
  });
});
