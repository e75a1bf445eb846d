import { describe, expect, it } from 'vitest';
import {
  createChooser,
  createRandom,
  KeySpace,
  uniform,
  zipf,
  type IndexChooser,
} from '../../src/writers/index.js';

function histogram(choose: IndexChooser, n: number, draws: number): number[] {
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < draws; i++) counts[choose(n)]! += 1;
  return counts;
}

/** P(rank k) = k^-s / H(n, s). */
function zipfPmf(n: number, s: number): number[] {
  const weights = Array.from({ length: n }, (_, i) => Math.pow(i + 1, -s));
  const total = weights.reduce((a, b) => a + b, 0);
  return weights.map((w) => w / total);
}

describe('key choice', () => {
  it('uniform: every index about equally often, all in range', () => {
    const counts = histogram(createChooser(uniform(), createRandom(1)), 10, 100_000);
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it.each([0.5, 1, 1.2, 2])('zipf(%s) matches the exact distribution over 1000 keys', (s) => {
    const n = 1000;
    const draws = 200_000;
    const counts = histogram(createChooser(zipf(s), createRandom(9)), n, draws);
    const pmf = zipfPmf(n, s);
    for (const rank of [0, 1, 2, 9, 99]) {
      const expected = (pmf[rank] as number) * draws;
      const sigma = Math.sqrt(expected);
      expect(Math.abs((counts[rank] as number) - expected)).toBeLessThan(4 * sigma + 1);
    }
    expect(counts.every((c) => c >= 0)).toBe(true);
  });

  it('zipf skew: the hottest 1 % of keys take far more than 1 % of draws, and more as s grows', () => {
    const share = (s: number) => {
      const counts = histogram(createChooser(zipf(s), createRandom(5)), 10_000, 100_000);
      return counts.slice(0, 100).reduce((a, b) => a + b, 0) / 100_000;
    };
    const mild = share(0.8);
    const strong = share(1.2);
    expect(mild).toBeGreaterThan(0.1);
    expect(strong).toBeGreaterThan(mild);
    expect(strong).toBeGreaterThan(0.6);
  });

  it('zipf works over a key space that grows between draws', () => {
    const choose = createChooser(zipf(1.1), createRandom(2));
    for (let n = 1; n < 2000; n++) {
      const i = choose(n);
      expect(i).toBeGreaterThanOrEqual(0);
      expect(i).toBeLessThan(n);
    }
  });

  it('rejects a bad exponent', () => {
    expect(() => zipf(0)).toThrow(RangeError);
    expect(() => zipf(Number.NaN)).toThrow(RangeError);
  });
});

describe('KeySpace', () => {
  it('starts with the loaded keys live and hands out fresh indexes after them', () => {
    const keys = new KeySpace({ initialKeys: 70 });
    expect(keys.liveCount).toBe(70);
    expect(keys.isLive(69)).toBe(true);
    expect(keys.isLive(70)).toBe(false);
    expect(keys.allocate()).toBe(70);
    expect(keys.key(70)).toBe('k70');
    expect(keys.isLive(70)).toBe(false);
  });

  it('inserts become live only when committed; committed deletes are dead for good', () => {
    const keys = new KeySpace();
    const a = keys.allocate();
    const b = keys.allocate();
    keys.settle({ inserted: [a], updated: [], deleted: [] }, true);
    keys.settle({ inserted: [b], updated: [], deleted: [] }, false);
    expect([keys.isLive(a), keys.isLive(b), keys.liveCount]).toEqual([true, false, 1]);
    const picked = keys.reserveExisting(() => 0);
    expect(picked).toBe(a);
    keys.settle({ inserted: [], updated: [], deleted: [a] }, true);
    expect(keys.liveCount).toBe(0);
    expect(keys.reserveExisting(() => 0)).toBeUndefined();
  });

  it('a failed delete retires its key (its outcome may be unknown)', () => {
    const keys = new KeySpace({ initialKeys: 2 });
    const picked = keys.reserveExisting(() => 1) as number;
    keys.settle({ inserted: [], updated: [], deleted: [picked] }, false);
    expect(keys.isLive(picked)).toBe(false);
    expect(keys.reservedCount).toBe(0);
  });

  it('never hands one key to two transactions at once, and only live keys', () => {
    const keys = new KeySpace({ initialKeys: 100 });
    for (let i = 0; i < 100; i += 3) keys.settle({ inserted: [], updated: [], deleted: [i] }, true);
    const choose = createChooser(zipf(1.5), createRandom(4));
    const held = new Set<number>();
    for (;;) {
      const k = keys.reserveExisting(choose);
      if (k === undefined) break;
      expect(keys.isLive(k)).toBe(true);
      expect(held.has(k)).toBe(false);
      held.add(k);
    }
    expect(held.size).toBe(66);
    keys.settle({ inserted: [], updated: [...held], deleted: [] }, true);
    expect(keys.reservedCount).toBe(0);
    expect(keys.reserveExisting(choose)).toBeDefined();
  });

  it('finds the few live keys of a large, mostly deleted space by scanning', () => {
    const keys = new KeySpace({ initialKeys: 100_000 });
    for (let i = 0; i < 100_000; i++) {
      if (i !== 12_345 && i !== 99_999) keys.settle({ inserted: [], updated: [], deleted: [i] }, true);
    }
    const choose = () => 50_000;
    expect(keys.reserveExisting(choose)).toBe(99_999);
    expect(keys.reserveExisting(choose)).toBe(12_345);
    expect(keys.reserveExisting(choose)).toBeUndefined();
    expect([...keys.liveIndexes()]).toEqual([12_345, 99_999]);
  });

  it('grows its bitmap past word and buffer boundaries', () => {
    const keys = new KeySpace({ initialKeys: 31 });
    const inserted: number[] = [];
    for (let i = 0; i < 5000; i++) inserted.push(keys.allocate());
    keys.settle({ inserted, updated: [], deleted: [] }, true);
    expect(keys.liveCount).toBe(5031);
    expect([...keys.liveIndexes()]).toHaveLength(5031);
  });
});
