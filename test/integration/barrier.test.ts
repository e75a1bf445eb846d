import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  awaitStart,
  BarrierError,
  keepHeartbeat,
  openBarrier,
  register,
  shardMember,
  silentShards,
  START_LEAD_MS,
} from '../../src/scenario/barrier.js';
import { createTestDatabase } from '../support/databases.js';

describe('the start barrier on the source database', () => {
  let db: pg.Pool;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const created = await createTestDatabase('barrier');
    drop = created.drop;
    db = new pg.Pool({ connectionString: created.url, max: 6 });
  });
  afterAll(async () => {
    await db.end();
    await drop();
  });
  const signal = new AbortController().signal;

  it('starts every member at the one time the coordinator publishes once all shards are present', async () => {
    const shards = [0, 1, 2].map((i) => awaitStart(db, 'run-a', shardMember(i), 20_000, signal));
    const published = await openBarrier(db, 'run-a', 3, 20_000, signal);
    const starts = await Promise.all(shards);
    expect(new Set(starts)).toEqual(new Set([published]));
    const { rows } = await db.query<{ now: number }>(
      'SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS now',
    );
    expect(published - rows[0]!.now).toBeGreaterThan(0);
    expect(published - rows[0]!.now).toBeLessThanOrEqual(START_LEAD_MS);
  });

  it('names the timeout when shards are missing (SSCALE_R0003)', async () => {
    await register(db, 'run-b', shardMember(0));
    const error = await openBarrier(db, 'run-b', 2, 600, signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BarrierError);
    expect((error as Error).message).toMatch(/\[SSCALE_R0003\] 1 of 2 shards registered/);
    const waiting = await awaitStart(db, 'run-c', shardMember(0), 600, signal).catch((e: unknown) => e);
    expect((waiting as Error).message).toMatch(/no start published for run run-c/);
  });

  it('names a shard that stopped beating without finishing', async () => {
    await register(db, 'run-d', shardMember(0));
    await register(db, 'run-d', shardMember(1));
    const stop = keepHeartbeat(db, 'run-d', shardMember(0));
    // Shard 1 "died" 10 s ago; shard 0 keeps beating.
    await db.query(
      `UPDATE syncscale_barrier SET heartbeat_at = clock_timestamp() - interval '10 seconds'
       WHERE run_key = 'run-d' AND member = 'shard-1'`,
    );
    const silent = await silentShards(db, 'run-d');
    expect(silent.map((s) => s.member)).toEqual(['shard-1']);
    expect(silent[0]!.silentMs).toBeGreaterThan(9_000);
    await stop();
  });
});
