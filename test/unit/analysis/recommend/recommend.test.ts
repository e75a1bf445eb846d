import { describe, expect, it } from 'vitest';
import {
  checkHeap,
  maxWithin,
  sizeApiContainers,
  validateMemoryModel,
  type ApiSizing,
  type ConnectionLevel,
  type Prediction,
  type Quantity,
} from '../../../../src/analysis/index.js';

/** A deterministic linear predictor with a ±band. */
const line =
  (intercept: number, slope: number, band = 0) =>
  (x: number): Prediction => ({
    value: intercept + slope * x,
    low: intercept + slope * x - band,
    high: intercept + slope * x + band,
  });

const base = {
  designConnections: 1000,
  cap: 100,
  shape: { cpu: 1, memoryMb: 1024 },
  targetUtilisation: 0.7,
  ha: { nPlusOne: true, minContainers: 2 },
};

const sized = (s: ReturnType<typeof sizeApiContainers>): ApiSizing => {
  if ('infeasible' in s) throw new Error(s.infeasible);
  return s;
};

describe('API containers', () => {
  it('the configured cap is checked, not used: memory binds and the cap gets a warning', () => {
    const s = sizeApiContainers({ ...base, memory: line(370, 0.2) });
    if ('infeasible' in s) throw new Error(s.infeasible);
    // memory: 370 + 0.2 m ≤ 716.8 → m = 1734 per container → ceil(1000/1734) = 1 → N+1 and at least 2 → 2
    expect(s.limits.find((l) => l.name === 'memory')).toMatchObject({
      containers: 1,
      maxConnectionsPerContainer: 1734,
    });
    expect(s).toMatchObject({ binding: 'memory', baseContainers: 1, containers: 2, recommendedCap: 1734 });
    expect(s.capCheck.warning).toBe(
      'your cap 100 leaves 94 % of the container unused (measured limit 1734 connections)',
    );
    const over = sizeApiContainers({ ...base, cap: 5000, memory: line(370, 0.2) });
    if ('infeasible' in over) throw new Error(over.infeasible);
    expect(over.capCheck.warning).toBe(
      'your cap 5000 exceeds the measured limit 1734 connections per container',
    );
  });

  it('only when nothing was measured does the cap bind, and it says so', () => {
    const s = sizeApiContainers({ ...base });
    if ('infeasible' in s) throw new Error(s.infeasible);
    expect(s).toMatchObject({
      binding: 'connection-cap',
      baseContainers: 10,
      containers: 11,
      recommendedCap: null,
    });
    expect(s.limits.find((l) => l.name === 'connection-cap')!.note).toMatch(/not a measurement/);
  });

  it('each measured limit carries its central value and band', () => {
    const s = sized(sizeApiContainers({ ...base, cap: 400, memory: line(370, 2, 46.8) }));
    const memory = s.limits.find((l) => l.name === 'memory')!;
    // high band: 150; value: 173; low band: 196
    expect(memory).toMatchObject({ maxConnectionsPerContainer: 150, central: 173, optimistic: 196 });
  });

  it("a band whose low edge never reaches the budget is open, not the search's end", () => {
    // CPU 0.1 + 0.002 cores/connection ± (0.002 × m): the low edge costs nothing per connection.
    const cpu = (m: number): Prediction => ({ value: 0.1 + 0.002 * m, low: 0.1, high: 0.1 + 0.004 * m });
    const s = sized(sizeApiContainers({ ...base, cap: 400, cpu }));
    const limit = s.limits.find((l) => l.name === 'cpu')!;
    expect(limit).toMatchObject({ maxConnectionsPerContainer: 150, central: 300, openBand: true });
    expect(limit.optimistic).toBeUndefined(); // was 100,000: where the search stopped
  });

  it('memory binds: 370 MB + 2 MB/connection, 0.7 × 1024 MB → 173 per container → 6 → 7', () => {
    // 370 + 2m ≤ 716.8 → m ≤ 173.4 → 173 → ceil(1000/173) = 6; cap 400 so the cap (3) does not bind
    const s = sized(sizeApiContainers({ ...base, cap: 400, memory: line(370, 2) }));
    expect(s.limits.find((l) => l.name === 'memory')!.maxConnectionsPerContainer).toBe(173);
    expect(s).toMatchObject({ binding: 'memory', baseContainers: 6, containers: 7 });
  });

  it('the prediction band, not the point, is held to the budget', () => {
    // high = 370 + 2m + 46.8 ≤ 716.8 → m ≤ 150 → ceil(1000/150) = 7
    const s = sized(sizeApiContainers({ ...base, cap: 400, memory: line(370, 2, 46.8) }));
    expect(s.limits.find((l) => l.name === 'memory')!.maxConnectionsPerContainer).toBe(150);
    expect(s.baseContainers).toBe(7);
  });

  it('CPU binds: 0.05 + 0.004 cores/connection at 0.7 cores → 162 per container', () => {
    const s = sized(sizeApiContainers({ ...base, cap: 400, cpu: line(0.05, 0.004) }));
    expect(s.limits.find((l) => l.name === 'cpu')!.maxConnectionsPerContainer).toBe(162);
    expect(s).toMatchObject({ binding: 'cpu', baseContainers: 7, containers: 8 });
  });

  it('latency binds: 12 ms per connection against a 1000 ms objective → 83 per container', () => {
    const s = sized(
      sizeApiContainers({
        ...base,
        cap: 200,
        latency: line(0, 12),
        latencyObjectiveMs: 1000,
        memory: line(370, 0.2),
      }),
    );
    expect(s.limits.find((l) => l.name === 'latency')!.maxConnectionsPerContainer).toBe(83);
    expect(s).toMatchObject({ binding: 'latency', baseContainers: 13, containers: 14 });
  });

  it('HA rule: a small load still gets at least 2, and N+1 on top of one', () => {
    const s = sized(
      sizeApiContainers({ ...base, designConnections: 50, ha: { nPlusOne: false, minContainers: 2 } }),
    );
    expect(s).toMatchObject({ baseContainers: 1, containers: 2, haAdded: 1 });
    const t = sized(
      sizeApiContainers({ ...base, designConnections: 50, ha: { nPlusOne: true, minContainers: 3 } }),
    );
    expect(t.containers).toBe(3);
  });

  it('a limit without a prediction is reported with its reason, not guessed', () => {
    const s = sized(sizeApiContainers({ ...base, missing: { memory: 'api-memory fit refused: flat' } }));
    expect(s.limits.find((l) => l.name === 'memory')).toMatchObject({
      containers: null,
      note: 'api-memory fit refused: flat',
    });
  });

  it('a shape too small for one connection is infeasible', () => {
    const s = sizeApiContainers({ ...base, memory: line(900, 1) });
    expect('infeasible' in s && s.infeasible).toMatch(/memory/);
  });

  it('maxWithin finds the largest load within budget', () => {
    expect(maxWithin(line(0, 1), 10.5, 100)).toBe(10);
    expect(maxWithin(line(0, 1), 1000, 100)).toBe(100);
    expect(maxWithin(() => null, 1, 100)).toBeNull();
  });
});

describe('heap margin', () => {
  const heap = (value: number, high: number): Quantity => ({
    value,
    high,
    low: value,
    unit: 'MB',
    evidence: { source: 'fit' },
    assumptions: [],
  });

  it('sets 80 % of container memory and passes with 1.5× the predicted high', () => {
    const h = checkHeap(1024, heap(400, 500));
    expect(h).toMatchObject({
      maxOldSpaceSizeMb: 819,
      nodeOptions: '--max-old-space-size=819',
      sufficient: true,
    });
    expect(h.flag).toBeUndefined();
  });

  it('flags a heap limit below 1.5× the predicted heap', () => {
    // 1.5 × 600 = 900 > 819
    const h = checkHeap(1024, heap(550, 600));
    expect(h.sufficient).toBe(false);
    expect(h.flag).toMatch(/too small: 819 MB < 1.5 × predicted heap 600 MB/);
  });
});

describe('model validation', () => {
  const levelsOf = (rss: (c: number) => number): ConnectionLevel[] =>
    [25, 50, 100, 200].map((c) => ({
      phase: `connections-${c}`,
      clients: c,
      api: [{ phase: `connections-${c}`, process: 'api-0', connections: c, rssMb: rss(c) }],
    }));

  it('predicts the held-out highest level of linear data within 15 %', () => {
    const v = validateMemoryModel(levelsOf((c) => 370 + 0.23 * c + (c % 3)));
    expect(v.heldOutConnections).toBe(200);
    expect(v.fittedOn).toEqual([25, 50, 100]);
    expect(Math.abs(v.errorPercent!)).toBeLessThan(2);
    expect(v.withinTolerance).toBe(true);
  });

  it('says so when the held-out level departs from the line by more than 15 %', () => {
    const v = validateMemoryModel(levelsOf((c) => (c === 200 ? 700 : 370 + 0.23 * c)));
    expect(v.withinTolerance).toBe(false);
    expect(v.message).toMatch(/EXCEEDS ±15 %/);
  });

  it('refuses with fewer than 4 levels', () => {
    const v = validateMemoryModel(levelsOf((c) => 370 + c).slice(0, 3));
    expect(v.errorPercent).toBeNull();
    expect(v.message).toMatch(/at least 4 needed/);
  });
});
