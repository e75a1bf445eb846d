import { describe, expect, it } from 'vitest';
import { objectiveBound } from '../../../../src/analysis/recommend/objective-bounds.js';

const level = (connections: number, p99: number, writeRate = 50) => ({
  phase: `c${connections}-w${writeRate}`,
  connections,
  writeRate,
  p99: { e2e_latency: p99 },
});

describe('objectiveBound', () => {
  it('bounds at the highest level met below the first missed', () => {
    const b = objectiveBound(
      'e2e-latency',
      'e2e_latency',
      2000,
      [level(250, 900), level(500, 1500), level(1000, 2500)],
      50,
    );
    expect(b).toMatchObject({ kind: 'empirical', maxConnections: 500 });
    expect(b.text).toBe(
      'e2e p99 ≤ 2000 ms: met at 500 (1500 ms at 50 tx/s), exceeded at 1000 (2500 ms at 50 tx/s) → ≤ 500–1000 per container',
    );
  });

  it('a fit may place the limit inside the bracket, never beyond the first miss', () => {
    const levels = [level(250, 900), level(500, 1500), level(1000, 2500)];
    expect(objectiveBound('latency', 'e2e_latency', 2000, levels, 50, 800).maxConnections).toBe(800);
    expect(objectiveBound('latency', 'e2e_latency', 2000, levels, 50, 5000).maxConnections).toBe(999);
    // A fit below the measured pass does not lower it: the level was measured.
    expect(objectiveBound('latency', 'e2e_latency', 2000, levels, 50, 100).maxConnections).toBe(500);
  });

  it('no level missed: no bound measured (extrapolated beyond the highest level until verified)', () => {
    const b = objectiveBound('e2e-latency', 'e2e_latency', 2000, [level(250, 900), level(500, 1500)], 50);
    expect(b).toMatchObject({ kind: 'unbounded', maxConnections: null });
    expect(b.text).toMatch(/met at every level measured, up to 500 .*extrapolated until verified/);
  });

  it('the lowest level missed: nothing fits, say so', () => {
    const b = objectiveBound('e2e-latency', 'e2e_latency', 2000, [level(250, 2100), level(500, 2500)], 50);
    expect(b).toMatchObject({ kind: 'below-lowest', maxConnections: 0 });
  });

  it('a miss above the peak rate does not bound the peak; a pass below it is marked optimistic', () => {
    const b = objectiveBound(
      'e2e-latency',
      'e2e_latency',
      2000,
      [level(250, 900, 10), level(500, 1500, 10), level(500, 2500, 100)],
      50,
    );
    expect(b.kind).toBe('unbounded');
    const c = objectiveBound(
      'e2e-latency',
      'e2e_latency',
      2000,
      [level(250, 900, 10), level(500, 2500, 10)],
      50,
    );
    expect(c.maxConnections).toBe(250);
    expect(c.notes.join()).toMatch(/met at 10 tx\/s only, below the peak 50 tx\/s/);
  });

  it('not measured when no level has samples of the metric', () => {
    expect(objectiveBound('e2e-latency', 'e2e_latency', 2000, [], 50).kind).toBe('not-measured');
  });
});
