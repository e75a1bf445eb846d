import pg from 'pg';

/** A connection pool to bucket storage. int8 stays a string from pg; storage code converts to bigint. */
export function createStoragePool(connectionString: string, maxPoolSize = 8): pg.Pool {
  const pool = new pg.Pool({ connectionString, max: maxPoolSize, application_name: 'syncscale-storage' });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // A checked-out client has no pool listener: one held across an await (a writer transaction between
  // batches) whose server restarts would emit an unhandled 'error' and crash the process. Its next query
  // rejects instead, which the caller handles.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}

/** Runs `fn` in a transaction on one pooled client. */
export async function inTransaction<T>(
  pool: pg.Pool,
  fn: (client: pg.PoolClient) => Promise<T>,
  isolation: 'READ COMMITTED' | 'REPEATABLE READ' = 'READ COMMITTED',
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(`BEGIN ISOLATION LEVEL ${isolation}`);
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
