import pg from 'pg';
import { Fleet, type ClientAuth } from '../fleet/index.js';
import type { StreamCompression } from '../fleet/index.js';
import type { Sample } from '../metrics/index.js';

/** How the service caught up with the dataset load before the first phase. */
export interface InitialReplication {
  rows: number;
  /** From the end of the dataset load to the sentinel row reaching a connected client. */
  durationMs: number;
  rowsPerSecond: number;
  /** The sentinel row written after the load (it carries no stamp: never an e2e sample). */
  sentinel: string;
}

export class SettleTimeoutError extends Error {
  override name = 'SettleTimeoutError';
  readonly code = 'SSCALE_R0002';
}

/** Where a sentinel goes and who watches for it. */
export interface SentinelOptions {
  endpoint: string;
  auth: ClientAuth;
  sourceUrl: string;
  /** The user whose bucket receives the sentinel row. */
  owner: string;
  /** Key of the sentinel row, unique per run and use. */
  sentinel: string;
  timeoutMs: number;
  compression?: StreamCompression;
  signal: AbortSignal;
  /** What the wait is for, in the timeout's message: "the dataset (10,000 rows)". */
  what: string;
}

/**
 * Writes one row and waits until a client of its owner holds it in a complete checkpoint. Replication applies
 * a source's changes in commit order, so when the sentinel is at a client everything committed before it has
 * been replicated. Resolves with the arrival time (Date.now() clock); SSCALE_R0002 on timeout.
 */
export async function waitForSentinel(options: SentinelOptions): Promise<number> {
  const source = new pg.Client({ connectionString: options.sourceUrl });
  await source.connect();
  try {
    await source.query(
      `INSERT INTO todos (id, owner_id, payload) VALUES ($1, $2, 'syncscale settled-start sentinel')`,
      [options.sentinel, options.owner],
    );
  } finally {
    await source.end();
  }
  let arrived: (() => void) | undefined;
  const seen = new Promise<void>((resolve) => (arrived = resolve));
  let pending = false;
  const ignore = { add: (_sample: Sample) => undefined };
  const fleet = new Fleet({
    endpoint: options.endpoint,
    auth: options.auth,
    sink: ignore,
    userId: () => options.owner,
    clientId: () => `syncscale-settle-${options.sentinel}`,
    signal: options.signal,
    ...(options.compression ? { compression: options.compression } : {}),
    observer: () => ({
      data(_bucket, ops) {
        if (ops.some((op) => op.object_id === options.sentinel)) pending = true;
      },
      completed() {
        if (pending) arrived?.();
      },
      rolledBack() {
        pending = false;
      },
      dropped() {
        pending = false;
      },
    }),
  });
  fleet.add(1);
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new SettleTimeoutError(
              `[SSCALE_R0002] the service did not replicate ${options.what} within ${Math.round(options.timeoutMs / 1000)} s: the sentinel row ${options.sentinel} never reached a client of ${options.owner}`,
            ),
          ),
        options.timeoutMs,
      );
    });
    const aborted = new Promise<never>((_, reject) =>
      options.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true }),
    );
    await Promise.race([seen, timeout, aborted]);
  } finally {
    clearTimeout(timer);
    fleet.stopAll();
  }
  return Date.now();
}

/**
 * A settled start: after the dataset load, a sentinel row must reach a client before the first phase, so the
 * first phase measures its own load, not the run's setup.
 */
export async function waitForSettledStart(
  options: Omit<SentinelOptions, 'what'> & { rows: number; loadedAt: number },
): Promise<InitialReplication> {
  const arrivedAt = await waitForSentinel({
    ...options,
    what: `the dataset (${options.rows.toLocaleString('en-US')} rows)`,
  });
  const durationMs = arrivedAt - options.loadedAt;
  return {
    rows: options.rows,
    durationMs,
    rowsPerSecond: durationMs > 0 ? (options.rows * 1000) / durationMs : options.rows,
    sentinel: options.sentinel,
  };
}

/** "initial replication of 10,000 rows: 14.2 s, 704 rows/s". */
export function formatInitialReplication(r: InitialReplication): string {
  return `initial replication of ${r.rows.toLocaleString('en-US')} rows: ${(r.durationMs / 1000).toFixed(1)} s, ${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s`;
}
