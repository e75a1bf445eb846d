/** Estimated bytes per tracked row beyond its key's length (string header, op id, map entry, overhead). */
export const TRACKED_ROW_OVERHEAD_BYTES = 140;

/**
 * The decisions of one bucket's descending scan (service.md §5 steps 2–3), free of I/O. Feed it the bucket's
 * ops ≤ maxOpId from the newest down; it says which ones become MOVEs and where the leading run of
 * REMOVE/MOVE/CLEAR ops ends. Op ids stay the decimal strings storage returns: they are only compared for
 * equality here, and go back to SQL unchanged.
 */
export class BucketScan {
  /** Row key → op id of the newest op of that row. */
  private readonly seen = new Map<string, string>();
  private trackedBytes = 0;
  private examinedOps = 0;
  /** Highest op id of the current run of non-PUT ops, or null when the last op examined was a surviving PUT. */
  private lastNotPut: string | null = null;
  /** REMOVE/MOVE ops in that run (CLEARs are not counted). */
  private opsSincePut = 0;

  constructor(private readonly budgetBytes: number) {}

  /**
   * Examines the next (older) op. `key` identifies the row of a PUT/REMOVE (`table/row_id/subkey`) and is
   * ignored for other ops. Returns the newer op's id when this op must be rewritten as a MOVE.
   */
  examine(opId: string, op: string, key: string | null): string | undefined {
    this.examinedOps++;
    let target: string | undefined;
    if ((op === 'PUT' || op === 'REMOVE') && key !== null) {
      target = this.seen.get(key);
      if (target === undefined) this.track(key, opId);
    }
    if (op === 'PUT' && target === undefined) {
      this.lastNotPut = null;
      this.opsSincePut = 0;
    } else if (op !== 'CLEAR') {
      this.lastNotPut ??= opId;
      this.opsSincePut++;
    }
    return target;
  }

  get opsExamined(): number {
    return this.examinedOps;
  }

  get trackedRows(): number {
    return this.seen.size;
  }

  /**
   * After the scan: the highest op id of the bucket's leading REMOVE/MOVE/CLEAR prefix when the CLEAR step
   * applies — Postgres storage requires more than one REMOVE/MOVE in that run — else null.
   */
  clearUpTo(): string | null {
    return this.opsSincePut > 1 ? this.lastNotPut : null;
  }

  /** Frees the seen-rows map. */
  release(): void {
    this.seen.clear();
    this.trackedBytes = 0;
  }

  private track(key: string, opId: string): void {
    const cost = key.length + TRACKED_ROW_OVERHEAD_BYTES;
    if (this.trackedBytes + cost > this.budgetBytes) return;
    this.seen.set(key, opId);
    this.trackedBytes += cost;
  }
}
