import type pg from 'pg';
import { getBucketChecksums, type BucketChecksum } from '../../storage/index.js';

/**
 * Bucket checksums at the latest checkpoint, shared by every stream of the process. A bucket's entry stays
 * valid until a checkpoint changes that bucket; concurrent misses for the same bucket share one query.
 */
export class ChecksumCache {
  private entries = new Map<string, BucketChecksum>();
  private checkpoint: bigint | null = null;
  private syncRulesId: number | null = null;
  private readonly maxEntries: number;
  private readonly inflight = new Map<string, Promise<BucketChecksum>>();

  constructor(
    private readonly storage: pg.Pool,
    options: { maxEntries?: number } = {},
  ) {
    this.maxEntries = options.maxEntries ?? 100_000;
  }

  /** Moves the cache to a new checkpoint, dropping entries of the buckets that changed (all if unknown). */
  advance(syncRulesId: number, checkpoint: bigint, changed: ReadonlySet<string> | null): void {
    if (this.syncRulesId !== syncRulesId || changed === null || (this.checkpoint ?? -1n) > checkpoint) {
      this.entries = new Map();
    } else {
      for (const bucket of changed) this.entries.delete(bucket);
    }
    this.syncRulesId = syncRulesId;
    this.checkpoint = checkpoint;
  }

  /**
   * Advances to the update's checkpoint and reads the checksums of the buckets it changed (up to
   * MAX_PREFETCH_BUCKETS) in one query, before any stream asks for them.
   */
  async prepare(syncRulesId: number, checkpoint: bigint, changed: ReadonlySet<string> | null): Promise<void> {
    this.advance(syncRulesId, checkpoint, changed);
    if (changed === null || changed.size === 0 || changed.size > MAX_PREFETCH_BUCKETS) return;
    await this.get(syncRulesId, checkpoint, [...changed]);
  }

  /** The checksums when every bucket is cached for this checkpoint (no promise, no query), else undefined. */
  peek(
    syncRulesId: number,
    checkpoint: bigint,
    buckets: readonly string[],
  ): Map<string, BucketChecksum> | undefined {
    if (syncRulesId !== this.syncRulesId || checkpoint !== this.checkpoint) return undefined;
    const result = new Map<string, BucketChecksum>();
    for (const bucket of buckets) {
      const entry = this.entries.get(bucket);
      if (!entry) return undefined;
      result.set(bucket, entry);
    }
    return result;
  }

  async get(
    syncRulesId: number,
    checkpoint: bigint,
    buckets: readonly string[],
  ): Promise<Map<string, BucketChecksum>> {
    const usable = syncRulesId === this.syncRulesId && checkpoint === this.checkpoint;
    const result = new Map<string, BucketChecksum>();
    const waiting: Array<Promise<void>> = [];
    const missing: string[] = [];
    for (const bucket of buckets) {
      const entry = usable ? this.entries.get(bucket) : undefined;
      if (entry) {
        result.set(bucket, entry);
        continue;
      }
      // A checkpoint that changes a bucket watched by many streams: one query, every stream waits for it.
      const pending = this.inflight.get(inflightKey(syncRulesId, checkpoint, bucket));
      if (pending) waiting.push(pending.then((value) => void result.set(bucket, value)));
      else missing.push(bucket);
    }
    if (missing.length > 0) {
      const query = getBucketChecksums(this.storage, syncRulesId, checkpoint, missing);
      for (const bucket of missing) {
        const key = inflightKey(syncRulesId, checkpoint, bucket);
        const one = query.then((fetched) => fetched.get(bucket)!);
        this.inflight.set(key, one);
        one.then(
          () => this.inflight.delete(key),
          () => this.inflight.delete(key),
        );
      }
      const fetched = await query;
      for (const [bucket, value] of fetched) {
        result.set(bucket, value);
        if (usable && syncRulesId === this.syncRulesId && checkpoint === this.checkpoint) {
          if (this.entries.size >= this.maxEntries) this.entries.clear();
          this.entries.set(bucket, value);
        }
      }
    }
    await Promise.all(waiting);
    return result;
  }
}

/** Above this many changed buckets, streams read checksums of their own buckets only. */
const MAX_PREFETCH_BUCKETS = 1000;

function inflightKey(syncRulesId: number, checkpoint: bigint, bucket: string): string {
  return `${syncRulesId}:${checkpoint}:${bucket}`;
}
