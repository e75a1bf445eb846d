export interface BackoffOptions {
  /** First delay before jitter; default 250 ms. */
  baseMs?: number;
  /** Largest delay before jitter; default 10 s. */
  capMs?: number;
}

/**
 * Jittered exponential backoff ("equal jitter"): attempt k waits between half and all of
 * min(cap, base·2^k), so a storm of clients spreads out instead of reconnecting in lockstep.
 */
export class Backoff {
  private attempt = 0;
  private readonly baseMs: number;
  private readonly capMs: number;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.baseMs = options.baseMs ?? 250;
    this.capMs = options.capMs ?? 10_000;
  }

  /** The delay before the next attempt, in ms; each call counts one more failure. */
  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return ceiling / 2 + this.random() * (ceiling / 2);
  }

  /** A healthy stream: the next failure starts from the base delay again. */
  reset(): void {
    this.attempt = 0;
  }

  get failures(): number {
    return this.attempt;
  }
}
