import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Insert-only writes at a steady rate throughout the drill: `todos` rows with fresh ids (`drill-<n>`) for the
 * dataset's users in turn, stamped with the commit time for end-to-end latency. Insert-only, so every
 * row must reach each of its user's clients exactly once. A failed insert (the source is fine in a deploy
 * drill, but the run may be interrupted) is counted, not retried: the source table is the truth at the end.
 */
export class DrillWriter {
  private readonly pool: pg.Pool;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  private n = 0;
  committed = 0;
  failed = 0;

  constructor(
    sourceUrl: string,
    private readonly users: readonly string[],
    private readonly perSecond: number,
    private readonly rowSizeBytes: number,
  ) {
    // synchronous_commit on: the embedded server's default (off) delays logical decoding.
    this.pool = new pg.Pool({ connectionString: sourceUrl, max: 4, options: '-c synchronous_commit=on' });
    this.pool.on('error', () => undefined);
  }

  start(): void {
    const interval = 1000 / this.perSecond;
    const started = Date.now();
    const tick = () => {
      // Open loop: as many inserts as the schedule says by now, whatever the last ones took.
      const due = Math.floor((Date.now() - started) / interval) + 1;
      while (this.n < due) this.insert(this.n++);
      this.timer = setTimeout(tick, Math.max(1, interval / 2));
    };
    tick();
  }

  private insert(n: number): void {
    const owner = this.users[n % this.users.length]!;
    const payload = randomBytes(Math.max(8, this.rowSizeBytes >> 1))
      .toString('hex')
      .slice(0, this.rowSizeBytes);
    const done = this.pool
      .query(
        `INSERT INTO todos (id, owner_id, payload, ss_ts)
         VALUES ($1, $2, $3, (extract(epoch from clock_timestamp()) * 1000)::int8)`,
        [`drill-${n}`, owner, payload],
      )
      .then(
        () => {
          this.committed++;
        },
        () => {
          this.failed++;
        },
      );
    this.inFlight.add(done);
    void done.finally(() => this.inFlight.delete(done));
  }

  /** Stops scheduling and waits for the inserts in flight. */
  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all(this.inFlight);
  }

  async close(): Promise<void> {
    await this.stop();
    await this.pool.end().catch(() => undefined);
  }
}
