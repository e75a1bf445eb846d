import http from 'node:http';
import https from 'node:https';
import { classifyHttpError, FleetErrorCode } from './error-codes.js';
import { endpointUrl } from './transport/stream-transport.js';

/** A failed fleet operation, with the `errors` code it was counted under. */
export class FleetRequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FleetRequestError';
  }
}

/**
 * `GET /write-checkpoint2.json?client_id=…` (protocol.md §1.8): the new write checkpoint `n` for
 * `<sub>/<client_id>`, as the decimal string the server returned.
 */
export function fetchWriteCheckpoint(options: {
  endpoint: URL;
  token: string;
  clientId: string;
  agent: http.Agent | undefined;
  userAgent: string;
  timeoutMs: number;
}): Promise<string> {
  const url = endpointUrl(options.endpoint, 'write-checkpoint2.json');
  url.searchParams.set('client_id', options.clientId);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(
      url,
      {
        agent: options.agent,
        timeout: options.timeoutMs,
        headers: { Authorization: `Token ${options.token}`, 'User-Agent': options.userAgent },
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (text: string) => (body += text));
        response.on('error', (error) => reject(new FleetRequestError(FleetErrorCode.network, error.message)));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          if (status !== 200) {
            reject(
              new FleetRequestError(classifyHttpError(status, body), `write checkpoint: HTTP ${status}`),
            );
            return;
          }
          const value = parseWriteCheckpoint(body);
          if (value === undefined) reject(new FleetRequestError(FleetErrorCode.protocol, `bad body ${body}`));
          else resolve(value);
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('write checkpoint request timed out')));
    request.on('error', (error) => reject(new FleetRequestError(FleetErrorCode.network, error.message)));
  });
}

function parseWriteCheckpoint(body: string): string | undefined {
  try {
    const value = (JSON.parse(body) as { data?: { write_checkpoint?: unknown } })?.data?.write_checkpoint;
    if (typeof value === 'string' && /^\d+$/.test(value)) return value;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  } catch {
    // fall through
  }
  return undefined;
}

interface Waiter {
  target: bigint;
  startedAt: number;
  resolve: (latencyMs: number) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/** Write checkpoints requested by one client and not yet seen in a completed checkpoint. */
export class WriteCheckpointWaiters {
  private waiters: Waiter[] = [];

  /** Resolves with the latency (ms since `startedAt`, a `performance.now()` time) once `settle` covers it. */
  wait(target: string, startedAt: number, timeoutMs: number, onTimeout: () => void): Promise<number> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        target: BigInt(target),
        startedAt,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.remove(waiter);
          onTimeout();
          reject(
            new FleetRequestError(
              FleetErrorCode.writeCheckpointTimeout,
              `write checkpoint ${target} not seen within ${timeoutMs} ms`,
            ),
          );
        }, timeoutMs),
      };
      waiter.timer.unref();
      this.waiters.push(waiter);
    });
  }

  /**
   * A checkpoint carrying `writeCheckpoint` completed at `now`: resolves every waiter it covers, calling
   * `record` with each latency.
   */
  settle(writeCheckpoint: string | undefined, now: number, record: (latencyMs: number) => void): void {
    if (writeCheckpoint === undefined || this.waiters.length === 0) return;
    const reached = BigInt(writeCheckpoint);
    const open: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (waiter.target <= reached) {
        clearTimeout(waiter.timer);
        const latency = now - waiter.startedAt;
        record(latency);
        waiter.resolve(latency);
      } else open.push(waiter);
    }
    this.waiters = open;
  }

  /** Rejects every waiter (the client stopped). */
  rejectAll(error: Error): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  get size(): number {
    return this.waiters.length;
  }

  private remove(waiter: Waiter): void {
    const index = this.waiters.indexOf(waiter);
    if (index >= 0) this.waiters.splice(index, 1);
  }
}
