import { ServiceError } from '../../../errors/index.js';

/** A process-wide counting semaphore (max_data_fetch_concurrency) with an acquire timeout. */
export class Semaphore {
  private available: number;
  private readonly waiters: Array<() => void> = [];

  constructor(
    permits: number,
    private readonly timeoutMs = 30_000,
  ) {
    this.available = permits;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.available > 0) {
      this.available--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(grant);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new ServiceError('PSYNC_S2001', 'Timeout while waiting for data'));
      }, this.timeoutMs);
      this.waiters.push(grant);
    });
  }

  private release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.available++;
  }
}
