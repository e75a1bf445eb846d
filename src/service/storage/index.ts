export { createStoragePool, inTransaction } from './pool.js';
export {
  migrate,
  currentMigration,
  assertMigrated,
  type MigrationDirection,
  type MigrationResult,
} from './migrator.js';
export { MIGRATIONS } from './migrations.js';
export { StorageLock, ensureBootstrapTables } from './locks.js';
export {
  type SyncRulesRecord,
  type SyncRulesState,
  getSyncRules,
  listSyncRules,
  getActiveSyncRules,
  createSyncRules,
  setSyncRulesState,
  recordFatalError,
  clearSyncRulesData,
  resetSyncRulesData,
  markSnapshotDone,
} from './sync-rules-store.js';
export {
  type SourceTable,
  resolveSourceTable,
  listSourceTables,
  deleteSourceTable,
} from './source-tables.js';
export {
  BucketWriteTransaction,
  CHECKPOINT_CHANNEL,
  DEFAULT_WRITER_LIMITS,
  type RowChange,
  type WriterLimits,
  type CommitResult,
} from './bucket-writer.js';
export { type RowEvaluator, subkeyFor } from './row-ops.js';
export {
  type Checkpoint,
  type BucketChecksum,
  type OplogRow,
  getActiveCheckpoint,
  getBucketChecksums,
  getBucketData,
  getParameterSets,
  getChangedBuckets,
  hasParameterChanges,
} from './bucket-reader.js';
export { createWriteCheckpoint, getProcessedWriteCheckpoint } from './write-checkpoints.js';
export { encodeValues, decodeValues } from './json-values.js';
