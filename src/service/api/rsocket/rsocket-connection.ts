import { WebSocket } from 'ws';
import { ServiceError } from '../../../errors/index.js';
import {
  decodeFrame,
  encodeError,
  encodeKeepalive,
  encodePayload,
  FRAME_HEADER_BYTES,
  FrameType,
  RSocketErrorCode,
  type RequestStreamFrame,
  type RSocketFrame,
  type SetupFrame,
} from '../../../protocol/index.js';
import type { SyncStreamRequest, VerifiedToken } from '../sync/stream-types.js';
import {
  decodeDocumentOrThrow,
  documentEncoding,
  errorText,
  parseSyncStreamRequest,
} from './rsocket-documents.js';
import type { DocumentEncoding } from './rsocket-documents.js';
import type { RSocketConnectionOptions } from './rsocket-options.js';
import { RSocketStream, type StreamTransport } from './rsocket-stream.js';
import { registerForShutdown, unregisterForShutdown } from '../shutdown-registry.js';

/** The only route served over RSocket. */
export const SYNC_STREAM_PATH = '/sync/stream';
/** A connection that sends no SETUP within this time is closed. */
const SETUP_TIMEOUT_MS = 30_000;
/** After shutdown, streams get this long to end before the socket is closed anyway. */
const SHUTDOWN_GRACE_MS = 5_000;
/** Above this many bytes queued on the socket, a write waits until its frame is flushed. */
const HIGH_WATER_BYTES = 64 * 1024;
/** Frames buffered while SETUP authenticates (the socket is paused, so only a few can arrive). */
const MAX_PENDING_FRAMES = 32;
const MAX_TIMER_MS = 2 ** 31 - 1;

const State = { AwaitingSetup: 0, Authenticating: 1, Ready: 2, Closed: 3 } as const;
type StateValue = (typeof State)[keyof typeof State];

function onTimer(connection: RSocketConnection): void {
  connection.onTimeout();
}

/**
 * One RSocket-over-WebSocket connection (protocol.md §1.9): SETUP and authentication, then any number of
 * REQUEST_STREAMs on the sync stream route. Idle cost: this object, one timer, no per-connection closures.
 */
export class RSocketConnection implements StreamTransport {
  private state: StateValue = State.AwaitingSetup;
  private shuttingDown = false;
  private timer: NodeJS.Timeout;
  private lifetimeMs = 0;
  private metadataEncoding: DocumentEncoding = 'bson';
  private dataEncoding: DocumentEncoding = 'bson';
  private token: VerifiedToken | undefined;
  private streams: Map<number, RSocketStream> | undefined;
  private pending: Buffer[] | undefined;
  /** Corks on the socket not yet undone (streams holding a checkpoint's frames). */
  private corks = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly options: RSocketConnectionOptions,
  ) {
    this.timer = setTimeout(onTimer, SETUP_TIMEOUT_MS, this).unref();
    registerForShutdown(options.shutdownSignal, this);
  }

  /** One WebSocket message = one frame. */
  onMessage(bytes: Buffer): void {
    if (this.state === State.Closed) return;
    if (this.state === State.Authenticating) {
      this.pending ??= [];
      if (this.pending.length >= MAX_PENDING_FRAMES) {
        this.fail(RSocketErrorCode.CONNECTION_ERROR, 'Too many frames before SETUP completed');
      } else this.pending.push(bytes);
      return;
    }
    if (this.state === State.AwaitingSetup && !isSetup(bytes)) {
      this.fail(RSocketErrorCode.UNSUPPORTED_SETUP, 'The first frame must be SETUP');
      return;
    }
    let frame: RSocketFrame;
    try {
      frame = decodeFrame(bytes);
    } catch (error) {
      const code =
        this.state === State.Ready ? RSocketErrorCode.CONNECTION_ERROR : RSocketErrorCode.INVALID_SETUP;
      this.fail(code, (error as Error).message);
      return;
    }
    if (frame.type === FrameType.SETUP && this.state === State.AwaitingSetup) this.onSetup(frame);
    else this.onFrame(frame);
  }

  /** The socket closed (by either side): abort every stream. */
  onClose(): void {
    this.cleanup(new Error('The WebSocket connection closed'));
  }

  /** The setup timeout, the keepalive lifetime or the shutdown grace period ran out. */
  onTimeout(): void {
    if (this.shuttingDown) {
      this.close(1001);
    } else if (this.state === State.AwaitingSetup) {
      this.fail(RSocketErrorCode.INVALID_SETUP, 'No SETUP received');
    } else {
      this.fail(RSocketErrorCode.CONNECTION_ERROR, `No KEEPALIVE received within ${this.lifetimeMs} ms`);
    }
  }

  /** A WebSocket protocol error (`ws` closes the socket itself). */
  onSocketError(error: Error): void {
    this.options.log?.warn(`RSocket WebSocket error: ${error.message}`);
  }

  /** Shutdown: stop accepting streams, abort the running ones, close once they have ended. */
  shutdown(): void {
    if (this.state === State.Closed || this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.state === State.Authenticating) {
      this.fail(RSocketErrorCode.REJECTED_SETUP, new ServiceError('PSYNC_S2003').message);
      return;
    }
    if (this.state !== State.Ready || !this.streams?.size) {
      this.close(1001);
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(onTimer, SHUTDOWN_GRACE_MS, this).unref();
    const reason = new ServiceError('PSYNC_S2003');
    for (const stream of this.streams.values()) stream.abort(reason);
  }

  sendOnStream(stream: RSocketStream, frame: Buffer): Promise<void> | undefined {
    const ws = this.ws;
    if (ws.readyState !== WebSocket.OPEN) {
      const reason = new Error('The WebSocket connection closed');
      stream.abort(reason);
      return Promise.reject(reason);
    }
    if (ws.bufferedAmount < HIGH_WATER_BYTES) {
      ws.send(frame);
      return undefined;
    }
    // Waiting for a frame to be written while the socket is corked would wait forever: let it go.
    this.uncorkAll();
    return sendAndWait(ws, frame, stream.signal);
  }

  /** Corks the socket (nested: one uncork per cork). */
  cork(): void {
    if (!this.options.socket) return;
    this.options.socket.cork();
    this.corks++;
  }

  uncork(): void {
    if (this.corks === 0) return;
    this.corks--;
    this.options.socket!.uncork();
  }

  uncorkAll(): void {
    while (this.corks > 0) this.uncork();
  }

  private onSetup(frame: SetupFrame): void {
    const rejected = RSocketErrorCode.REJECTED_SETUP;
    if (frame.lease || frame.resume) return this.fail(rejected, 'Lease and resume are not supported');
    if (frame.majorVersion !== 1) {
      return this.fail(
        RSocketErrorCode.UNSUPPORTED_SETUP,
        `Unsupported RSocket version ${frame.majorVersion}`,
      );
    }
    if (frame.lifetimeMs === 0)
      return this.fail(RSocketErrorCode.INVALID_SETUP, 'Max lifetime must be positive');
    let metadata: Record<string, unknown> | undefined;
    try {
      this.metadataEncoding = documentEncoding(frame.metadataMime);
      this.dataEncoding = documentEncoding(frame.dataMime);
      if (this.shuttingDown || this.options.shutdownSignal.aborted) throw new ServiceError('PSYNC_S2003');
      if (!this.options.admit()) throw new ServiceError('PSYNC_S2304');
      metadata = decodeDocumentOrThrow(frame.metadata, this.metadataEncoding, 'SETUP metadata');
    } catch (error) {
      return this.fail(rejected, errorText(error));
    }
    this.lifetimeMs = Math.min(frame.lifetimeMs, MAX_TIMER_MS);
    clearTimeout(this.timer);
    this.timer = setTimeout(onTimer, this.lifetimeMs, this).unref();
    const token = typeof metadata?.token === 'string' ? metadata.token : undefined;
    this.state = State.Authenticating;
    this.ws.pause();
    let verification: Promise<VerifiedToken>;
    try {
      verification = this.options.authenticate(token);
    } catch (error) {
      verification = Promise.reject(error);
    }
    verification.then(
      (verified) => this.onAuthenticated(verified),
      (error: unknown) => this.onAuthenticationFailed(error),
    );
  }

  private onAuthenticated(token: VerifiedToken): void {
    if (this.state === State.Closed) return;
    this.token = token;
    this.state = State.Ready;
    this.ws.resume();
    const pending = this.pending;
    this.pending = undefined;
    for (const bytes of pending ?? []) this.onMessage(bytes);
  }

  private onAuthenticationFailed(error: unknown): void {
    if (this.state === State.Closed) return;
    this.warnUnexpected('RSocket authentication', error);
    this.fail(RSocketErrorCode.REJECTED_SETUP, errorText(error));
  }

  private onFrame(frame: RSocketFrame): void {
    switch (frame.type) {
      case FrameType.KEEPALIVE:
        if (!this.shuttingDown) this.timer.refresh(); // the shutdown grace period is not extended
        if (frame.respond) this.send(encodeKeepalive({ respond: false, data: frame.data }));
        return;
      case FrameType.REQUEST_STREAM:
        return this.openStream(frame);
      case FrameType.REQUEST_N:
        this.streams?.get(frame.streamId)?.addCredit(frame.n);
        return;
      case FrameType.CANCEL:
        return this.cancelStream(frame.streamId);
      case FrameType.ERROR:
        if (frame.streamId === 0) this.close(1000);
        else this.cancelStream(frame.streamId);
        return;
      case FrameType.SETUP:
        return this.fail(RSocketErrorCode.CONNECTION_ERROR, 'Unexpected second SETUP');
      default:
        return; // PAYLOAD from the client, LEASE, METADATA_PUSH, extensions: nothing to do.
    }
  }

  private openStream(frame: RequestStreamFrame): void {
    const id = frame.streamId;
    if (id === 0 || id % 2 === 0 || this.streams?.has(id)) {
      return this.fail(RSocketErrorCode.CONNECTION_ERROR, `Invalid or duplicate stream id ${id}`);
    }
    let request: SyncStreamRequest;
    try {
      if (this.shuttingDown) throw new ServiceError('PSYNC_S2003');
      const metadata = decodeDocumentOrThrow(frame.metadata, this.metadataEncoding, 'request metadata');
      const path = metadata?.path;
      if (path !== SYNC_STREAM_PATH) {
        throw new ServiceError('PSYNC_S2002', `The path does not exist on this server: ${String(path)}`);
      }
      const body = decodeDocumentOrThrow(frame.data, this.dataEncoding, 'request data');
      request = (this.options.parseRequest ?? parseSyncStreamRequest)(body);
    } catch (error) {
      this.send(encodeError(id, RSocketErrorCode.APPLICATION_ERROR, errorText(error)));
      return;
    }
    const stream = new RSocketStream(this, id, frame.initialN);
    (this.streams ??= new Map()).set(id, stream);
    void this.runStream(stream, request);
  }

  private async runStream(stream: RSocketStream, request: SyncStreamRequest): Promise<void> {
    const { runStream, onStreamOpen, onStreamClose } = this.options;
    onStreamOpen?.();
    let end: Buffer;
    try {
      await runStream({
        token: this.token!,
        request,
        transport: 'websocket',
        signal: stream.signal,
        sink: stream,
      });
      end = encodePayload({ streamId: stream.streamId, complete: true });
    } catch (error) {
      if (!stream.signal.aborted) this.warnUnexpected('RSocket sync stream', error);
      end = encodeError(stream.streamId, RSocketErrorCode.APPLICATION_ERROR, errorText(error));
    }
    if (!stream.cancelled) this.send(end);
    this.streams?.delete(stream.streamId);
    onStreamClose?.();
    if (this.shuttingDown && !this.streams?.size) this.close(1001);
  }

  private cancelStream(streamId: number): void {
    const stream = this.streams?.get(streamId);
    if (!stream) return;
    stream.cancelled = true;
    stream.abort(new Error('The stream was cancelled by the client'));
  }

  private send(frame: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  /** Sends an ERROR on stream 0 and closes the connection. */
  private fail(code: number, message: string): void {
    this.send(encodeError(0, code, message));
    this.close(1000);
  }

  private close(code: number): void {
    this.uncorkAll();
    if (this.state === State.Closed) return;
    this.cleanup(new Error('The RSocket connection was closed'));
    this.ws.resume(); // a paused socket would never read the peer's close frame
    this.ws.close(code);
  }

  private cleanup(reason: Error): void {
    if (this.state === State.Closed) return;
    this.state = State.Closed;
    this.pending = undefined;
    clearTimeout(this.timer);
    unregisterForShutdown(this.options.shutdownSignal, this);
    for (const stream of this.streams?.values() ?? []) stream.abort(reason);
  }

  private warnUnexpected(what: string, error: unknown): void {
    if (error instanceof ServiceError) return;
    this.options.log?.warn(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function isSetup(bytes: Buffer): boolean {
  return bytes.length >= FRAME_HEADER_BYTES && bytes.readUInt16BE(4) >>> 10 === FrameType.SETUP;
}

/** Sends a frame and resolves once it has been flushed to the socket (or rejects when the stream aborts). */
function sendAndWait(ws: WebSocket, frame: Buffer, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    ws.send(frame, (error) => {
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    });
  });
}
