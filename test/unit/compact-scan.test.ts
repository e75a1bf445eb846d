import v8 from 'node:v8';
import { describe, expect, it } from 'vitest';
import { isServiceError } from '../../src/errors/index.js';
import {
  BucketScan,
  defaultCompactMemoryLimitMB,
  TRACKED_ROW_OVERHEAD_BYTES,
  validateBucketNames,
} from '../../src/service/compact/index.js';
import { resolveCompactSettings } from '../../src/service/compact/compact-options.js';

/** Feeds ops newest first; returns the MOVE decisions as `opId→target`. */
function scan(ops: Array<[opId: number, op: string, row?: string]>, budgetBytes = 1 << 20) {
  const s = new BucketScan(budgetBytes);
  const moves: string[] = [];
  for (const [opId, op, row] of ops) {
    const target = s.examine(String(opId), op, row === undefined ? null : `t/${row}/k${row}`);
    if (target !== undefined) moves.push(`${opId}→${target}`);
  }
  return { moves, clearUpTo: s.clearUpTo(), tracked: s.trackedRows, examined: s.opsExamined };
}

describe('BucketScan', () => {
  it('turns every older op of a row into a MOVE to its newest op', () => {
    const result = scan([
      [6, 'PUT', 'a'],
      [5, 'REMOVE', 'b'],
      [4, 'PUT', 'c'],
      [3, 'PUT', 'a'],
      [2, 'PUT', 'b'],
      [1, 'PUT', 'a'],
    ]);
    expect(result.moves).toEqual(['3→6', '2→5', '1→6']);
    expect(result).toMatchObject({ clearUpTo: '3', tracked: 3, examined: 6 });
  });

  it('tracks the leading run of non-PUT ops; a surviving PUT resets it, a MOVEd PUT does not', () => {
    expect(
      scan([
        [3, 'PUT', 'a'],
        [2, 'REMOVE', 'b'],
        [1, 'PUT', 'c'],
      ]).clearUpTo,
    ).toBeNull();
    expect(
      scan([
        [3, 'PUT', 'a'],
        [2, 'REMOVE', 'b'],
        [1, 'PUT', 'a'],
      ]).clearUpTo,
    ).toBe('2');
  });

  it('needs more than one REMOVE/MOVE in the run; CLEARs are part of the run but not counted', () => {
    expect(
      scan([
        [3, 'PUT', 'a'],
        [2, 'PUT', 'a'],
        [1, 'CLEAR'],
      ]).clearUpTo,
    ).toBeNull();
    expect(
      scan([
        [4, 'PUT', 'a'],
        [3, 'MOVE'],
        [2, 'REMOVE', 'b'],
        [1, 'CLEAR'],
      ]).clearUpTo,
    ).toBe('3');
  });

  it('stops tracking new rows beyond the budget: fewer MOVEs, the untracked PUT survives', () => {
    const keyBytes = 't/a/ka'.length + TRACKED_ROW_OVERHEAD_BYTES;
    const ops: Array<[number, string, string]> = [
      [4, 'PUT', 'a'],
      [3, 'PUT', 'b'],
      [2, 'PUT', 'b'],
      [1, 'PUT', 'a'],
    ];
    expect(scan(ops, keyBytes)).toMatchObject({ moves: ['1→4'], tracked: 1, clearUpTo: null });
    expect(scan(ops, 0)).toMatchObject({ moves: [], tracked: 0 });
    expect(scan(ops)).toMatchObject({ moves: ['2→3', '1→4'], tracked: 2, clearUpTo: '2' });
  });
});

describe('compact options', () => {
  it('defaults the memory budget to min(heap limit − 128 MB, 1024 MB)', () => {
    const heapMB = v8.getHeapStatistics().heap_size_limit / (1024 * 1024);
    expect(defaultCompactMemoryLimitMB()).toBe(Math.max(0, Math.min(Math.floor(heapMB - 128), 1024)));
    expect(resolveCompactSettings({})).toMatchObject({
      memoryLimitMB: defaultCompactMemoryLimitMB(),
      moveBatchQueryLimit: 10_000,
      moveBatchLimit: 2_000,
      clearBatchLimit: 5_000,
    });
    expect(resolveCompactSettings({ memoryLimitMB: 2 }).seenBudgetBytes).toBe(2 * 1024 * 1024);
  });

  it('accepts only full bucket names', () => {
    expect(validateBucketNames(['global[]', '1#by_user["u1"]'])).toEqual([]);
    expect(validateBucketNames(['by_user', 'global[]', ''])).toEqual([
      expect.stringMatching(/^buckets\[0\]: "by_user" is not a full bucket name/),
      expect.stringMatching(/^buckets\[2\]: "" is not a full bucket name/),
    ]);
  });

  it('reports every invalid option at once', () => {
    let error: unknown;
    try {
      resolveCompactSettings({ buckets: ['x'], memoryLimitMB: -1, moveBatchLimit: 0, clearBatchLimit: 1 });
    } catch (e) {
      error = e;
    }
    expect(isServiceError(error, 'SSCALE_E0003')).toBe(true);
    expect((error as { details: string }).details.split('\n')).toHaveLength(4);
  });
});
