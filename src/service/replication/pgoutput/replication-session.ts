import { PgoutputDecoder } from './pgoutput-decoder.js';
import type { ReplicationEvent } from './types.js';
import type { WireConnection } from './wire-connection.js';

export type BatchHandler = (batch: ReplicationEvent[]) => Promise<void>;

/** Status updates go out at least this often even when the consumer acknowledges nothing new. */
export const STATUS_INTERVAL_MS = 10_000;

/**
 * One START_REPLICATION stream: decodes CopyData as pg's parser emits it, hands events to the consumer in
 * batches (everything decoded from one socket read), and pauses the socket while a batch is being handled,
 * so a slow consumer pushes back on the walsender through TCP instead of growing a queue.
 */
export class ReplicationSession {
  readonly decoder = new PgoutputDecoder();
  private pending: ReplicationEvent[] = [];
  private inFlight: Promise<void> | null = null;
  private flushScheduled = false;
  private closing = false;
  private copyStarted = false;
  private copyDoneSent = false;
  private hasFailed = false;
  private rejectFailure: (error: unknown) => void = () => undefined;
  private readonly statusTimer: NodeJS.Timeout;
  /** Rejects with the consumer's error when a batch fails; never resolves. */
  readonly failed: Promise<never>;

  constructor(
    private readonly wire: WireConnection,
    private readonly onBatch: BatchHandler,
    /** Sends a standby status update with the consumer's last acknowledged LSN. */
    private readonly sendStatus: (replyRequested: boolean) => void,
  ) {
    this.failed = new Promise<never>((_, reject) => (this.rejectFailure = reject));
    this.failed.catch(() => undefined); // observed by startReplication; never an unhandled rejection
    this.statusTimer = setInterval(() => this.sendStatus(false), STATUS_INTERVAL_MS).unref();
    wire.on('copyData', this.onCopyData);
    wire.on('replicationStart', this.onReplicationStart);
  }

  /** Pushes the periodic status update back: called whenever a status update is sent. */
  statusSent(): void {
    this.statusTimer.refresh();
  }

  get streaming(): boolean {
    return this.copyStarted && !this.copyDoneSent;
  }

  /** Stops delivering batches and asks the server to end the stream (CopyDone), once CopyBoth has begun. */
  requestEnd(): void {
    this.closing = true;
    this.pending = [];
    this.wire.stream.resume(); // the server's CopyDone and CommandComplete must be read
    if (this.copyStarted && !this.copyDoneSent) {
      this.copyDoneSent = true;
      this.wire.endCopyFrom();
    }
  }

  /** START_REPLICATION has completed (or failed): nothing may be sent on the copy stream any more. */
  streamFinished(): void {
    this.copyDoneSent = true;
  }

  /**
   * Resolves when no batch is being handled and, unless the stream is closing, every decoded event has been
   * delivered: the stream has ended, and the consumer has seen all of it.
   */
  async settled(): Promise<void> {
    while (this.inFlight !== null || (!this.closing && this.pending.length > 0)) {
      if (this.inFlight === null) this.flush();
      await this.inFlight?.catch(() => undefined);
    }
  }

  detach(): void {
    clearInterval(this.statusTimer);
    this.wire.off('copyData', this.onCopyData);
    this.wire.off('replicationStart', this.onReplicationStart);
    this.wire.stream.resume();
  }

  private readonly onReplicationStart = (): void => {
    this.copyStarted = true;
    if (this.closing) this.requestEnd();
  };

  private readonly onCopyData = (message: { chunk: Buffer }): void => {
    if (this.closing) return;
    let event: ReplicationEvent | null;
    try {
      event = this.decoder.decodeCopyData(message.chunk);
    } catch (error) {
      this.fail(error);
      return;
    }
    if (event === null) return;
    // Answer at once, from the socket's point of view: the server may be waiting on it (wal_sender_timeout).
    if (event.tag === 'keepalive' && event.replyRequested) this.sendStatus(false);
    this.pending.push(event);
    if (!this.flushScheduled && this.inFlight === null) {
      this.flushScheduled = true;
      // pg emits every message of one socket read synchronously: a microtask runs after the last of them.
      queueMicrotask(this.flush);
    }
  };

  private readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.closing || this.inFlight !== null || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.wire.stream.pause();
    let handled: Promise<void>;
    try {
      handled = this.onBatch(batch);
    } catch (error) {
      handled = Promise.reject(error);
    }
    this.inFlight = handled.then(this.batchDone, (error: unknown) => {
      this.inFlight = null;
      this.fail(error);
    });
  };

  private readonly batchDone = (): void => {
    this.inFlight = null;
    if (this.closing) return;
    if (this.pending.length > 0) this.flush();
    else this.wire.stream.resume();
  };

  /** The first failure wins, even when it arrives after close() (a batch that was in flight). */
  private fail(error: unknown): void {
    if (this.hasFailed) return;
    this.hasFailed = true;
    if (!this.closing) this.requestEnd();
    this.rejectFailure(error);
  }
}
