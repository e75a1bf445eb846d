export { startSyncApi, type SyncApi } from './sync-api.js';
export { ServiceMetrics, type ApiMetrics } from './metrics/api-metrics.js';
export type {
  SyncLine,
  LineSink,
  SyncStreamRequest,
  VerifiedToken,
  SyncStreamContext,
} from './sync/stream-types.js';
