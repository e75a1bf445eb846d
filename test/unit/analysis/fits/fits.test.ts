import { describe, expect, it } from 'vitest';
import {
  fitApiMemory,
  fitLine,
  fitReplicationMaxRate,
  seededRandom,
  theilSen,
  type ConnectionLevel,
  type Point,
  type WriteLevel,
} from '../../../../src/analysis/index.js';

/** y = intercept + slope·x with Gaussian-ish noise (sum of uniforms), deterministic. */
function synthetic(xs: number[], intercept: number, slope: number, noise: number, seed = 7): Point[] {
  const random = seededRandom(seed);
  return xs.map((x) => ({
    x,
    y: intercept + slope * x + noise * (random() + random() + random() - 1.5) * 2,
  }));
}

function levels(points: Point[]): ConnectionLevel[] {
  return points.map((p, i) => ({
    phase: `l${i}`,
    clients: p.x,
    api: [{ phase: `l${i}`, process: 'api-0', connections: p.x, rssMb: p.y }],
  }));
}

const options = {
  kind: 'api-memory' as const,
  description: 'test',
  x: { name: 'connections', unit: 'connection' },
  y: { name: 'RSS', unit: 'MB' },
  slopeName: 'slope',
  interceptName: 'intercept',
};

describe('Theil–Sen', () => {
  it('recovers slope and intercept exactly on clean data and ignores an outlier', () => {
    const points = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((x) => ({ x, y: 3 + 2 * x }));
    points[4] = { x: 4, y: 500 };
    const line = theilSen(points)!;
    expect(line.slope).toBeCloseTo(2, 9);
    expect(line.intercept).toBeCloseTo(3, 9);
  });

  it('returns null without two distinct x', () => {
    expect(
      theilSen([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toBeNull();
  });
});

describe('memory against connections', () => {
  // The real service: ~370 MB idle and ~230 KB per idle stream.
  const slopeMb = 230 / 1024;
  const xs = [25, 50, 100, 200, 400, 800];

  it('recovers a known per-connection cost within 10 % with noise and an outlier, with an interval holding it', () => {
    const points = synthetic(xs, 370, slopeMb, 4);
    points[2] = { x: 100, y: 520 }; // a GC spike
    const fit = fitApiMemory(levels(points));
    expect(fit.refused).toBeUndefined();
    const [slope, intercept, kb] = fit.estimates;
    expect(slope!.value).toBeGreaterThan(slopeMb * 0.9);
    expect(slope!.value).toBeLessThan(slopeMb * 1.1);
    expect(intercept!.value).toBeGreaterThan(360);
    expect(intercept!.value).toBeLessThan(380);
    expect(kb!.unit).toBe('KB/connection');
    expect(fit.interval![0]).toBeLessThan(slopeMb);
    expect(fit.interval![1]).toBeGreaterThan(slopeMb);
    expect(fit.n).toBe(6);
    expect(fit.points).toEqual(points);
    const p = fit.predict(1000)!;
    expect(p.value).toBeCloseTo(intercept!.value + slope!.value * 1000, 6);
    expect(p.low).toBeLessThan(p.value);
    expect(p.high).toBeGreaterThan(p.value);
    expect(Math.abs(p.value - (370 + slopeMb * 1000)) / (370 + slopeMb * 1000)).toBeLessThan(0.05);
  });

  it('refuses two levels', () => {
    const fit = fitLine(synthetic([25, 50, 25, 50], 370, 1, 1), options);
    expect(fit.refused).toMatch(/too few levels: 2 distinct/);
    expect(fit.predict(100)).toBeNull();
  });

  it('refuses a flat (non-positive) slope', () => {
    const fit = fitLine(
      xs.map((x) => ({ x, y: 370 - 0.01 * x })),
      options,
    );
    expect(fit.refused).toMatch(/non-positive slope/);
  });

  it('refuses noisy data whose interval is wider than the estimate', () => {
    const fit = fitLine(synthetic(xs, 370, 0.01, 60, 3), options);
    expect(fit.refused).toMatch(/too noisy|non-positive/);
    expect(fit.predict(100)).toBeNull();
  });

  it('refuses an invalid run whatever the data', () => {
    const fit = fitApiMemory(levels(synthetic(xs, 370, slopeMb, 1)), 'generator CPU above 0.9 of a core');
    expect(fit.refused).toBe('the run is invalid: generator CPU above 0.9 of a core');
  });
});

describe('highest sustained write rate', () => {
  const level = (rate: number, lag: number, e2e: number): WriteLevel => ({
    phase: `writes-${rate}`,
    targetRate: rate,
    achievedRate: rate,
    rowsPerSecond: rate,
    lagMaxSeconds: lag,
    e2eP99Ms: e2e,
  });

  it('stops at the last level before lag grows', () => {
    const fit = fitReplicationMaxRate([level(20, 0.01, 30), level(50, 0.02, 35), level(100, 4, 3000)]);
    expect(fit.estimates[0]).toMatchObject({ value: 50, unit: 'tx/s', lowerBound: false });
    expect(fit.notes.join(' ')).toMatch(/not flat at 100 tx\/s/);
  });

  it('reports a lower bound when every level is flat', () => {
    const fit = fitReplicationMaxRate([level(20, 0.01, 30), level(50, 0.02, 35), level(100, 0.01, 60)]);
    expect(fit.estimates[0]).toMatchObject({ value: 100, lowerBound: true });
    expect(fit.notes.join(' ')).toMatch(/lower bound/);
  });
});
