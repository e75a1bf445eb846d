/**
 * The contract between the sync stream algorithm and its transports (HTTP NDJSON/BSON, RSocket over
 * WebSocket). The algorithm produces protocol lines; a transport encodes them and applies backpressure.
 */

/** One protocol line: an object with exactly one key naming its kind (`checkpoint`, `data`, …). */
export type SyncLine = Record<string, unknown>;

export interface LineSink {
  /** Resolves once the line is accepted by the transport (socket drained, or RSocket credit available). */
  write(line: SyncLine): Promise<void>;
}

/** `POST /sync/stream` body (protocol.md §1.2); unknown keys are ignored. */
export interface SyncStreamRequest {
  buckets?: Array<{ name: string; after: string }>;
  raw_data?: boolean;
  binary_data?: boolean;
  client_id?: string;
  parameters?: Record<string, unknown>;
  include_checksum?: boolean;
  only?: string[];
  app_metadata?: Record<string, string>;
  streams?: unknown;
}

/** A verified client token. */
export interface VerifiedToken {
  /** `sub`: the user id. */
  sub: string;
  iat: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** The whole payload (`request.jwt()`). */
  payload: Record<string, unknown>;
}

export interface SyncStreamContext {
  token: VerifiedToken;
  request: SyncStreamRequest;
  transport: 'http' | 'websocket';
  /** Non-raw NDJSON (legacy clients): PUT data as an embedded object instead of a JSON string. */
  legacyData?: boolean;
  /** Aborted when the client goes away or the server shuts down. */
  signal: AbortSignal;
  sink: LineSink;
}

/** Runs one sync stream until it ends (token expiry, sync config change, shutdown, abort); throws on error. */
export type SyncStreamRunner = (context: SyncStreamContext) => Promise<void>;
