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
/** Above this many changed buckets, streams read their own (few streams share any one of them). */
const MAX_PREFETCH_BUCKETS = 64;

export class SharedDataReader {
  private readonly inflight = new Map<string, Promise<OplogRow[]>>();
  private readonly recent = new Map<string, { rows: OplogRow[]; bytes: number }>();
  private recentBytes = 0;
  /** The changed buckets' ops of the newest checkpoint, read once before streams are told. */
  private since:
    | { syncRulesId: number; checkpoint: bigint; previous: bigint; byBucket: Map<string, OplogRow[]> }
    | undefined;

  constructor(
    private readonly storage: pg.Pool,
    private readonly semaphore: Semaphore,
    private readonly maxRecentBytes = 16 * 1024 * 1024,
  ) {}

  /**
   * Reads the ops a checkpoint added to the buckets it changed — (previous, checkpoint] — in one query before
   * streams are told, when few buckets changed and the ops fit one read. A stream that completed `previous`
   * needs exactly these ops for each of its changed buckets (see sinceCheckpoint).
   */
  async prepare(
    syncRulesId: number,
    checkpoint: bigint,
    previous: bigint | null,
    changed: ReadonlySet<string> | null,
    limit: number,
  ): Promise<void> {
    this.since = undefined;
    if (previous === null || changed === null || changed.size === 0 || changed.size > MAX_PREFETCH_BUCKETS)
      return;
    const buckets = [...changed];
    const rows = await this.semaphore.run(() =>
      getBucketData(
        this.storage,
        syncRulesId,
        checkpoint,
        buckets.map((bucket) => ({ bucket, after: previous })),
        limit,
      ),
    );
    // A full read may have cut a bucket short: then every stream reads for itself.
    if (rows.length >= limit) return;
    const byBucket = new Map<string, OplogRow[]>(buckets.map((bucket) => [bucket, []]));
    for (const row of rows) byBucket.get(row.bucket)?.push(row);
    this.since = { syncRulesId, checkpoint, previous, byBucket };
  }

  /**
   * The ops of `bucket` in (previous, checkpoint] read by prepare(), or undefined. For a stream that
   * completed `previous`, these are exactly the ops after its position in that bucket.
   */
  sinceCheckpoint(
    syncRulesId: number,
    checkpoint: bigint,
    previous: bigint,
    bucket: string,
  ): OplogRow[] | undefined {
    const since = this.since;
    if (!since || since.syncRulesId !== syncRulesId || since.checkpoint !== checkpoint) return undefined;
    if (since.previous !== previous) return undefined;
    return since.byBucket.get(bucket);
  }

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
