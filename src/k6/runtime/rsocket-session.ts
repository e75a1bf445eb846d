import { SyncState } from '../../fleet/sync-state.js';
import { base64UrlEncode, decodeBson, utf8Decode, utf8Encode } from './wire.js';

/**
 * One simulated client over RSocket-over-WebSocket (protocol.md §1.9) for k6 virtual users, in plain
 * JavaScript with no Node APIs: SETUP (JSON metadata with the token), REQUEST_STREAM for `/sync/stream` with
 * request-N credit as the SDKs keep it (10 outstanding, topped up at 5), KEEPALIVE, BSON sync lines decoded
 * and validated with the fleet's own checksum state (`SyncState`), and the fleet's metric names. The k6
 * script wires it to `k6/ws`; tests wire it to `ws` under Node against the reference service.
 */

export const SESSION_METRICS = {
  connectTime: 'connect_time',
  firstCheckpoint: 'first_checkpoint',
  checkpointLatency: 'checkpoint_latency',
  endToEndLatency: 'e2e_latency',
  opsReceived: 'ops_received',
  checkpointsCompleted: 'checkpoints_completed',
  checksumFailures: 'checksum_failures',
  bytesReceived: 'bytes_received',
  errors: 'errors',
} as const;

/** Where the session reports: one call per sample, named like the fleet's metrics. */
export interface SessionSink {
  trend(metric: string, valueMs: number): void;
  count(metric: string, value: number, tags?: Record<string, string>): void;
}

/** The socket as the session needs it (k6/ws and ws both fit with a line of glue). */
export interface SessionSocket {
  sendBinary(frame: ArrayBuffer): void;
  close(): void;
}

export interface SessionOptions {
  token: string;
  clientId: string;
  /** Milliseconds, wall clock (for end-to-end latency against `ss_ts` stamps) and durations. */
  now: () => number;
  /** Stamp column of written rows (`ss_ts`): commit time in ms, read from PUT data. */
  stampColumn?: string;
  keepaliveMs?: number;
  lifetimeMs?: number;
}

const TYPE = { SETUP: 1, KEEPALIVE: 3, REQUEST_STREAM: 6, REQUEST_N: 8, CANCEL: 9, PAYLOAD: 10, ERROR: 11 };
const FLAG = { METADATA: 0x100, RESPOND: 0x80, COMPLETE: 0x40, NEXT: 0x20 };
const STREAM_ID = 1;
const CREDIT = 10;
const TOP_UP_AT = 5;
const JSON_MIME = 'application/json';

function header(bytes: Uint8Array, streamId: number, type: number, flags: number): DataView {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  view.setUint32(0, streamId);
  view.setUint16(4, (type << 10) | flags);
  return view;
}

function withLength24(bytes: Uint8Array, at: number, length: number): void {
  bytes[at] = (length >> 16) & 255;
  bytes[at + 1] = (length >> 8) & 255;
  bytes[at + 2] = length & 255;
}

export function setupFrame(token: string, keepaliveMs: number, lifetimeMs: number): ArrayBuffer {
  const mime = utf8Encode(JSON_MIME);
  const metadata = utf8Encode(JSON.stringify({ token: `Token ${token}`, user_agent: 'syncscale-k6' }));
  const bytes = new Uint8Array(6 + 12 + 2 + mime.length * 2 + 3 + metadata.length);
  const view = header(bytes, 0, TYPE.SETUP, FLAG.METADATA);
  view.setUint16(6, 1);
  view.setUint16(8, 0);
  view.setUint32(10, keepaliveMs);
  view.setUint32(14, lifetimeMs);
  let at = 18;
  for (const text of [mime, mime]) {
    bytes[at++] = text.length;
    bytes.set(text, at);
    at += text.length;
  }
  withLength24(bytes, at, metadata.length);
  bytes.set(metadata, at + 3);
  return bytes.buffer;
}

export function requestStreamFrame(request: Record<string, unknown>, initialN: number): ArrayBuffer {
  const metadata = utf8Encode(JSON.stringify({ path: '/sync/stream' }));
  const data = utf8Encode(JSON.stringify(request));
  const bytes = new Uint8Array(6 + 4 + 3 + metadata.length + data.length);
  const view = header(bytes, STREAM_ID, TYPE.REQUEST_STREAM, FLAG.METADATA);
  view.setUint32(6, initialN);
  withLength24(bytes, 10, metadata.length);
  bytes.set(metadata, 13);
  bytes.set(data, 13 + metadata.length);
  return bytes.buffer;
}

export function requestNFrame(n: number): ArrayBuffer {
  const bytes = new Uint8Array(10);
  header(bytes, STREAM_ID, TYPE.REQUEST_N, 0).setUint32(6, n);
  return bytes.buffer;
}

export function keepaliveFrame(): ArrayBuffer {
  const bytes = new Uint8Array(14);
  header(bytes, 0, TYPE.KEEPALIVE, FLAG.RESPOND);
  return bytes.buffer;
}

/** An HS256 JWT for one user (k6 passes its `crypto.hmac`; Node tests pass `createHmac`). */
export function signToken(options: {
  sub: string;
  audience: string;
  kid?: string;
  lifetimeSeconds: number;
  nowSeconds: number;
  hmacSha256: (signingInput: string) => Uint8Array;
}): string {
  const part = (value: object) => base64UrlEncode(utf8Encode(JSON.stringify(value)));
  const iat = Math.floor(options.nowSeconds);
  const head = options.kid ? { alg: 'HS256', kid: options.kid, typ: 'JWT' } : { alg: 'HS256', typ: 'JWT' };
  const input = `${part(head)}.${part({
    sub: options.sub,
    aud: options.audience,
    iat,
    exp: iat + options.lifetimeSeconds,
  })}`;
  return `${input}.${base64UrlEncode(options.hmacSha256(input))}`;
}

type Line = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- sync lines are read loosely

/** The session of one virtual user: frames in, metrics out. */
export class RSocketSyncSession {
  private readonly state = new SyncState();
  private credit = CREDIT;
  private openedAt = 0;
  private firstPayloadSeen = false;
  private synced = false;
  private checkpointAt: number | undefined;
  /** Stamped PUTs received since the last complete checkpoint: their commit times. */
  private pendingStamps: number[] = [];
  /** Why the stream ended, once it has (undefined while open). */
  ended: string | undefined;

  constructor(
    private readonly socket: SessionSocket,
    private readonly sink: SessionSink,
    private readonly options: SessionOptions,
  ) {}

  /** Sends SETUP and REQUEST_STREAM back to back, as the SDKs do. */
  open(): void {
    this.openedAt = this.options.now();
    this.socket.sendBinary(
      setupFrame(this.options.token, this.options.keepaliveMs ?? 20_000, this.options.lifetimeMs ?? 30_000),
    );
    this.socket.sendBinary(
      requestStreamFrame(
        { raw_data: true, client_id: this.options.clientId, buckets: this.state.requestBuckets() },
        CREDIT,
      ),
    );
  }

  keepalive(): void {
    if (this.ended === undefined) this.socket.sendBinary(keepaliveFrame());
  }

  onBinary(message: ArrayBuffer): void {
    const bytes = new Uint8Array(message);
    this.sink.count(SESSION_METRICS.bytesReceived, bytes.length);
    if (bytes.length < 6) return this.fail('protocol', 'frame shorter than its header');
    const view = new DataView(message);
    const type = view.getUint16(4) >> 10;
    const flags = view.getUint16(4) & 0x3ff;
    if (type === TYPE.KEEPALIVE) return;
    if (type === TYPE.ERROR) {
      const message = utf8Decode(bytes, 10);
      const code =
        /\[(PSYNC_[A-Z]\d{4})\]/.exec(message)?.[1] ?? `rsocket_0x${view.getUint32(6).toString(16)}`;
      return this.fail(code, message);
    }
    if (type !== TYPE.PAYLOAD) return;
    if (!this.firstPayloadSeen) {
      this.firstPayloadSeen = true;
      this.sink.trend(SESSION_METRICS.connectTime, this.options.now() - this.openedAt);
    }
    if (flags & FLAG.NEXT) {
      let at = 6;
      if (flags & FLAG.METADATA) at += 3 + ((bytes[6]! << 16) | (bytes[7]! << 8) | bytes[8]!);
      this.onLine(decodeBson(bytes.subarray(at)));
      this.credit--;
      if (this.credit <= TOP_UP_AT) {
        this.socket.sendBinary(requestNFrame(CREDIT - this.credit));
        this.credit = CREDIT;
      }
    }
    if (flags & FLAG.COMPLETE) this.ended = 'complete';
  }

  /** The socket closed. */
  onClose(): void {
    this.ended ??= 'closed';
  }

  private onLine(line: Line): void {
    const now = this.options.now();
    if (line.checkpoint) {
      this.state.applyCheckpoint(line.checkpoint);
      this.checkpointAt = now;
    } else if (line.checkpoint_diff) {
      this.state.applyDiff(line.checkpoint_diff);
      this.checkpointAt = now;
    } else if (line.data) {
      const ops = this.state.applyData(line.data);
      this.sink.count(SESSION_METRICS.opsReceived, ops);
      const column = this.options.stampColumn;
      if (column) {
        for (const op of line.data.data as Line[]) {
          if (op.op !== 'PUT' || typeof op.data !== 'string' || !op.data.includes(column)) continue;
          try {
            const stamp = Number((JSON.parse(op.data) as Line)[column]);
            if (Number.isFinite(stamp) && stamp > 0) this.pendingStamps.push(stamp);
          } catch {
            // not JSON: no stamp
          }
        }
      }
    } else if (line.checkpoint_complete) {
      const outcome = this.state.complete(String(line.checkpoint_complete.last_op_id));
      this.sink.count(SESSION_METRICS.checkpointsCompleted, 1);
      if (outcome.failed.length > 0) this.sink.count(SESSION_METRICS.checksumFailures, outcome.failed.length);
      if (!this.synced) {
        this.synced = true;
        this.sink.trend(SESSION_METRICS.firstCheckpoint, now - this.openedAt);
      } else if (this.checkpointAt !== undefined) {
        this.sink.trend(SESSION_METRICS.checkpointLatency, now - this.checkpointAt);
      }
      for (const stamp of this.pendingStamps) this.sink.trend(SESSION_METRICS.endToEndLatency, now - stamp);
      this.pendingStamps = [];
    } else if (line.partial_checkpoint_complete) {
      const p = line.partial_checkpoint_complete;
      const outcome = this.state.completePartial(String(p.last_op_id), Number(p.priority));
      if (outcome.failed.length > 0) this.sink.count(SESSION_METRICS.checksumFailures, outcome.failed.length);
    }
  }

  private fail(code: string, detail: string): void {
    this.ended = `${code}: ${detail}`;
    this.sink.count(SESSION_METRICS.errors, 1, { code });
    this.socket.close();
  }
}
