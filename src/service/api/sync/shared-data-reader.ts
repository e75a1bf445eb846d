import type pg from 'pg';
import { getBucketData, type OplogRow } from '../../storage/index.js';
import { storedSize } from './oplog-lines.js';
import type { Semaphore } from './semaphore.js';

/**
 * Bucket data reads shared by every stream of the process. When a checkpoint changes a bucket that many
 * streams watch (a global bucket), they all ask for the same range `(after, checkpoint]`: one storage read
 * serves them all, and the result is kept briefly (bounded by bytes) for streams that arrive a little later.
 * Reads go through the process-wide data-fetch semaphore.
 */
export class SharedDataReader {
  private readonly inflight = new Map<string, Promise<OplogRow[]>>();
  private readonly recent = new Map<string, { rows: OplogRow[]; bytes: number }>();
  private recentBytes = 0;

  constructor(
    private readonly storage: pg.Pool,
    private readonly semaphore: Semaphore,
    private readonly maxRecentBytes = 16 * 1024 * 1024,
  ) {}

  /** The rows of one bucket's range when a recent read already holds them (no promise), else undefined. */
  peek(
    syncRulesId: number,
    checkpoint: bigint,
    bucket: string,
    after: bigint,
    limit: number,
  ): OplogRow[] | undefined {
    return this.recent.get(`${syncRulesId}:${checkpoint}:${bucket}:${after}:${limit}`)?.rows;
  }

  read(
    syncRulesId: number,
    checkpoint: bigint,
    positions: ReadonlyArray<{ bucket: string; after: bigint }>,
    limit: number,
  ): Promise<OplogRow[]> {
    const fetch = () =>
      this.semaphore.run(() => getBucketData(this.storage, syncRulesId, checkpoint, positions, limit));
    // Multi-bucket reads (initial syncs) differ per user: nothing to share.
    if (positions.length !== 1) return fetch();
    const key = `${syncRulesId}:${checkpoint}:${positions[0]!.bucket}:${positions[0]!.after}:${limit}`;
    const cached = this.recent.get(key);
    if (cached) return Promise.resolve(cached.rows);
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const read = fetch();
    this.inflight.set(key, read);
    read.then(
      (rows) => {
        this.inflight.delete(key);
        this.remember(key, rows);
      },
      () => this.inflight.delete(key),
    );
    return read;
  }

  private remember(key: string, rows: OplogRow[]): void {
    let bytes = 0;
    for (const row of rows) bytes += storedSize(row);
    if (bytes > this.maxRecentBytes / 4) return;
    this.recent.set(key, { rows, bytes });
    this.recentBytes += bytes;
    // Oldest first (Map keeps insertion order).
    for (const [oldKey, entry] of this.recent) {
      if (this.recentBytes <= this.maxRecentBytes) break;
      this.recent.delete(oldKey);
      this.recentBytes -= entry.bytes;
    }
  }
}
