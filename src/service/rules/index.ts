/** Sync-config ("sync rules") parsing and evaluation: legacy `bucket_definitions` (protocol.md §3.1). */
export type { SqliteRow, SqliteValue } from './sqlite-value.js';
export type { RequestContext } from './request-values.js';
export type { SourceTableName } from './source-table.js';
export { SyncConfigError, formatProblem, type SyncConfigProblem } from './sync-config-error.js';
export {
  SyncConfig,
  type BucketDescription,
  type EvaluatedParameters,
  type EvaluatedRow,
  type ParameterLookupFn,
  type SyncConfigOptions,
} from './sync-config.js';
export { bucketName, lookupKey } from './bucket-name.js';
export { rowJsonText, valueJsonText } from './json-text.js';

/** A parameter-index key: canonical JSON `[definition, queryId, [values...]]`. */
export interface ParameterLookup {
  key: string;
}
