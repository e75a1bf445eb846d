import pg from 'pg';

/** Resolves true at `deadline` (a performance.now() time), or false as soon as `signal` aborts. */
export function sleepUntil(deadline: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  const delay = deadline - performance.now();
  if (delay <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, delay);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Resolves true when `promise` settles within `timeoutMs`, false on timeout or abort; leaves no timer behind. */
export function settlesWithin(
  promise: Promise<unknown>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const finish = (settled: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(settled);
    };
    const onAbort = () => finish(false);
    const timer = setTimeout(() => finish(false), timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => finish(true),
      () => finish(true),
    );
  });
}

/**
 * Cancels the statements running on `clients` (pg_cancel_backend from a separate connection, since every
 * pool connection may be busy). Best effort: a failure to cancel is not an error of the run.
 */
export async function cancelBackends(pool: pg.Pool, clients: readonly pg.PoolClient[]): Promise<void> {
  const pids = clients
    .map((client) => (client as unknown as { processID?: unknown }).processID)
    .filter((pid): pid is number => typeof pid === 'number');
  if (pids.length === 0) return;
  const control = new pg.Client({ ...pool.options, connectionTimeoutMillis: 2000 });
  try {
    await control.connect();
    await control.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int4[]) AS pid', [pids]);
  } catch {
    // The statements will end on their own (or with the pool); nothing more to do here.
  } finally {
    await control.end().catch(() => undefined);
  }
}
