import type { SyncStreamContext } from './stream-types.js';

const KEEPALIVE_MS = 20_000;
const WARNING_BEFORE_S = 20;

/**
 * `token_expires_in` lines (protocol.md §1.5 step 9): over HTTP every 20 s ± 10 %, the first tick skipped;
 * on every transport 20 s before expiry and at expiry, after which the stream ends. One timer per stream.
 */
export class TokenExpiry {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly ctx: SyncStreamContext,
    private readonly onExpired: () => void,
  ) {
    const remaining = this.remainingSeconds();
    if (remaining <= 0) void this.tick();
    else this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private remainingSeconds(): number {
    return Math.max(0, Math.ceil(this.ctx.token.exp - Date.now() / 1000));
  }

  private schedule(): void {
    if (this.stopped) return;
    const remainingMs = this.ctx.token.exp * 1000 - Date.now();
    // Expiry is always a candidate, at once if it has passed: the clock may cross it between the tick that
    // sent "1" and this line, and then the next keepalive (20 s) would be the first to say 0.
    const candidates = [Math.max(0, remainingMs)];
    if (remainingMs - WARNING_BEFORE_S * 1000 > 0) candidates.push(remainingMs - WARNING_BEFORE_S * 1000);
    if (this.ctx.transport === 'http') candidates.push(KEEPALIVE_MS * (0.9 + Math.random() * 0.2));
    const delay = Math.max(0, Math.min(...candidates));
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const remaining = this.remainingSeconds();
    try {
      await this.ctx.sink.write({ token_expires_in: remaining });
    } catch {
      return;
    }
    if (remaining <= 0) this.onExpired();
    else this.schedule();
  }
}
