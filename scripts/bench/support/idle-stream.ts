/** What every idle benchmark client (HTTP or WebSocket) counts, and opening many with a bounded number in flight. */
import { performance } from 'node:perf_hooks';
import { tokenFor } from './tokens.js';

/** What both idle clients (HTTP and WebSocket) count, and their wait for a first checkpoint_complete. */
export abstract class IdleStreamBase {
  completes = 0;
  firstCompleteAt = NaN;
  checkpoints = 0;
  dataLines = 0;
  keepalives = 0;
  otherLines = 0;
  firstOtherLine: string | undefined;
  closed = false;
  closedByUs = false;
  closeReason: string | undefined;
  closedAt = NaN;
  private firstWaiters: Array<() => void> = [];

  /** Waits for the first checkpoint_complete: 'ok', or 'failed' (closed, refused, timed out). */
  async firstCheckpoint(timeoutMs: number): Promise<'ok' | 'failed'> {
    const deadline = Date.now() + timeoutMs;
    while (this.completes === 0 && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        this.firstWaiters.push(resolve);
        setTimeout(resolve, Math.min(1000, Math.max(1, deadline - Date.now())));
      });
    }
    if (this.completes > 0) return 'ok';
    if (!this.closed) this.closeReason = `no checkpoint_complete within ${timeoutMs} ms`;
    return 'failed';
  }

  protected wakeFirst(): void {
    for (const wake of this.firstWaiters.splice(0)) wake();
  }
}

/** What the idle-connection benchmark needs of a stream client, whatever its transport. */
export interface IdleStream {
  readonly id: number;
  readonly closed: boolean;
  readonly closedByUs: boolean;
  /** checkpoint_complete lines received. */
  readonly completes: number;
  /** token_expires_in lines received. */
  readonly keepalives: number;
  readonly otherLines: number;
  readonly firstOtherLine: string | undefined;
  firstCheckpoint(timeoutMs: number): Promise<'ok' | 'failed'>;
  close(): void;
  describe(): string;
}

/**
 * Opens `count` clients of distinct users (`u<from>` …) with at most `inFlight` (default 50) between connect
 * and first checkpoint_complete; each is pushed to `into` as it is created. Stops opening new ones once
 * `maxFailures` have failed. Returns the failures (index and description).
 */
export async function openClients<C extends IdleStream>(options: {
  key: { k: string; kid: string };
  from: number;
  count: number;
  inFlight?: number;
  timeoutMs?: number;
  maxFailures?: number;
  create: (index: number, token: string) => C;
  into: C[];
}): Promise<{ failures: string[]; seconds: number }> {
  const started = performance.now();
  const failures: string[] = [];
  const maxFailures = options.maxFailures ?? Infinity;
  let next = options.from;
  const end = options.from + options.count;
  const worker = async () => {
    while (next < end && failures.length < maxFailures) {
      const index = next++;
      const client = options.create(index, await tokenFor(`u${index}`, options.key));
      options.into.push(client);
      const outcome = await client.firstCheckpoint(options.timeoutMs ?? 60_000);
      if (outcome !== 'ok') failures.push(`u${index}: ${client.describe()}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.inFlight ?? 50, options.count) }, worker));
  return { failures, seconds: (performance.now() - started) / 1000 };
}

/** Streams that closed although we did not close them. */
export function dropped<C extends { closed: boolean; closedByUs: boolean }>(clients: readonly C[]): C[] {
  return clients.filter((c) => c.closed && !c.closedByUs);
}
