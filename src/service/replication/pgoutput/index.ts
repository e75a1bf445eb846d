export {
  ReplicationConnection,
  type StartReplicationOptions,
  type SystemIdentity,
} from './replication-connection.js';
export { PgoutputDecoder } from './pgoutput-decoder.js';
export { ZERO_LSN, bigIntToLsn, compareLsn, lsnToBigInt, normaliseLsn } from './lsn.js';
export type { BatchHandler } from './replication-session.js';
export { PG_EPOCH_MS } from './types.js';
export type { RelationColumn, RelationInfo, ReplicaIdentity, ReplicationEvent, TupleText } from './types.js';
