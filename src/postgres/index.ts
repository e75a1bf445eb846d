export type { PostgresServer } from './postgres-server.js';
export {
  startEmbeddedPostgres,
  runningEmbeddedServers,
  type EmbeddedPostgresOptions,
} from './embedded-postgres.js';
export { externalPostgres } from './external-postgres.js';
export { adminQuery, quoteIdent, withDatabase } from './admin.js';
export { freePort } from './free-port.js';
