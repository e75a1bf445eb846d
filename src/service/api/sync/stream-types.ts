/**
 * The contract between the sync stream algorithm and its transports (HTTP NDJSON/BSON, RSocket over
 * WebSocket). The algorithm produces protocol lines; a transport encodes them and applies backpressure.
 */

import { encodeBsonLine, encodeNdjsonLine } from '../../../protocol/index.js';

/** One protocol line: an object with exactly one key naming its kind (`checkpoint`, `data`, …). */
export type SyncLine = Record<string, unknown>;

/**
 * A line many streams send unchanged (the data of a bucket they all watch, a checkpoint_complete): encoded
 * once per wire encoding, on first use, and the same bytes written to every stream.
 */
export class SharedLine {
  private ndjsonBytes: Buffer | undefined;
  private bsonBytes: Buffer | undefined;

  constructor(readonly line: SyncLine) {}

  ndjson(): Buffer {
    return (this.ndjsonBytes ??= Buffer.from(encodeNdjsonLine(this.line), 'utf8'));
  }

  bson(): Buffer {
    return (this.bsonBytes ??= encodeBsonLine(this.line));
  }
}

export interface LineSink {
  /**
   * Hands a line to the transport. Returns a promise only when the transport cannot take more yet (socket
   * backpressure, no RSocket credit): it resolves once it can. Nothing to await otherwise, which keeps a
   * promise per line out of the fan-out of a checkpoint to thousands of streams.
   */
  write(line: SyncLine | SharedLine): Promise<void> | undefined;
  /**
   * Optional: hold the lines written from now on and send them together at `release()` (or earlier, once a
   * bounded amount is held). A checkpoint's diff, data and complete then leave in one socket write instead of
   * one per await between them: at thousands of streams a write costs more than everything else per stream.
   */
  hold?(): void;
  /** Sends what `hold()` kept and stops holding; resolves once the transport accepted it. */
  release?(): Promise<void> | undefined;
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
