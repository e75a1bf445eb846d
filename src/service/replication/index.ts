export { ReplicationEngine, type ReplicationEngineOptions } from './replication-engine.js';
export { ReplicationJob } from './replication-job.js';
export {
  lockTimingFromEnv,
  replicationLockName,
  acquireReplicationLock,
  type LockTiming,
} from './replication-lock.js';
export { createReplicationMetrics, type ReplicationMetrics } from './replication-metrics.js';
export { checkPublication, describeSourceTable, currentWalLsn, PUBLICATION_NAME } from './source-schema.js';
export { pgTextToSqlite, rawTextTypes } from './pg-values.js';
export { normaliseLsn, compareLsn } from './pgoutput/index.js';
