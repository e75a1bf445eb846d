/** The RSocket-over-WebSocket stream client of the idle benchmarks. */
import { performance } from 'node:perf_hooks';
import { serialize } from 'bson';
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
} from '../../../src/protocol/index.js';
import { IdleStreamBase, type IdleStream } from './idle-stream.js';

/** SDK values (protocol.md §1.9): KEEPALIVE every 20 s, connection dead after 30 s without one. */
const WS_KEEPALIVE_MS = 20_000;
const WS_LIFETIME_MS = 30_000;
/** Request-N credit like the SDK: 10 outstanding; when 5 or fewer remain, top up to 10. */
const WS_CREDIT = 10;
const WS_TOP_UP_AT = 5;
const WS_STREAM_ID = 1;
const BSON_MIME = 'application/bson';
const WS_ROUTE = serialize({ path: '/sync/stream' });
const WS_REQUEST = serialize({ raw_data: true });

/** Open WebSocket clients; one shared interval sends every one of them a KEEPALIVE (no timer per client). */
const liveWebSockets = new Set<WsStreamClient>();
let keepaliveTimer: NodeJS.Timeout | undefined;

function keepaliveAll(): void {
  for (const client of liveWebSockets) client.keepalive();
}

/**
 * One sync stream as RSocket over WebSocket (protocol.md §1.9) with the project's frame encoders: SETUP with
 * BSON metadata `{token: 'Token <jwt>'}`, REQUEST_STREAM on stream 1 for `/sync/stream` with 10 credits, one
 * BSON line per PAYLOAD recognised by its first key (no full BSON parse), REQUEST_N to top the credit up to 10
 * when 5 or fewer remain, KEEPALIVE from the shared 20 s interval. No compression (permessage-deflate off).
 */
export class WsStreamClient extends IdleStreamBase implements IdleStream {
  /** KEEPALIVE echoes received from the server (answers to the shared interval's KEEPALIVEs). */
  keepaliveEchoes = 0;
  /** Text of an RSocket ERROR frame or a refused upgrade. */
  error: string | undefined;
  private credit = WS_CREDIT;
  private readonly ws: WebSocket;

  constructor(
    port: number,
    private token: string,
    readonly id = 0,
  ) {
    super();
    this.ws = new WebSocket(`ws://127.0.0.1:${port}/sync/stream`, { perMessageDeflate: false });
    this.ws.on('open', () => this.onOpen());
    this.ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.onMessage(data);
    });
    this.ws.on('unexpected-response', (request, response) => {
      this.error = `upgrade refused with HTTP ${response.statusCode ?? 0}`;
      request.destroy();
    });
    this.ws.on('error', (error) => (this.closeReason ??= error.message));
    this.ws.on('close', (code: number, reason: Buffer) => {
      this.closed = true;
      this.closedAt = Date.now();
      liveWebSockets.delete(this);
      if (liveWebSockets.size === 0 && keepaliveTimer) {
        clearInterval(keepaliveTimer);
        keepaliveTimer = undefined;
      }
      this.closeReason ??= `WebSocket closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`;
      this.wakeFirst();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closedByUs = true;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeCancel(WS_STREAM_ID));
    this.ws.terminate();
  }

  describe(): string {
    return `${this.error ? `${this.error}; ` : ''}${this.closeReason ?? 'open'}`;
  }

  /** Called by the shared interval: KEEPALIVE with RESPOND, position 0. */
  keepalive(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeKeepalive({ respond: true }));
  }

  private onOpen(): void {
    if (this.closedByUs) return;
    this.ws.send(
      encodeSetup({
        keepaliveMs: WS_KEEPALIVE_MS,
        lifetimeMs: WS_LIFETIME_MS,
        metadataMime: BSON_MIME,
        dataMime: BSON_MIME,
        metadata: serialize({ token: `Token ${this.token}` }),
      }),
    );
    this.token = '';
    this.ws.send(
      encodeRequestStream({
        streamId: WS_STREAM_ID,
        initialN: WS_CREDIT,
        metadata: WS_ROUTE,
        data: WS_REQUEST,
      }),
    );
    liveWebSockets.add(this);
    keepaliveTimer ??= setInterval(keepaliveAll, WS_KEEPALIVE_MS).unref();
  }

  private onMessage(data: Buffer): void {
    let frame: RSocketFrame;
    try {
      frame = decodeFrame(data);
    } catch (error) {
      return this.fail(`bad frame: ${(error as Error).message}`);
    }
    switch (frame.type) {
      case FrameType.PAYLOAD:
        if (frame.next) {
          this.credit--;
          if (frame.data.length > 0) this.onLine(frame.data);
          if (this.credit <= WS_TOP_UP_AT && this.ws.readyState === WebSocket.OPEN) {
            this.ws.send(encodeRequestN(WS_STREAM_ID, WS_CREDIT - this.credit));
            this.credit = WS_CREDIT;
          }
        }
        if (frame.complete) this.fail('the server completed the stream');
        return;
      case FrameType.ERROR:
        this.error = `RSocket ERROR 0x${frame.code.toString(16)}: ${frame.message.slice(0, 300)}`;
        return this.fail(this.error);
      case FrameType.KEEPALIVE:
        if (frame.respond) this.ws.send(encodeKeepalive({ respond: false, data: frame.data }));
        else this.keepaliveEchoes++;
        return;
      default:
        return;
    }
  }

  /** A BSON line `{<kind>: …}`: its first element's name (after int32 size and the type byte). */
  private onLine(bson: Buffer): void {
    const nul = bson.indexOf(0, 5);
    const kind = nul > 5 ? bson.toString('latin1', 5, nul) : '';
    switch (kind) {
      case 'checkpoint_complete':
        this.completes++;
        if (this.completes === 1) {
          this.firstCompleteAt = performance.now();
          this.wakeFirst();
        }
        return;
      case 'data':
        this.dataLines++;
        return;
      case 'checkpoint':
      case 'checkpoint_diff':
        this.checkpoints++;
        return;
      case 'token_expires_in':
        this.keepalives++;
        return;
      case 'partial_checkpoint_complete':
        return;
      default:
        this.otherLines++;
        this.firstOtherLine ??= `BSON line with first key ${JSON.stringify(kind)} (${bson.length} bytes)`;
    }
  }

  private fail(reason: string): void {
    this.closeReason ??= reason;
    this.ws.terminate();
  }
}
