/**
 * One `POST /sync/stream` over a raw socket: a hand-written HTTP/1.1 request, a minimal chunked-body decoder,
 * NDJSON lines recognised by their first key without JSON parsing.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { bodyDecoderFor, type BodyDecoder } from '../../../src/fleet/index.js';
import { IdleStreamBase, openClients, type IdleStream } from './idle-stream.js';

/** Marker written into `lists.name` by the fan-out benchmark: `~c<n>~`. */
const MARKER = /~c(\d+)~/g;

type Phase = 'head' | 'size' | 'data' | 'crlf' | 'raw' | 'done';

/**
 * One `POST /sync/stream` over a raw socket: a hand-written HTTP/1.1 request, a minimal chunked-body decoder,
 * NDJSON lines recognised by their first key without JSON parsing. Keeps a few counters and the highest
 * fan-out marker seen in `data` lines; calls `onComplete` for every `checkpoint_complete`.
 */
export class StreamClient extends IdleStreamBase implements IdleStream {
  status = 0;
  statusBody = '';
  contentEncoding: string | undefined;
  /** Highest marker seen in a data line. */
  markerSeen = 0;
  /** Highest marker already accounted at a checkpoint_complete. */
  markerDone = 0;
  /** Markers up to this one were issued before this client was ready (not counted). */
  readyAfterMarker = 0;
  private readonly socket: net.Socket;
  private phase: Phase = 'head';
  private head = '';
  private sizeLine = '';
  private remaining = 0;
  private pendingLine = '';
  private contentLength = -1;

  /** The fleet's gzip decoder (synchronous, a window of what arrived): the measurer's own load stays small. */
  private gunzip: BodyDecoder | undefined;

  constructor(
    port: number,
    token: string,
    private readonly onComplete: (client: StreamClient, at: number) => void,
    readonly id = 0,
    /** Ask for gzip (`Accept-Encoding: gzip`, as the SDKs' fetch does) and decompress what comes back. */
    private readonly gzip = false,
  ) {
    super();
    const body = '{"raw_data":true}';
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      this.socket.write(
        `POST /sync/stream HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Token ${token}\r\n` +
          `Content-Type: application/json\r\nAccept: application/x-ndjson\r\n` +
          (this.gzip ? 'Accept-Encoding: gzip\r\n' : '') +
          `Content-Length: ${body.length}\r\n\r\n${body}`,
      );
    });
    this.socket.on('data', (buffer: Buffer) => this.onData(buffer.toString('latin1')));
    this.socket.on('error', (error) => (this.closeReason ??= error.message));
    this.socket.on('close', () => {
      this.closed = true;
      this.closedAt = Date.now();
      if (!this.closeReason) {
        this.closeReason =
          this.phase === 'done'
            ? 'response ended'
            : this.phase === 'head'
              ? 'closed before headers'
              : 'closed';
      }
      this.wakeFirst();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closedByUs = true;
    this.socket.destroy();
  }

  describe(): string {
    const body = this.statusBody ? ` ${this.statusBody.slice(0, 300)}` : '';
    return `status ${this.status || '-'}${body}; ${this.closeReason ?? 'open'}`;
  }

  private onData(text: string): void {
    let i = 0;
    if (this.phase === 'head') {
      this.head += text;
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.head.length > 64 * 1024) this.fail('response head too large');
        return;
      }
      this.parseHead(this.head.slice(0, end));
      text = this.head.slice(end + 4);
      this.head = '';
    }
    while (i < text.length) {
      switch (this.phase) {
        case 'size': {
          const nl = text.indexOf('\r\n', i);
          if (nl < 0) {
            this.sizeLine += text.slice(i);
            return;
          }
          const line = this.sizeLine + text.slice(i, nl);
          this.sizeLine = '';
          i = nl + 2;
          const size = parseInt(line, 16);
          if (!Number.isFinite(size)) return this.fail(`bad chunk size ${JSON.stringify(line)}`);
          if (size === 0) {
            this.phase = 'done';
            this.socket.end();
            return;
          }
          this.remaining = size;
          this.phase = 'data';
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, text.length - i);
          this.body(text.slice(i, i + take));
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) {
            this.phase = 'crlf';
            this.remaining = 2;
          }
          break;
        }
        case 'crlf': {
          const take = Math.min(this.remaining, text.length - i);
          this.remaining -= take;
          i += take;
          if (this.remaining === 0) this.phase = 'size';
          break;
        }
        case 'raw': {
          this.body(text.slice(i));
          i = text.length;
          break;
        }
        default:
          return;
      }
    }
  }

  private parseHead(head: string): void {
    const lines = head.split('\r\n');
    this.status = Number(lines[0]!.split(' ')[1]);
    let chunked = false;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'transfer-encoding' && /chunked/i.test(value)) chunked = true;
      if (name === 'content-length') this.contentLength = Number(value);
      if (name === 'content-encoding' && value !== 'identity') this.contentEncoding = value;
    }
    this.phase = chunked ? 'size' : 'raw';
    if (this.contentEncoding === 'gzip' && this.gzip) {
      this.gunzip = bodyDecoderFor('gzip', {
        onData: (bytes) =>
          this.feed(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1')),
        onError: (error) => this.fail(`gzip: ${error.message}`),
      });
    } else if (this.contentEncoding) this.fail(`unexpected Content-Encoding ${this.contentEncoding}`);
    else if (this.status !== 200 && this.contentLength === 0) this.fail('error response');
  }

  /** Body bytes (latin1 text): through gunzip when the stream is compressed. */
  private body(text: string): void {
    if (this.gunzip) this.gunzip.push(Buffer.from(text, 'latin1'));
    else this.feed(text);
  }

  private feed(text: string): void {
    if (this.status !== 200) {
      this.statusBody += text;
      if (this.contentLength >= 0 && this.statusBody.length >= this.contentLength)
        this.fail('error response');
      return;
    }
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const line = this.pendingLine ? this.pendingLine + text.slice(start, nl) : text.slice(start, nl);
      this.pendingLine = '';
      start = nl + 1;
      if (line.length > 0) this.onLine(line);
    }
    if (start < text.length) this.pendingLine += text.slice(start);
  }

  private onLine(line: string): void {
    if (line.startsWith('{"checkpoint_complete"')) {
      const at = performance.now();
      this.completes++;
      if (this.completes === 1) {
        this.firstCompleteAt = at;
        this.markerDone = this.markerSeen;
        this.wakeFirst();
      }
      this.onComplete(this, at);
    } else if (line.startsWith('{"data"')) {
      this.dataLines++;
      if (line.includes('~c')) {
        MARKER.lastIndex = 0;
        for (let m = MARKER.exec(line); m; m = MARKER.exec(line)) {
          const n = Number(m[1]);
          if (n > this.markerSeen) this.markerSeen = n;
        }
      }
    } else if (line.startsWith('{"checkpoint"') || line.startsWith('{"checkpoint_diff"')) {
      this.checkpoints++;
    } else if (line.startsWith('{"token_expires_in"')) {
      this.keepalives++;
    } else if (!line.startsWith('{"partial_checkpoint_complete"')) {
      this.otherLines++;
      this.firstOtherLine ??= line.slice(0, 300);
    }
  }

  private fail(reason: string): void {
    this.closeReason = reason;
    this.socket.destroy();
  }
}

/**
 * Many HTTP NDJSON streams of distinct users (`u<index>`), opened with a bounded number in flight; each waits
 * for its first checkpoint_complete. Returns the failures (index and description).
 */
export function openStreams(options: {
  port: number;
  key: { k: string; kid: string };
  from: number;
  count: number;
  inFlight?: number;
  timeoutMs?: number;
  maxFailures?: number;
  onComplete: (client: StreamClient, at: number) => void;
  into: StreamClient[];
  /** Ask for gzip as the SDKs do (the service then gzips every stream). */
  gzip?: boolean;
}): Promise<{ failures: string[]; seconds: number }> {
  return openClients({
    ...options,
    create: (index, token) =>
      new StreamClient(options.port, token, options.onComplete, index, options.gzip === true),
  });
}
