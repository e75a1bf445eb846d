import type pg from 'pg';
import { BucketScan } from './bucket-scan.js';
import { clearPrefix } from './clear-prefix.js';
import type { CompactSettings } from './compact-options.js';
import { MoveWriter } from './move-writer.js';

/** What compacting one bucket did. */
export interface BucketCompactStats {
  opsExamined: number;
  movedOps: number;
  clearedOps: number;
  clearOpsWritten: number;
  trackedRows: number;
}

/** One page row: op id, op type, row key (`table/row_id/subkey`, PUT/REMOVE only). */
type PageRow = [opId: string, op: string, key: string | null];

// Keyset pagination on the primary key, newest first; the row key is built by Postgres so the driver makes
// one string per op instead of three.
const PAGE_SQL = `
  SELECT op_id, op,
         CASE WHEN op IN ('PUT', 'REMOVE') THEN concat(table_name, '/', row_id, '/', subkey) END AS key
  FROM powersync.bucket_data
  WHERE group_id = $1 AND bucket_name = $2 AND op_id < $3
  ORDER BY op_id DESC
  LIMIT $4`;

/**
 * Compacts one bucket of one stream up to `maxOpId` (service.md §5): a descending scan in pages that rewrites
 * superseded PUT/REMOVE ops as MOVEs, then the CLEAR step over the leading run of non-PUT ops. The next page
 * is fetched while the current one is examined and its MOVE rewrites are written, so the scan, the updates
 * and the JavaScript work overlap. Ops newer than `maxOpId` are never read or written.
 */
export class BucketCompactor {
  private readonly scan: BucketScan;
  private readonly moves: MoveWriter;

  constructor(
    private readonly pool: pg.Pool,
    private readonly groupId: number,
    private readonly bucket: string,
    private readonly maxOpId: string,
    private readonly settings: CompactSettings,
  ) {
    this.scan = new BucketScan(settings.seenBudgetBytes);
    this.moves = new MoveWriter(pool, groupId, bucket, settings.moveBatchLimit);
  }

  /** Runs the scan and the CLEAR step; on abort, rewrites already decided are written before rejecting. */
  async run(): Promise<BucketCompactStats> {
    let trackedRows: number;
    let clearUpTo: string | null;
    try {
      await this.scanPages();
      await this.moves.drain();
    } finally {
      await this.moves.settle();
      trackedRows = this.scan.trackedRows;
      clearUpTo = this.scan.clearUpTo();
      this.scan.release();
    }
    this.settings.signal?.throwIfAborted();
    const cleared = clearUpTo
      ? await clearPrefix(
          this.pool,
          this.groupId,
          this.bucket,
          clearUpTo,
          this.settings.clearBatchLimit,
          this.settings.signal,
        )
      : { clearedOps: 0, clearOpsWritten: 0 };
    return {
      opsExamined: this.scan.opsExamined,
      movedOps: this.moves.movedOps,
      trackedRows,
      ...cleared,
    };
  }

  private async scanPages(): Promise<void> {
    const { signal, onProgress, moveBatchQueryLimit } = this.settings;
    let next: Promise<PageRow[]> | null = this.fetchPage((BigInt(this.maxOpId) + 1n).toString());
    try {
      while (next) {
        const rows: PageRow[] = await next;
        next = null;
        if (rows.length === moveBatchQueryLimit && !signal?.aborted) {
          next = this.fetchPage(rows[rows.length - 1]![0]);
          // Marked handled; awaited on the next iteration, or below after a failure.
          next.catch(() => undefined);
        }
        await this.examine(rows);
        onProgress?.({ bucket: this.bucket, opsExamined: this.scan.opsExamined });
      }
    } finally {
      if (next) await next.catch(() => undefined);
    }
  }

  private async examine(rows: PageRow[]): Promise<void> {
    for (const [opId, op, key] of rows) {
      const target = this.scan.examine(opId, op, key);
      if (target !== undefined && this.moves.add(opId, target)) await this.moves.flush();
    }
  }

  private async fetchPage(before: string): Promise<PageRow[]> {
    const { rows } = await this.pool.query<PageRow>({
      text: PAGE_SQL,
      values: [this.groupId, this.bucket, before, this.settings.moveBatchQueryLimit],
      rowMode: 'array',
    });
    return rows;
  }
}
