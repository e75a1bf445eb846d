import { dropDatabase, recreateDatabase, withDatabase } from './admin.js';
import type { PostgresServer } from './postgres-server.js';

/**
 * A Postgres the user named by URL. We never start or stop it; databases we create on it are ours to drop.
 * The server must run with wal_level=logical for replication.
 */
export function externalPostgres(url: string): PostgresServer {
  return {
    kind: 'external',
    url: (database) => (database ? withDatabase(url, database) : url),
    async createDatabase(name) {
      await recreateDatabase(url, name);
      return withDatabase(url, name);
    },
    dropDatabase: (name) => dropDatabase(url, name),
    async stop() {},
  };
}
