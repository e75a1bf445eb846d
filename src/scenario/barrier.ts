import type pg from 'pg';
import { inTransaction } from '../service/storage/index.js';
import { abortableSleep } from './abortable-sleep.js';

/**
 * A start barrier on the source database, so shards and their coordinator need no service of their own:
 * each member registers in `syncscale_barrier`; once the coordinator sees all N shards it publishes one start
 * time (the database's clock, a little ahead), and every member starts then. Shards keep a heartbeat while
 * they run, so a shard that died is named, not waited for.
 */
export class BarrierError extends Error {
  override name = 'BarrierError';
  constructor(
    message: string,
    readonly code = 'SSCALE_R0003',
  ) {
    super(`[${code}] ${message}`);
  }
}

const TABLE = `CREATE TABLE IF NOT EXISTS syncscale_barrier (
  run_key text NOT NULL,
  member text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  start_at timestamptz,
  done_at timestamptz,
  PRIMARY KEY (run_key, member)
)`;

/** How far ahead of the moment all are present the start is published: time for every member to see it. */
export const START_LEAD_MS = 2_000;
/** A shard silent this long is taken for dead. */
export const HEARTBEAT_STALE_MS = 5_000;

export function shardMember(index: number): string {
  return `shard-${index}`;
}

/** Registers (or re-registers) a member; creates the table on first use. */
export async function register(db: pg.Pool, runKey: string, member: string): Promise<void> {
  // Members start together: the table is created under a lock, so they do not race to create it.
  await inTransaction(db, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(7216353)');
    await client.query(TABLE);
  });
  await db.query(
    `INSERT INTO syncscale_barrier (run_key, member) VALUES ($1, $2)
     ON CONFLICT (run_key, member) DO UPDATE SET heartbeat_at = clock_timestamp(), done_at = NULL`,
    [runKey, member],
  );
}

/**
 * The coordinator's side: waits until `shards` shards have registered, then publishes the start time to
 * every member. Returns the start on the database's clock (epoch ms).
 */
export async function openBarrier(
  db: pg.Pool,
  runKey: string,
  shards: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<number> {
  await register(db, runKey, 'coordinator');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ n: string }>(
      `SELECT count(*) AS n FROM syncscale_barrier WHERE run_key = $1 AND member LIKE 'shard-%'`,
      [runKey],
    );
    if (Number(rows[0]!.n) >= shards) break;
    if (Date.now() > deadline)
      throw new BarrierError(
        `${rows[0]!.n} of ${shards} shards registered at the barrier of run ${runKey} within ${Math.round(timeoutMs / 1000)} s`,
      );
    signal.throwIfAborted();
    await abortableSleep(200, signal);
  }
  const { rows } = await db.query<{ ms: string }>(
    `WITH start AS (SELECT clock_timestamp() + make_interval(secs => $2::float8 / 1000) AS at)
     UPDATE syncscale_barrier SET start_at = (SELECT at FROM start)
     WHERE run_key = $1 RETURNING (extract(epoch from start_at) * 1000)::float8 AS ms`,
    [runKey, START_LEAD_MS],
  );
  return Number(rows[0]!.ms);
}

/** A shard's side: registers and waits for the coordinator's start time (database clock, epoch ms). */
export async function awaitStart(
  db: pg.Pool,
  runKey: string,
  member: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<number> {
  await register(db, runKey, member);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<{ ms: string | null }>(
      `SELECT (extract(epoch from start_at) * 1000)::float8 AS ms FROM syncscale_barrier
       WHERE run_key = $1 AND member = $2`,
      [runKey, member],
    );
    const start = rows[0]?.ms;
    if (start !== null && start !== undefined) return Number(start);
    if (Date.now() > deadline)
      throw new BarrierError(
        `no start published for run ${runKey} within ${Math.round(timeoutMs / 1000)} s: is the coordinator (--coordinator N) running against the same source database?`,
      );
    signal.throwIfAborted();
    await abortableSleep(200, signal);
  }
}

/** Keeps a member's heartbeat fresh every second until the returned stop is called (then marks it done). */
export function keepHeartbeat(db: pg.Pool, runKey: string, member: string): () => Promise<void> {
  const beat = () =>
    db
      .query(
        `UPDATE syncscale_barrier SET heartbeat_at = clock_timestamp() WHERE run_key = $1 AND member = $2`,
        [runKey, member],
      )
      .catch(() => undefined);
  const timer = setInterval(beat, 1_000);
  return async () => {
    clearInterval(timer);
    await db
      .query(`UPDATE syncscale_barrier SET done_at = clock_timestamp() WHERE run_key = $1 AND member = $2`, [
        runKey,
        member,
      ])
      .catch(() => undefined);
  };
}

/** Shards that stopped beating without finishing: their indexes, with how long they have been silent. */
export async function silentShards(
  db: pg.Pool,
  runKey: string,
): Promise<Array<{ member: string; silentMs: number }>> {
  const { rows } = await db.query<{ member: string; silent: string }>(
    `SELECT member, (extract(epoch from clock_timestamp() - heartbeat_at) * 1000)::float8 AS silent
     FROM syncscale_barrier
     WHERE run_key = $1 AND member LIKE 'shard-%' AND done_at IS NULL
       AND heartbeat_at < clock_timestamp() - make_interval(secs => $2::float8 / 1000)
     ORDER BY member`,
    [runKey, HEARTBEAT_STALE_MS],
  );
  return rows.map((r) => ({ member: r.member, silentMs: Number(r.silent) }));
}
