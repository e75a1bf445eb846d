import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/metrics/index.js';
import { createRandom, KeySpace, LogHistogram, uniform, zipf } from '../../src/writers/index.js';
import { PayloadSource } from '../../src/writers/payload-source.js';
import { normaliseMix, TransactionPlanner } from '../../src/writers/transaction-planner.js';
import { WriteStats } from '../../src/writers/write-stats.js';

describe('LogHistogram', () => {
  it('gives percentiles within 1 % and exact count, mean and max, in constant memory', () => {
    const h = new LogHistogram();
    for (let v = 1; v <= 10_000; v++) h.record(v / 10);
    expect(h.count).toBe(10_000);
    expect(h.mean).toBeCloseTo(500.05, 6);
    expect(h.max).toBe(1000);
    expect(h.quantile(0.5) / 500).toBeGreaterThan(0.99);
    expect(h.quantile(0.5) / 500).toBeLessThan(1.01);
    expect(h.quantile(0.99) / 990).toBeGreaterThan(0.99);
    expect(h.quantile(0.99) / 990).toBeLessThan(1.01);
    expect(h.quantile(1)).toBe(1000);
  });

  it('counts zero, negative and huge values without failing', () => {
    const h = new LogHistogram();
    h.record(0);
    h.record(-5);
    h.record(1e12);
    expect(h.count).toBe(3);
    expect(h.quantile(0.5)).toBe(0);
    expect(h.quantile(1)).toBeGreaterThan(1e6);
    expect(new LogHistogram().stats()).toEqual({ n: 0, mean: 0, p50: 0, p99: 0, max: 0 });
  });
});

describe('WriteStats', () => {
  const options = { targetRate: 100, rowsPerTransaction: 2, maxLagMs: 1000, lagThresholdMs: 50 };
  const counts = { inserted: 1, updated: 1, deleted: 0 };

  it('reports the achieved rate over the active window and emits samples with tags', () => {
    const samples: Sample[] = [];
    const stats = new WriteStats({
      ...options,
      sink: { add: (s) => samples.push(s) },
      tags: { phase: 'p1' },
    });
    stats.begin(0);
    for (let i = 0; i < 100; i++) {
      stats.arrived();
      stats.started(1);
      stats.committed(i * 10 + 5, 4, 5, counts, 2);
    }
    stats.end(1000, false);
    const summary = stats.summary(5000);
    expect(summary).toMatchObject({
      targetRate: 100,
      targetRowsRate: 200,
      scheduled: 100,
      transactions: 100,
      rows: 200,
      windowMs: 1000,
      achievedRate: 100,
      achievedRowsRate: 200,
      missedRows: 0,
      behindSchedule: false,
      running: false,
    });
    expect(summary.reason).toMatch(/^on schedule/);
    const names = new Set(samples.map((s) => s.metric));
    expect([...names].sort()).toEqual(['rows_written', 'transactions', 'write_commit', 'write_schedule_lag']);
    expect(samples.every((s) => s.tags?.phase === 'p1')).toBe(true);
    expect(samples.filter((s) => s.metric === 'rows_written').map((s) => s.tags?.op)).toContain('update');
  });

  it('is behind schedule when transactions were dropped with a writer connection free, and says so', () => {
    const stats = new WriteStats(options);
    stats.begin(0);
    stats.arrived();
    stats.arrived();
    stats.started(1);
    stats.droppedOne(false);
    const summary = stats.summary(1000);
    expect(summary.behindSchedule).toBe(true);
    expect(summary.reason).toMatch(/1 of 2 transactions dropped with a writer connection free/);
  });

  it('reports drops while every connection was busy as source backpressure, not a late generator', () => {
    const stats = new WriteStats(options);
    stats.begin(0);
    stats.arrived();
    stats.arrived();
    stats.started(1);
    stats.committed(900, 900, 900, counts, 2);
    stats.droppedOne(true);
    stats.end(1000, false);
    const summary = stats.summary(1000);
    expect(summary.behindSchedule).toBe(false);
    expect(summary.sustained).toBe(false);
    expect(summary.sourceBackpressure).toMatch(
      /^source commit p99 \d+(\.\d)? ms: the source database did not keep up with 100 tx\/s/,
    );
  });

  function judged(lateStarts: number, started: number, waitedForSlot = false) {
    const stats = new WriteStats(options);
    stats.begin(0);
    for (let i = 0; i < started; i++) {
      stats.arrived();
      // 100 tx/s: one gap is 10 ms, late means over 50 ms; 200 ms is late by any reading, 1 ms by none.
      stats.started(i < lateStarts ? 200 : 1, waitedForSlot && i < lateStarts);
      stats.committed(i * 10 + 5, 4, 5, counts, 2);
    }
    stats.end(started * 10, false);
    return stats.summary(started * 10);
  }

  it('forgives one late start, and a few in a thousand: lateness is a fraction, not a maximum', () => {
    expect(judged(1, 100)).toMatchObject({ behindSchedule: false, judged: true, lateStarts: 1 });
    expect(judged(12, 1000)).toMatchObject({ behindSchedule: false, sustained: true });
    // The old rule (p99 lag over 100 ms) voided both.
  });

  it('is behind schedule when clearly more than 1 % of starts were late with a connection free', () => {
    const summary = judged(50, 1000);
    expect(summary.behindSchedule).toBe(true);
    expect(summary.reason).toMatch(
      /50 of 1000 starts \(5\.0 %\) later than 50 ms .* with a writer connection free/,
    );
  });

  it('says "too few to judge" below 100 starts instead of voiding the phase on a late start', () => {
    const summary = judged(5, 40);
    expect(summary).toMatchObject({ behindSchedule: false, judged: false });
    expect(summary.reason).toMatch(
      /too few transactions to judge the schedule \(40 started after the settle window, needs 100\)/,
    );
  });

  it('late starts that waited for a connection are backpressure', () => {
    const summary = judged(100, 1000, true);
    expect(summary).toMatchObject({
      behindSchedule: false,
      sustained: false,
      lateWhileBusy: 100,
      lateStarts: 0,
    });
    expect(summary.sourceBackpressure).toMatch(
      /100 of 1000 starts later than 50 ms .* waiting for a writer connection/,
    );
  });

  it('counts failures by code and rows the database did not find', () => {
    const stats = new WriteStats(options);
    stats.failedWith('pg_57014', 'canceling statement due to statement timeout');
    stats.committed(1, 1, 1, { inserted: 0, updated: 1, deleted: 0 }, 2);
    const summary = stats.summary(1);
    expect(summary.errors).toEqual({ pg_57014: 1 });
    expect(summary.lastError).toMatch(/statement timeout/);
    expect(summary.missedRows).toBe(1);
  });
});

describe('TransactionPlanner', () => {
  function planner(keys: KeySpace, mix: { insert?: number; update?: number; delete?: number }, rows = 4) {
    return new TransactionPlanner(keys, {
      mix,
      rowsPerTransaction: rows,
      keyChoice: zipf(1.1),
      ownerChoice: uniform(),
      users: ['alice', 'bob'],
      payload: new PayloadSource(32, createRandom(1)),
      random: createRandom(2),
    });
  }

  it('follows the mix, with distinct live keys for updates and deletes', () => {
    const keys = new KeySpace({ initialKeys: 10_000 });
    const p = planner(keys, { insert: 1, update: 2, delete: 1 });
    const totals = { inserted: 0, updated: 0, deleted: 0 };
    for (let i = 0; i < 2500; i++) {
      const t = p.plan();
      const touched = [...t.updated, ...t.deleted];
      expect(new Set(touched).size).toBe(touched.length);
      for (const k of touched) expect(keys.isLive(k)).toBe(true);
      expect(t.insertOwners.every((o) => o === 'alice' || o === 'bob')).toBe(true);
      expect(t.insertPayloads.every((s) => s.length === 32)).toBe(true);
      totals.inserted += t.inserted.length;
      totals.updated += t.updated.length;
      totals.deleted += t.deleted.length;
      keys.settle(t, true);
    }
    expect(totals.inserted / 10_000).toBeCloseTo(0.25, 1);
    expect(totals.updated / 10_000).toBeCloseTo(0.5, 1);
    expect(totals.deleted / 10_000).toBeCloseTo(0.25, 1);
    expect(keys.liveCount).toBe(10_000 + totals.inserted - totals.deleted);
  });

  it('turns an update or delete into an insert when no key is available', () => {
    const keys = new KeySpace();
    const t = planner(keys, { delete: 1 }, 3).plan();
    expect([t.inserted.length, t.deleted.length]).toEqual([3, 0]);
  });

  it('rejects a bad mix or row count', () => {
    expect(() => normaliseMix({})).toThrow(/at least one positive weight/);
    expect(() => normaliseMix({ insert: -1, update: 2 })).toThrow(RangeError);
    expect(() => planner(new KeySpace(), { insert: 1 }, 0)).toThrow(/rowsPerTransaction/);
  });
});

describe('schedule verdict statistics', () => {
  it('binomial upper tail matches known values', async () => {
    const { binomialUpperTail, significantlyAbove } = await import('../../src/writers/schedule-verdict.js');
    // P(X ≥ 1 | n = 100, p = 0.01) = 1 − 0.99^100
    expect(binomialUpperTail(1, 100, 0.01)).toBeCloseTo(1 - 0.99 ** 100, 9);
    expect(binomialUpperTail(0, 10, 0.5)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.5)).toBe(0);
    expect(binomialUpperTail(10, 10, 0.5)).toBeCloseTo(1 / 1024, 12);
    expect(significantlyAbove(3, 100, 0.01)).toBe(false);
    expect(significantlyAbove(5, 100, 0.01)).toBe(true);
  });
});
