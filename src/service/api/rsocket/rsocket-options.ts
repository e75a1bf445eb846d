import type { SyncStreamRequest, SyncStreamRunner, VerifiedToken } from '../sync/stream-types.js';

/** What an RSocket-over-WebSocket connection needs from the service (protocol.md §1.9). */
export interface RSocketConnectionOptions {
  /**
   * Verifies the `token` of the SETUP metadata exactly as sent (`"Token <jwt>"` or `"Bearer <jwt>"`, like an
   * HTTP `Authorization` header; `undefined` when absent). Throws a ServiceError (PSYNC_S2101…S2106).
   */
  authenticate: (token: string | undefined) => Promise<VerifiedToken>;
  runStream: SyncStreamRunner;
  /** Connection limit, checked at SETUP: false → REJECTED_SETUP PSYNC_S2304. */
  admit: () => boolean;
  /** Called when a request stream starts running and when it has ended (for the concurrent streams gauge). */
  onStreamOpen?: () => void;
  onStreamClose?: () => void;
  /** Aborted on shutdown: every stream is aborted (with a PSYNC_S2003 reason), then the socket is closed. */
  shutdownSignal: AbortSignal;
  log?: { warn(msg: string): void };
  /**
   * Validates the decoded REQUEST_STREAM data; throws a ServiceError (e.g. PSYNC_S2001 "Validation failed").
   * Default: `parseSyncStreamRequest` (an object whose `buckets`, if present, are `{name, after}` strings).
   */
  parseRequest?: (body: unknown) => SyncStreamRequest;
  /**
   * The connection's TCP socket: corked while a stream holds a checkpoint's frames, so they leave in one
   * write. Without it every frame is its own write.
   */
  socket?: { cork(): void; uncork(): void };
}
