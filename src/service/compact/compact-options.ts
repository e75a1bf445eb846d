import v8 from 'node:v8';
import { ServiceError } from '../../errors/index.js';

/** Options of one compaction run (service.md §5). */
export interface CompactOptions {
  /**
   * Full bucket names to compact (`global[]`, `1#by_user["u1"]`); undefined = all buckets of each stream;
   * an empty list skips bucket compaction. Names without `[` are rejected.
   */
  buckets?: string[];
  /**
   * Memory budget in MB for the per-bucket seen-rows map; default {@link defaultCompactMemoryLimitMB}. Each
   * tracked row costs ≈ key length + 140 bytes. Beyond the budget no new rows are tracked (less compaction,
   * never incorrect).
   */
  memoryLimitMB?: number;
  /** Ops read per page of the descending scan (default 10 000). */
  moveBatchQueryLimit?: number;
  /** MOVE rewrites per UPDATE statement (default 2 000). */
  moveBatchLimit?: number;
  /** Ops replaced per CLEAR transaction (default 5 000, at least 2). */
  clearBatchLimit?: number;
  /** Stops between pages and between CLEAR transactions; compact() then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called after every scanned page with the ops examined so far in that bucket. */
  onProgress?: (p: { bucket: string; opsExamined: number }) => void;
}

export interface CompactResult {
  /** Ids of the streams (sync config records) that were compacted. */
  streams: number[];
  /** Buckets compacted, over all streams. */
  buckets: number;
  /** Ops read by the descending scans. */
  opsExamined: number;
  /** PUT/REMOVE ops rewritten as MOVE. */
  movedOps: number;
  /** Ops deleted by the CLEAR step (including older CLEARs merged into a new one). */
  clearedOps: number;
  /** CLEAR ops inserted; the bucket shrank by `clearedOps − clearOpsWritten` ops. */
  clearOpsWritten: number;
  durationMs: number;
  /** Largest seen-rows map of any bucket. */
  trackedRowsPeak: number;
  /** The memory budget that was applied. */
  memoryLimitMB: number;
}

/** Options after defaults, validated. */
export interface CompactSettings {
  buckets: string[] | undefined;
  memoryLimitMB: number;
  /** The seen-rows budget in bytes. */
  seenBudgetBytes: number;
  moveBatchQueryLimit: number;
  moveBatchLimit: number;
  clearBatchLimit: number;
  signal: AbortSignal | undefined;
  onProgress: CompactOptions['onProgress'];
}

export const DEFAULT_COMPACT_LIMITS = {
  moveBatchQueryLimit: 10_000,
  moveBatchLimit: 2_000,
  clearBatchLimit: 5_000,
} as const;

const MAX_MEMORY_LIMIT_MB = 1024;
const HEAP_HEADROOM_MB = 128;

/** "Up to 1 GB": min(V8 heap_size_limit in MB − 128, 1024), never below 0. */
export function defaultCompactMemoryLimitMB(): number {
  const heapLimitMB = v8.getHeapStatistics().heap_size_limit / (1024 * 1024);
  return Math.max(0, Math.min(Math.floor(heapLimitMB - HEAP_HEADROOM_MB), MAX_MEMORY_LIMIT_MB));
}

/** Every problem with the given `--buckets` names; empty when all are full bucket names. */
export function validateBucketNames(names: string[]): string[] {
  const problems: string[] = [];
  names.forEach((name, index) => {
    if (!name.includes('[')) {
      problems.push(
        `buckets[${index}]: "${name}" is not a full bucket name (expected e.g. global[] or 1#by_user["u1"])`,
      );
    }
  });
  return problems;
}

/** Applies defaults and validates; throws SSCALE_E0003 listing every problem. */
export function resolveCompactSettings(options: CompactOptions): CompactSettings {
  const problems = options.buckets ? validateBucketNames(options.buckets) : [];
  const memoryLimitMB = options.memoryLimitMB ?? defaultCompactMemoryLimitMB();
  if (!Number.isFinite(memoryLimitMB) || memoryLimitMB < 0) {
    problems.push(`memoryLimitMB: expected a number ≥ 0, got ${memoryLimitMB}`);
  }
  // A CLEAR batch holds the previous CLEAR plus at least one op to replace, hence clearBatchLimit ≥ 2.
  const limit = (name: keyof typeof DEFAULT_COMPACT_LIMITS, min = 1): number => {
    const value = options[name] ?? DEFAULT_COMPACT_LIMITS[name];
    if (!Number.isSafeInteger(value) || value < min) {
      problems.push(`${name}: expected an integer ≥ ${min}, got ${value}`);
    }
    return value;
  };
  const settings: CompactSettings = {
    buckets: options.buckets ? [...new Set(options.buckets)] : undefined,
    memoryLimitMB,
    seenBudgetBytes: Math.floor(memoryLimitMB * 1024 * 1024),
    moveBatchQueryLimit: limit('moveBatchQueryLimit'),
    moveBatchLimit: limit('moveBatchLimit'),
    clearBatchLimit: limit('clearBatchLimit', 2),
    signal: options.signal,
    onProgress: options.onProgress,
  };
  if (problems.length > 0) {
    throw new ServiceError('SSCALE_E0003', `Invalid compact options: ${problems.join('; ')}`, {
      details: problems.join('\n'),
    });
  }
  return settings;
}
