/** Distributed load with k6: the scenario's clients exported as a k6 test, and its pods' outputs ingested. */
export { exportK6, k6Stages, scenarioHash, type K6Config, type K6ExportOptions } from './export-k6.js';
export { ingestK6, type IngestOutcome } from './ingest-k6.js';
export {
  RSocketSyncSession,
  SESSION_METRICS,
  signToken,
  type SessionSink,
  type SessionSocket,
} from './runtime/rsocket-session.js';
export { decodeBson, utf8Decode, utf8Encode } from './runtime/wire.js';
