import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { externalPostgres } from '../../src/postgres/index.js';

/**
 * A fresh database on the run's shared Postgres server, named after the caller so leftovers are traceable.
 * Returns its URL and a drop function for afterAll.
 */
export async function createTestDatabase(label: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = externalPostgres(inject('pgAdminUrl'));
  const name = `t_${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${randomBytes(3).toString('hex')}`;
  const url = await server.createDatabase(name);
  return {
    url,
    drop: async () => {
      await waitForDisconnects(inject('pgAdminUrl'), name);
      await server.dropDatabase(name);
    },
  };
}

/**
 * Waits (up to 3 s) until no backend is connected to `name`. `pool.end()` resolves once its clients are
 * told to end, not once their connections closed; a forced DROP in between terminates a client that is
 * still closing, and its FATAL 57P01 arrives with nobody listening (an uncaught error in the test run).
 */
async function waitForDisconnects(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (let i = 0; i < 60; i++) {
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
        [name],
      );
      if (rows[0]!.n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
