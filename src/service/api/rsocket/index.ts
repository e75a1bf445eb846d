export { handleRSocketConnection } from './handle-rsocket-connection.js';
export type { RSocketConnectionOptions } from './rsocket-options.js';
export { SYNC_STREAM_PATH } from './rsocket-connection.js';
export { parseSyncStreamRequest } from './rsocket-documents.js';
