import { describe, expect, it, vi } from 'vitest';
import { ClientMetrics } from '../../src/fleet/client-metrics.js';
import { LineOutcome, SyncSession } from '../../src/fleet/sync-session.js';
import type { Sample } from '../../src/metrics/index.js';
import { putChecksum, toInt32 } from '../../src/protocol/index.js';

const B = '1#by_user["u1"]';

function capture() {
  const samples: Sample[] = [];
  return { samples, metrics: new ClientMetrics({ add: (s) => samples.push(s) }, { phase: 'p1' }) };
}

const of = (samples: Sample[], metric: string) => samples.filter((s) => s.metric === metric);

describe('fleet sync session samples', () => {
  it('records ops, checkpoints, latency and first checkpoint; end-to-end latency of stamped rows', () => {
    vi.useFakeTimers({ now: 1_700_000_010_000, toFake: ['Date', 'performance'] });
    try {
      const { samples, metrics } = capture();
      const session = new SyncSession(metrics);
      session.streamStarted(performance.now());
      const data = '{"id":"t1","ss_ts":1700000009000,"title":"x"}';
      const checksum = putChecksum('todos', 't1', data);
      session.handle({
        checkpoint: { last_op_id: '5', buckets: [{ bucket: B, checksum: toInt32(checksum), priority: 3 }] },
      });
      vi.advanceTimersByTime(40);
      session.handle({
        data: {
          bucket: B,
          after: '0',
          next_after: '5',
          has_more: false,
          data: [
            { op_id: '5', op: 'PUT', object_type: 'todos', object_id: 't1', subkey: 's', data, checksum },
          ],
        },
      });
      vi.advanceTimersByTime(10);
      expect(session.handle({ checkpoint_complete: { last_op_id: '5' } })).toBe(LineOutcome.Completed);
      expect(of(samples, 'ops_received').map((s) => s.value)).toEqual([1]);
      expect(of(samples, 'checkpoints_completed').map((s) => s.value)).toEqual([1]);
      expect(of(samples, 'checkpoint_latency').map((s) => s.value)).toEqual([50]);
      expect(of(samples, 'first_checkpoint').map((s) => s.value)).toEqual([50]);
      // A stamped row of the initial sync is not timed: it was written before the client could see it.
      expect(of(samples, 'e2e_latency')).toEqual([]);
      // Once in sync, a stamped change is: stamped at …9000 + 1000, visible at …10050 + 100.
      const next = '{"id":"t1","ss_ts":1700000010000,"title":"y"}';
      const nextChecksum = putChecksum('todos', 't1', next);
      session.handle({
        checkpoint_diff: {
          last_op_id: '6',
          updated_buckets: [{ bucket: B, checksum: toInt32((checksum + nextChecksum) >>> 0), priority: 3 }],
          removed_buckets: [],
        },
      });
      session.handle({
        data: {
          bucket: B,
          after: '5',
          next_after: '6',
          has_more: false,
          data: [
            {
              op_id: '6',
              op: 'PUT',
              object_type: 'todos',
              object_id: 't1',
              subkey: 's',
              data: next,
              checksum: nextChecksum,
            },
          ],
        },
      });
      vi.advanceTimersByTime(100);
      expect(session.handle({ checkpoint_complete: { last_op_id: '6' } })).toBe(LineOutcome.Completed);
      expect(of(samples, 'e2e_latency').map((s) => s.value)).toEqual([150]);
      expect(samples.every((s) => s.tags?.phase === 'p1')).toBe(true);
      expect(session.synced).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports a checksum failure and records no completed checkpoint', () => {
    const { samples, metrics } = capture();
    const session = new SyncSession(metrics);
    session.handle({ checkpoint: { last_op_id: '1', buckets: [{ bucket: B, checksum: 99 }] } });
    session.handle({ data: { bucket: B, data: [{ op_id: '1', op: 'PUT', checksum: 98 }] } });
    expect(session.handle({ checkpoint_complete: { last_op_id: '1' } })).toBe(LineOutcome.ChecksumFailed);
    expect(of(samples, 'checksum_failures').map((s) => s.value)).toEqual([1]);
    expect(of(samples, 'checkpoints_completed')).toEqual([]);
    expect(session.checksumFailures).toBe(1);
  });

  it('resolves a write checkpoint once a completed checkpoint carries it', async () => {
    const { samples, metrics } = capture();
    const session = new SyncSession(metrics);
    session.handle({ checkpoint: { last_op_id: '1', buckets: [] } });
    session.handle({ checkpoint_complete: { last_op_id: '1' } });
    const onTimeout = vi.fn();
    const waiting = session.awaitWriteCheckpoint('12', performance.now() - 5, 10_000, onTimeout);
    session.handle({
      checkpoint_diff: { last_op_id: '2', write_checkpoint: '11', updated_buckets: [], removed_buckets: [] },
    });
    session.handle({ checkpoint_complete: { last_op_id: '2' } });
    expect(of(samples, 'write_checkpoint_latency')).toEqual([]);
    session.handle({
      checkpoint_diff: { last_op_id: '2', write_checkpoint: '12', updated_buckets: [], removed_buckets: [] },
    });
    session.handle({ checkpoint_complete: { last_op_id: '2' } });
    const latency = await waiting;
    expect(latency).toBeGreaterThanOrEqual(5);
    expect(of(samples, 'write_checkpoint_latency').map((s) => s.value)).toEqual([latency]);
    // Already covered: resolves at once.
    await expect(
      session.awaitWriteCheckpoint('3', performance.now(), 10_000, onTimeout),
    ).resolves.toBeGreaterThanOrEqual(0);
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('times out a write checkpoint that never arrives', async () => {
    const { metrics } = capture();
    const session = new SyncSession(metrics);
    const onTimeout = vi.fn();
    await expect(session.awaitWriteCheckpoint('1', performance.now(), 20, onTimeout)).rejects.toMatchObject({
      code: 'write_checkpoint_timeout',
    });
    expect(onTimeout).toHaveBeenCalledOnce();
  });
});
