import { randomBytes } from 'node:crypto';
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
  return { url, drop: () => server.dropDatabase(name) };
}
