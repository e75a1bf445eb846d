/** Something waiting for a connect permit. */
export interface GateWaiter {
  /** Called once with the permit; the waiter must `release()` it when its attempt has opened or failed. */
  onPermit(): void;
}

/**
 * Bounds how many clients of a fleet are connecting at once (handshake in flight), so adding 10,000 clients
 * does not overflow the server's accept queue. FIFO; a waiter that was stopped meanwhile releases its permit
 * as soon as it gets it.
 */
export class ConnectGate {
  private inFlight = 0;
  private readonly queue: GateWaiter[] = [];
  private head = 0;

  constructor(readonly limit: number) {}

  acquire(waiter: GateWaiter): void {
    if (this.inFlight < this.limit) {
      this.inFlight++;
      waiter.onPermit();
    } else this.queue.push(waiter);
  }

  release(): void {
    if (this.head < this.queue.length) {
      const next = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as GateWaiter;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      next.onPermit();
    } else this.inFlight--;
  }

  get waiting(): number {
    return this.queue.length - this.head;
  }

  get active(): number {
    return this.inFlight;
  }
}
