import { deserialize, serialize } from 'bson';
import { WebSocket } from 'ws';
import {
  decodeFrame,
  encodeCancel,
  encodeKeepalive,
  encodeRequestN,
  encodeRequestStream,
  encodeSetup,
  FrameType,
  type RSocketFrame,
} from '../../protocol/index.js';
import { classifyRSocketError, FleetErrorCode } from '../error-codes.js';
import type { SyncLine } from '../sync-lines.js';
import {
  endpointUrl,
  type StreamConnection,
  type StreamHandler,
  type StreamRequest,
} from './stream-transport.js';

/** SDK values (protocol.md §1.9): KEEPALIVE every 20 s, connection dead after 30 s without one. */
export const KEEPALIVE_MS = 20_000;
export const LIFETIME_MS = 30_000;
/** Request-N credit: ≤ 10 outstanding; when 5 or fewer remain, top up to 10. */
export const MAX_CREDIT = 10;
export const TOP_UP_AT = 5;
const STREAM_ID = 1;
const BSON_MIME = 'application/bson';
const METADATA = serialize({ path: '/sync/stream' });

function sendKeepalive(stream: RSocketSyncStream): void {
  stream.keepalive();
}

/**
 * The sync stream as RSocket over WebSocket (protocol.md §1.9, the `ws` recipe): SETUP with the token in BSON
 * metadata, one REQUEST_STREAM on stream 1, one BSON line per PAYLOAD, credit topped up as lines are
 * consumed, a KEEPALIVE every 20 s (the connection's only timer), CANCEL on close.
 */
export class RSocketSyncStream implements StreamConnection {
  private finished = false;
  private opened = false;
  private outstanding = MAX_CREDIT;
  private timer: NodeJS.Timeout | undefined;
  private readonly ws: WebSocket;

  constructor(
    private readonly options: StreamRequest,
    private readonly handler: StreamHandler,
  ) {
    const url = endpointUrl(options.endpoint, 'sync/stream');
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    this.ws = new WebSocket(url, {
      // Compression off: a zlib context per socket costs far more memory than an idle client may.
      perMessageDeflate: false,
      handshakeTimeout: options.connectTimeoutMs,
      headers: { 'User-Agent': options.userAgent },
    });
    this.ws.on('open', () => this.onOpen());
    this.ws.on('message', (data: Buffer) => this.onMessage(data));
    this.ws.on('unexpected-response', (request, response) => {
      this.fail(`http_${response.statusCode ?? 0}`, 'WebSocket upgrade refused');
      request.destroy();
    });
    this.ws.on('error', (error) => this.fail(FleetErrorCode.network, error.message));
    this.ws.on('close', () => this.fail(FleetErrorCode.network, 'the WebSocket closed'));
  }

  close(): void {
    if (this.finished) return;
    this.finished = true;
    this.stopTimer();
    if (this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(encodeCancel(STREAM_ID));
      this.ws.close(1000);
    } else this.ws.terminate();
  }

  drop(): void {
    this.ws.terminate();
    this.fail(FleetErrorCode.network, 'connection dropped');
  }

  /** Timer callback: KEEPALIVE with RESPOND, position 0. */
  keepalive(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeKeepalive({ respond: true }));
  }

  private onOpen(): void {
    if (this.finished) return;
    const metadata = serialize({ token: `Token ${this.options.token}`, user_agent: this.options.userAgent });
    this.ws.send(
      encodeSetup({
        keepaliveMs: KEEPALIVE_MS,
        lifetimeMs: LIFETIME_MS,
        metadataMime: BSON_MIME,
        dataMime: BSON_MIME,
        metadata,
      }),
    );
    this.ws.send(
      encodeRequestStream({
        streamId: STREAM_ID,
        initialN: MAX_CREDIT,
        metadata: METADATA,
        data: serialize(this.options.body),
      }),
    );
    this.timer = setInterval(sendKeepalive, KEEPALIVE_MS, this).unref();
  }

  private onMessage(data: Buffer): void {
    if (this.finished) return;
    this.handler.onBytes(data.length);
    let frame: RSocketFrame;
    try {
      frame = decodeFrame(data);
    } catch (error) {
      return this.failAndClose(FleetErrorCode.protocol, (error as Error).message);
    }
    switch (frame.type) {
      case FrameType.PAYLOAD:
        if (!this.opened) {
          this.opened = true;
          this.handler.onOpen();
        }
        if (frame.next && frame.data.length > 0) this.onPayload(frame.data);
        if (frame.complete) this.failAndClose(FleetErrorCode.streamEnded, 'the server completed the stream');
        return;
      case FrameType.ERROR:
        return this.failAndClose(classifyRSocketError(frame.code, frame.message), frame.message);
      case FrameType.KEEPALIVE:
        if (frame.respond) this.ws.send(encodeKeepalive({ respond: false, data: frame.data }));
        return;
      default:
        return;
    }
  }

  private onPayload(bytes: Buffer): void {
    let line: SyncLine;
    try {
      line = deserialize(bytes) as SyncLine;
    } catch (error) {
      return this.failAndClose(FleetErrorCode.protocol, (error as Error).message);
    }
    this.outstanding--;
    this.handler.onLine(line);
    if (this.finished) return;
    if (this.outstanding <= TOP_UP_AT && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(encodeRequestN(STREAM_ID, MAX_CREDIT - this.outstanding));
      this.outstanding = MAX_CREDIT;
    }
  }

  private failAndClose(code: string, detail: string): void {
    if (this.finished) return;
    this.fail(code, detail);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    else this.ws.terminate();
  }

  private fail(code: string, detail: string): void {
    if (this.finished) return;
    this.finished = true;
    this.stopTimer();
    this.handler.onFailure(code, detail);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
