import type http from 'node:http';
import type { SyncLine, SyncRequestBody } from '../sync-lines.js';

/** How a simulated client reaches `/sync/stream`. */
export type Transport = 'http-ndjson' | 'http-bson' | 'websocket';

export const TRANSPORTS: readonly Transport[] = ['http-ndjson', 'http-bson', 'websocket'];

/** What a transport reports about one stream. After `close()` or a failure it reports nothing more. */
export interface StreamHandler {
  /** HTTP 200 headers received, or the first RSocket PAYLOAD. */
  onOpen(): void;
  /** Bytes as received from the socket (HTTP body bytes, WebSocket message bytes). */
  onBytes(count: number): void;
  onLine(line: SyncLine): void;
  /** The stream is over without `close()` having been called; `code` is an `errors` code. */
  onFailure(code: string, detail: string): void;
}

export interface StreamConnection {
  /** Ends the stream from our side (RSocket CANCEL, HTTP request destroyed); no events follow. */
  close(): void;
  /** Destroys the socket as a network failure would: the handler gets `onFailure('network')`. */
  drop(): void;
}

export interface StreamRequest {
  /** Base URL of the service, e.g. `http://127.0.0.1:8080` (a path prefix is kept). */
  endpoint: URL;
  token: string;
  body: SyncRequestBody;
  /** Shared by every client of a fleet (keep-alive sockets for write checkpoints). */
  agent: http.Agent | undefined;
  userAgent: string;
  /** No response headers / first payload within this time → `timeout` (a socket timer during connect only). */
  connectTimeoutMs: number;
  /** What the HTTP stream accepts (HTTP only; default `sdk`). */
  compression?: StreamCompression;
}

/**
 * `sdk`: what the official JS SDKs send over fetch (undici): `Accept-Encoding: gzip, deflate, br`, so a
 * PowerSync service gzips every stream; `gzip`: gzip only; `none`: no Accept-Encoding (identity).
 */
export type StreamCompression = 'sdk' | 'gzip' | 'none';
export const STREAM_COMPRESSIONS: readonly StreamCompression[] = ['sdk', 'gzip', 'none'];

/** `<endpoint>/<path>`, keeping a path prefix of the endpoint. */
export function endpointUrl(endpoint: URL, path: string): URL {
  const base = endpoint.href.endsWith('/') ? endpoint.href : `${endpoint.href}/`;
  return new URL(path.replace(/^\//, ''), base);
}
