import { RSocketErrorCode } from '../protocol/index.js';

/**
 * The `code` tag of `errors` samples. A PSYNC code wins whenever the server sent one (JSON error body over
 * HTTP, `[PSYNC_…]` prefix of an RSocket error message); otherwise one of these.
 */
export const FleetErrorCode = {
  /** Connection refused or reset, socket closed mid-stream, WebSocket closed without an RSocket end. */
  network: 'network',
  /** The server ended the stream cleanly (HTTP body end, RSocket COMPLETE) without being asked to. */
  streamEnded: 'stream_ended',
  /** RSocket REJECTED_SETUP without a PSYNC code in its message. */
  rejectedSetup: 'rejected_setup',
  /** RSocket APPLICATION_ERROR without a PSYNC code. */
  applicationError: 'application_error',
  /** A bucket checksum did not match at a (partial) checkpoint. */
  checksum: 'checksum',
  /** An undecodable line or frame. */
  protocol: 'protocol',
  /** No response headers (or first RSocket payload) within the connect timeout, or a silent stream. */
  timeout: 'timeout',
  /** The token provider failed or returned nothing. */
  token: 'token',
  /** A write checkpoint's value did not arrive in a completed checkpoint in time. */
  writeCheckpointTimeout: 'write_checkpoint_timeout',
  /** HTTP 429 (the service's connection limit: empty body). */
  http429: 'http_429',
} as const;

const PSYNC_CODE = /\b(PSYNC_[A-Z]\d{4})\b/;

/** The first PSYNC code in a text, e.g. `[PSYNC_S2304] Maximum active …` → `PSYNC_S2304`. */
export function psyncCodeOf(text: string): string | undefined {
  return PSYNC_CODE.exec(text)?.[1];
}

/** An HTTP error response: its JSON body's `error.code` if a PSYNC code, else `http_429` / `http_<status>`. */
export function classifyHttpError(status: number, body: string): string {
  if (body.length > 0) {
    try {
      const parsed = JSON.parse(body) as { error?: { code?: unknown } };
      const code = parsed?.error?.code;
      if (typeof code === 'string' && PSYNC_CODE.test(code)) return code;
    } catch {
      // Not JSON (a proxy's HTML page, say): fall back to the status.
    }
    const code = psyncCodeOf(body.slice(0, 2000));
    if (code) return code;
  }
  return status === 429 ? FleetErrorCode.http429 : `http_${status}`;
}

/** An RSocket ERROR frame: the PSYNC code of its message, else the error kind. */
export function classifyRSocketError(code: number, message: string): string {
  const psync = psyncCodeOf(message);
  if (psync) return psync;
  if (code === RSocketErrorCode.REJECTED_SETUP) return FleetErrorCode.rejectedSetup;
  if (code === RSocketErrorCode.APPLICATION_ERROR) return FleetErrorCode.applicationError;
  return `rsocket_0x${code.toString(16)}`;
}
