import type pg from 'pg';
import type { StreamCompression } from '../fleet/index.js';
import type { RunTarget } from './external-target.js';
import { waitForSentinel } from './settled-start.js';

/** What a backlog wait needs from the run. */
export interface BacklogContext {
  running: RunTarget;
  source: pg.Pool;
  /** The dataset's users; the sentinel goes to the first one's bucket. */
  users: readonly string[];
  /** Prefix of the rows and sentinels this run writes (its run id). */
  idPrefix: string;
  compression?: StreamCompression;
}

/** How long the service took to be caught up again after an action that left it a backlog. */
export interface CatchUp {
  caughtUp: boolean;
  /** From the end of the action to the sentinel at a client, when it arrived. */
  caughtUpMs?: number;
  /** Why it is not known (the phase ended first, the wait failed). */
  note?: string;
}

let sentinels = 0;

/**
 * Waits until the service has replicated everything committed so far (a sentinel at a client), at most
 * until `stop` (the phase's end): the measured catch-up after a restart, a replicator kill or a large
 * transaction. Never throws: a wait cut short is a result that says so.
 */
export async function waitForCatchUp(
  ctx: BacklogContext,
  since: number,
  stop: AbortSignal,
  what: string,
): Promise<CatchUp> {
  if (stop.aborted) return { caughtUp: false, note: 'the phase ended before the wait began' };
  try {
    const arrivedAt = await waitForSentinel({
      endpoint: ctx.running.endpoints[0]!,
      auth: ctx.running.auth,
      sourceUrl: ctx.running.sourceUrl,
      owner: ctx.users[0]!,
      sentinel: `${ctx.idPrefix}-catchup-${++sentinels}`,
      timeoutMs: 24 * 3600_000,
      compression: ctx.compression,
      signal: stop,
      what,
    });
    return { caughtUp: true, caughtUpMs: arrivedAt - since };
  } catch (error) {
    return {
      caughtUp: false,
      note: stop.aborted
        ? `not caught up with ${what} by the end of the phase`
        : `could not time the catch-up: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}

/** The result of a `large_transaction` action. */
export interface LargeTransactionResult extends CatchUp {
  rows: number;
  /** BEGIN to COMMIT on the source. */
  commitMs: number;
  /** Rows replicated per second, COMMIT to the sentinel at a client, when it arrived. */
  rowsPerSecond?: number;
}

/**
 * One source transaction of `rows` rows (unstamped, so never e2e samples; owners round robin over the
 * dataset's users), then the time until the service has replicated it: the backlog a bulk import leaves.
 */
export async function writeLargeTransaction(
  ctx: BacklogContext,
  rows: number,
  rowBytes: number,
  tag: string,
  stop: AbortSignal,
): Promise<LargeTransactionResult> {
  const began = Date.now();
  await ctx.source.query(
    `INSERT INTO todos (id, owner_id, payload)
     SELECT $1::text || g::text, ($2::text[])[1 + (g % array_length($2::text[], 1))], repeat('x', $3::int)
     FROM generate_series(1, $4::int) AS g`,
    [`${ctx.idPrefix}-${tag}-`, [...ctx.users], Math.max(1, rowBytes), rows],
  );
  const committed = Date.now();
  const catchUp = await waitForCatchUp(ctx, committed, stop, `a transaction of ${rows} rows`);
  return {
    rows,
    commitMs: committed - began,
    ...catchUp,
    ...(catchUp.caughtUpMs && catchUp.caughtUpMs > 0
      ? { rowsPerSecond: (rows * 1000) / catchUp.caughtUpMs }
      : {}),
  };
}
