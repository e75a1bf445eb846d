import { encodeBsonLine, encodePayload, MAX_REQUEST_N } from '../../../protocol/index.js';
import { SharedLine, type LineSink, type SyncLine } from '../sync/stream-types.js';

/** How a stream hands its PAYLOAD frames to the connection; returns a promise only under backpressure. */
export interface StreamTransport {
  sendOnStream(stream: RSocketStream, frame: Buffer): Promise<void> | undefined;
  /** Hold the frames sent from now on until the matching uncork (one socket write for all of them). */
  cork?(): void;
  uncork?(): void;
  /** Ends every cork now (before waiting on the peer, which must first receive what is held). */
  uncorkAll?(): void;
}

interface CreditWaiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
}

/**
 * One REQUEST_STREAM: request-N credit, the abort signal the runner sees, and the LineSink it writes to.
 * A write never sends without credit: credit is reserved for a waiting writer at the moment it arrives.
 */
export class RSocketStream implements LineSink {
  private credit: number;
  private waiters: CreditWaiter[] | undefined;
  private readonly controller = new AbortController();
  /** CANCEL (or a client ERROR) received: nothing more may be sent on this stream, not even COMPLETE. */
  cancelled = false;

  constructor(
    private readonly transport: StreamTransport,
    readonly streamId: number,
    initialN: number,
  ) {
    this.credit = initialN;
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Sends one line as a PAYLOAD(NEXT) frame with BSON data, at once when credit and the socket allow (no
   * promise then); otherwise the promise resolves once it was sent. Throws when the stream was aborted.
   */
  write(line: SyncLine | SharedLine): Promise<void> | undefined {
    const signal = this.controller.signal;
    if (signal.aborted) throw signal.reason;
    const data = line instanceof SharedLine ? line.bson() : encodeBsonLine(line);
    const frame = encodePayload({ streamId: this.streamId, next: true, data });
    if (this.credit > 0 && this.waiters === undefined) {
      this.credit--;
      return this.transport.sendOnStream(this, frame);
    }
    // The client grants credit only for frames it received: held frames must leave before we wait.
    this.transport.uncorkAll?.();
    return this.sendWhenCredited(frame);
  }

  private async sendWhenCredited(frame: Buffer): Promise<void> {
    const signal = this.controller.signal;
    await new Promise<void>((resolve, reject) => (this.waiters ??= []).push({ resolve, reject }));
    if (signal.aborted) throw signal.reason;
    const pending = this.transport.sendOnStream(this, frame);
    if (pending) await pending;
  }

  /** A checkpoint's frames leave together: the connection's socket is corked until release. */
  hold(): void {
    this.transport.cork?.();
  }

  release(): undefined {
    this.transport.uncork?.();
    return undefined;
  }

  /** REQUEST_N: adds credit (saturating at 2^31-1) and hands it to waiting writers in order. */
  addCredit(n: number): void {
    this.credit = Math.min(this.credit + n, MAX_REQUEST_N);
    while (this.waiters !== undefined && this.credit > 0) {
      const waiter = this.waiters.shift()!;
      if (this.waiters.length === 0) this.waiters = undefined;
      this.credit--;
      waiter.resolve();
    }
  }

  /** Aborts the runner's signal and fails writers waiting for credit. */
  abort(reason: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
    const waiters = this.waiters;
    this.waiters = undefined;
    for (const waiter of waiters ?? []) waiter.reject(reason);
  }
}
