import type pg from 'pg';

/** UPDATE statements allowed in flight at once; each is independent (checksums do not change). */
const MAX_IN_FLIGHT = 2;

const MOVE_SQL = `
  UPDATE powersync.bucket_data d
  SET op = 'MOVE', target_op = u.target_op, data = NULL, table_name = NULL, row_id = NULL, subkey = NULL,
      source_table = NULL, source_key = NULL
  FROM unnest($3::int8[], $4::int8[]) AS u(op_id, target_op)
  WHERE d.group_id = $1 AND d.bucket_name = $2 AND d.op_id = u.op_id AND d.op IN ('PUT', 'REMOVE')`;

/**
 * Buffers MOVE rewrites of one bucket and writes them `batchLimit` at a time, one `UPDATE … FROM unnest` per
 * batch, with up to two batches in flight while the scan goes on (service.md §5 step 4: unordered writes).
 * A rewrite keeps op id and checksum, so neither the bucket checksum nor `bucket_state` changes. Ops that are
 * no longer PUT/REMOVE (a concurrent compaction got there first) are left alone.
 */
export class MoveWriter {
  private opIds: string[] = [];
  private targets: string[] = [];
  private readonly inFlight: Array<Promise<void>> = [];
  private written = 0;

  constructor(
    private readonly pool: pg.Pool,
    private readonly groupId: number,
    private readonly bucket: string,
    private readonly batchLimit: number,
  ) {}

  /** Rows rewritten so far (as counted by Postgres). */
  get movedOps(): number {
    return this.written;
  }

  /** Queues a rewrite of `opId` as a MOVE to `targetOp`; true when the batch is full and should be flushed. */
  add(opId: string, targetOp: string): boolean {
    this.opIds.push(opId);
    this.targets.push(targetOp);
    return this.opIds.length >= this.batchLimit;
  }

  /** Sends the buffered rewrites; waits only when too many statements are already in flight. */
  async flush(): Promise<void> {
    if (this.opIds.length === 0) return;
    const update = this.pool
      .query(MOVE_SQL, [this.groupId, this.bucket, this.opIds, this.targets])
      .then((result) => {
        this.written += result.rowCount ?? 0;
      });
    // Marked handled here; the rejection still surfaces when the promise is awaited below or in drain().
    update.catch(() => undefined);
    this.inFlight.push(update);
    this.opIds = [];
    this.targets = [];
    while (this.inFlight.length > MAX_IN_FLIGHT) await this.inFlight.shift();
  }

  /** Sends what is buffered and waits until every rewrite is committed; rethrows the first failure. */
  async drain(): Promise<void> {
    await this.flush();
    const pending = this.inFlight.splice(0);
    const results = await Promise.allSettled(pending);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Waits for statements in flight without rethrowing (cleanup after another failure). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0));
  }
}
