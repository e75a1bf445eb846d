export interface DispatcherOptions {
  /** Transactions run at once (at most the pool's connections). */
  concurrency: number;
  /** A transaction that would start later than this after its scheduled time is dropped instead. */
  maxLagMs: number;
  now: () => number;
  /**
   * Runs the transaction scheduled at `scheduledAt`; must not reject. `waitedForSlot`: it arrived while every
   * slot was busy (or others were already waiting), so its lateness is the slots', not the scheduler's.
   */
  start: (scheduledAt: number, waitedForSlot: boolean) => Promise<void>;
  /** `whileBusy`: every slot was busy when it expired (the work was slow, not the scheduler). */
  onDrop: (scheduledAt: number, lateMs: number, whileBusy: boolean) => void;
}

/**
 * The open-loop core: a transaction starts at its scheduled time whatever earlier ones are doing, as long as
 * one of `concurrency` slots is free; otherwise it waits, oldest first, and is dropped (and reported) once it
 * is more than `maxLagMs` late. Memory is bounded by rate × maxLagMs queued start times.
 */
export class OpenLoopDispatcher {
  private active = 0;
  private readonly waiting = new TimeQueue();
  /** Parallel to `waiting`: 1 when that arrival found every slot busy. */
  private readonly waitedFlags = new TimeQueue();
  private expiryTimer: NodeJS.Timeout | undefined;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(private readonly options: DispatcherOptions) {
    if (!Number.isSafeInteger(options.concurrency) || options.concurrency < 1) {
      throw new RangeError(`concurrency must be an integer ≥ 1, got ${options.concurrency}`);
    }
    if (!(options.maxLagMs >= 0)) throw new RangeError(`maxLagMs must be ≥ 0, got ${options.maxLagMs}`);
  }

  get inFlight(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.size;
  }

  /** A scheduled time has come: start it now, or queue it behind the busy slots. */
  arrive(scheduledAt: number): void {
    if (this.stopped) return;
    const mustWait = this.active >= this.options.concurrency || this.waiting.size > 0;
    this.waiting.push(scheduledAt);
    this.waitedFlags.push(mustWait ? 1 : 0);
    this.startWaiting();
  }

  /** No more starts: discards the queue and returns how many queued transactions were discarded. */
  stop(): number {
    this.stopped = true;
    const discarded = this.waiting.size;
    this.waiting.clear();
    this.waitedFlags.clear();
    this.disarmExpiry();
    this.notifyIfIdle();
    return discarded;
  }

  /** Resolves once nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private startWaiting(): void {
    this.dropExpired();
    while (this.active < this.options.concurrency && this.waiting.size > 0) {
      this.launch(this.waiting.shift() as number, this.waitedFlags.shift() === 1);
    }
    this.armExpiry();
    this.notifyIfIdle();
  }

  private launch(scheduledAt: number, waitedForSlot: boolean): void {
    this.active++;
    void this.options.start(scheduledAt, waitedForSlot).finally(() => {
      this.active--;
      this.startWaiting();
    });
  }

  private dropExpired(): void {
    const now = this.options.now();
    for (let first = this.waiting.peek(); first !== undefined; first = this.waiting.peek()) {
      if (now - first <= this.options.maxLagMs) return;
      this.waiting.shift();
      // Busy when it arrived behind busy slots; one that arrived to a free slot this late was a late scheduler.
      const waited = this.waitedFlags.shift() === 1;
      this.options.onDrop(first, now - first, waited);
    }
  }

  /** Wakes up when the oldest queued transaction expires, so drops are reported even while nothing moves. */
  private armExpiry(): void {
    const first = this.waiting.peek();
    if (this.expiryTimer !== undefined || first === undefined || this.stopped) return;
    const delay = Math.max(0, first + this.options.maxLagMs - this.options.now()) + 1;
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = undefined;
      this.startWaiting();
    }, delay);
  }

  private disarmExpiry(): void {
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  private isIdle(): boolean {
    return this.active === 0 && this.waiting.size === 0;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** A FIFO of numbers without O(n) shifts. */
class TimeQueue {
  private items: number[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(value: number): void {
    this.items.push(value);
  }

  peek(): number | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): number | undefined {
    if (this.head >= this.items.length) return undefined;
    const value = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
