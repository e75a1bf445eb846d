import { describe, expect, it } from 'vitest';
import { SyncState, toU32, type OplogEntry } from '../../src/fleet/index.js';
import { addChecksums, putChecksum, removeChecksum, toInt32 } from '../../src/protocol/index.js';

const B = '1#by_user["u1"]';
const G = '1#global[]';

function put(opId: number, id: string, data = `{"id":"${id}"}`, type = 'todos'): OplogEntry {
  return {
    op_id: String(opId),
    op: 'PUT',
    object_type: type,
    object_id: id,
    subkey: `sk-${id}`,
    data,
    checksum: putChecksum(type, id, data),
  };
}

function remove(opId: number, id: string, type = 'todos'): OplogEntry {
  return {
    op_id: String(opId),
    op: 'REMOVE',
    object_type: type,
    object_id: id,
    subkey: `sk-${id}`,
    data: null,
    checksum: removeChecksum(`sk-${id}`),
  };
}

const sum = (...values: number[]) => values.reduce((a, b) => addChecksums(a, b), 0);

function checkpoint(state: SyncState, lastOpId: string, buckets: Array<[string, number, number?]>) {
  state.applyCheckpoint({
    last_op_id: lastOpId,
    buckets: buckets.map(([bucket, checksum, priority]) => ({
      bucket,
      checksum: toInt32(checksum),
      priority: priority ?? 3,
      count: 0,
    })),
  });
}

describe('fleet checksum validation (protocol.md §1.7)', () => {
  it('validates PUTs at checkpoint_complete and applies the checkpoint id as the position', () => {
    const state = new SyncState();
    const ops = [put(11, 't1'), put(12, 't2')];
    checkpoint(state, '12', [[B, sum(...ops.map((o) => o.checksum as number))]]);
    state.applyData({ bucket: B, data: ops });
    const outcome = state.complete('12');
    expect(outcome.failed).toEqual([]);
    expect(outcome.validated).toBe(1);
    expect(state.requestBuckets()).toEqual([{ name: B, after: '12' }]);
  });

  it('catches a corrupted op checksum and deletes the bucket locally', () => {
    const state = new SyncState();
    const good = put(11, 't1');
    checkpoint(state, '11', [
      [B, good.checksum as number],
      [G, 0],
    ]);
    state.applyData({ bucket: B, data: [{ ...good, checksum: ((good.checksum as number) ^ 1) >>> 0 }] });
    const outcome = state.complete('11');
    expect(outcome.failed).toEqual([B]);
    // The failing bucket is re-requested from scratch (absent ⇒ after 0); the other one is applied.
    expect(state.requestBuckets()).toEqual([{ name: G, after: '11' }]);
    expect(state.checksumOf(B)).toBeUndefined();
  });

  it('catches a wrong bucket checksum in the checkpoint line', () => {
    const state = new SyncState();
    const op = put(5, 't1');
    checkpoint(state, '5', [[B, addChecksums(op.checksum as number, 1)]]);
    state.applyData({ bucket: B, data: [op] });
    expect(state.complete('5').failed).toEqual([B]);
  });

  it('accumulates superseded, removed and MOVE checksums; CLEAR resets', () => {
    const state = new SyncState();
    const p1 = put(1, 't1', '{"id":"t1","v":1}');
    const p2 = put(2, 't1', '{"id":"t1","v":2}'); // supersedes p1
    const r3 = remove(3, 't1');
    const move: OplogEntry = { op_id: '4', op: 'MOVE', checksum: 123456789 };
    const ops = [p1, p2, r3, move];
    checkpoint(state, '4', [[B, sum(...ops.map((o) => o.checksum as number))]]);
    state.applyData({ bucket: B, data: ops });
    expect(state.complete('4').failed).toEqual([]);

    // After compaction the server sends CLEAR carrying the sum of everything it replaced, then new ops.
    const cleared = sum(...ops.map((o) => o.checksum as number));
    const p5 = put(5, 't2');
    const clear: OplogEntry = { op_id: '4', op: 'CLEAR', checksum: toInt32(cleared) };
    const fresh = new SyncState();
    checkpoint(fresh, '5', [[B, sum(cleared, p5.checksum as number)]]);
    fresh.applyData({ bucket: B, data: [put(1, 'x'), put(2, 'y'), clear, p5] }); // ops before CLEAR are discarded
    expect(fresh.complete('5').failed).toEqual([]);
  });

  it('wraps at 2^32 and accepts int32, uint32, bigint and whole-double checksums', () => {
    const t1 = putChecksum('test', 't1', '{"id":"t1","description":"Test 1"}');
    const t2 = putChecksum('test', 't2', '{"id":"t2","description":"Test 2"}');
    expect(t1 + t2).toBeGreaterThan(2 ** 31 - 1); // the bucket checksum is announced as a negative int32
    for (const announced of [-93886621, 4201080675, BigInt(4201080675), BigInt(-93886621) - 2n ** 32n]) {
      const state = new SyncState();
      state.applyCheckpoint({ last_op_id: '12', buckets: [{ bucket: B, checksum: announced, priority: 3 }] });
      state.applyData({
        bucket: B,
        data: [
          { op_id: '11', op: 'PUT', checksum: t1 },
          { op_id: '12', op: 'PUT', checksum: BigInt(t2) },
        ],
      });
      expect(state.complete('12').failed).toEqual([]);
    }
    // A real u32 overflow: 0xfffffff0 + 0x20 ≡ 0x10.
    const wrapped = new SyncState();
    wrapped.applyCheckpoint({ last_op_id: '2', buckets: [{ bucket: B, checksum: 0x10 }] });
    wrapped.applyData({
      bucket: B,
      data: [
        { op_id: '1', op: 'PUT', checksum: 0xfffffff0 },
        { op_id: '2', op: 'PUT', checksum: 0x20 },
      ],
    });
    expect(wrapped.complete('2').failed).toEqual([]);
    expect(toU32(-1)).toBe(4294967295);
    expect(toU32(2 ** 40 + 5)).toBe(5);
    expect(Number.isNaN(toU32(1.5))).toBe(true);
  });

  it('a partial checkpoint validates only the buckets of that priority or more urgent', () => {
    const state = new SyncState();
    const urgent = put(1, 'l1', '{"id":"l1"}', 'lists');
    const later = put(2, 't1');
    checkpoint(state, '2', [
      [G, urgent.checksum as number, 1],
      [B, later.checksum as number, 3],
    ]);
    state.applyData({ bucket: G, data: [urgent] });
    // B has no data yet: a full validation would fail, the partial one must not look at it.
    const partial = state.completePartial('2', 1);
    expect(partial).toEqual({ lastOpId: '2', validated: 1, failed: [] });
    expect(state.positions()).toEqual(new Map([[G, '2']]));
    state.applyData({ bucket: B, data: [later] });
    expect(state.complete('2').failed).toEqual([]);

    // A wrong checksum in a priority-3 bucket is not caught by a priority-1 partial, but by the complete.
    const next = new SyncState();
    checkpoint(next, '2', [
      [G, urgent.checksum as number, 1],
      [B, 42, 3],
    ]);
    next.applyData({ bucket: G, data: [urgent] });
    next.applyData({ bucket: B, data: [later] });
    expect(next.completePartial('2', 1).failed).toEqual([]);
    expect(next.complete('2').failed).toEqual([B]);
  });

  it('a priority-0 failure at a partial checkpoint is caught there', () => {
    const state = new SyncState();
    checkpoint(state, '3', [[G, 7, 0]]);
    state.applyData({ bucket: G, data: [put(3, 'l1', '{"id":"l1"}', 'lists')] });
    expect(state.completePartial('3', 0).failed).toEqual([G]);
  });

  it('applies diffs (updated and removed buckets) and keeps write checkpoints', () => {
    const state = new SyncState();
    const a = put(1, 't1');
    checkpoint(state, '1', [
      [B, a.checksum as number],
      [G, 0],
    ]);
    state.applyData({ bucket: B, data: [a] });
    state.complete('1');
    const b = put(7, 't2');
    state.applyDiff({
      last_op_id: '7',
      write_checkpoint: '3',
      updated_buckets: [{ bucket: B, checksum: toInt32(sum(a.checksum as number, b.checksum as number)) }],
      removed_buckets: [G],
    });
    state.applyData({ bucket: B, data: [b] });
    expect(state.complete('7').failed).toEqual([]);
    expect(state.requestBuckets()).toEqual([{ name: B, after: '7' }]);
    expect(state.completedWriteCheckpoint).toBe('3');
  });

  it('rolls back data no applied checkpoint covers before a reconnect', () => {
    const state = new SyncState();
    const a = put(1, 't1');
    checkpoint(state, '1', [[B, a.checksum as number]]);
    state.applyData({ bucket: B, data: [a] });
    state.complete('1');
    const b = put(9, 't2');
    state.applyDiff({
      last_op_id: '9',
      updated_buckets: [{ bucket: B, checksum: sum(a.checksum as number, b.checksum as number) }],
      removed_buckets: [],
    });
    state.applyData({ bucket: B, data: [b] }); // connection drops before checkpoint_complete
    state.rollback();
    expect(state.requestBuckets()).toEqual([{ name: B, after: '1' }]);
    // The server re-sends op 9 after position 1: applying it again validates (no double counting).
    checkpoint(state, '9', [[B, sum(a.checksum as number, b.checksum as number)]]);
    state.applyData({ bucket: B, data: [b] });
    expect(state.complete('9').failed).toEqual([]);
  });

  it('equals the SDK model (stored ops per row + add_checksum) on random op sequences', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 200; run++) {
      const stored = new Map<string, number>();
      let added = 0;
      const ops: OplogEntry[] = [];
      for (let i = 1; i <= 40; i++) {
        const id = `r${Math.floor(random() * 6)}`;
        const r = random();
        const op: OplogEntry =
          r < 0.55
            ? put(i, id, `{"id":"${id}","n":${i}}`)
            : r < 0.8
              ? remove(i, id)
              : r < 0.95
                ? { op_id: String(i), op: 'MOVE', checksum: Math.floor(random() * 2 ** 32) }
                : { op_id: String(i), op: 'CLEAR', checksum: toInt32(Math.floor(random() * 2 ** 32)) };
        ops.push(op);
        const checksum = toU32(op.checksum);
        if (op.op === 'PUT' || op.op === 'REMOVE') {
          const previous = stored.get(id);
          if (previous !== undefined) added = addChecksums(added, previous);
          if (op.op === 'PUT') stored.set(id, checksum);
          else {
            stored.delete(id);
            added = addChecksums(added, checksum);
          }
        } else if (op.op === 'MOVE') added = addChecksums(added, checksum);
        else {
          stored.clear();
          added = checksum;
        }
      }
      const sdk = sum(added, ...stored.values());
      const state = new SyncState();
      checkpoint(state, '40', [[B, sdk]]);
      for (let i = 0; i < ops.length; i += 7) state.applyData({ bucket: B, data: ops.slice(i, i + 7) });
      expect(state.complete('40').failed).toEqual([]);
    }
  });
});
