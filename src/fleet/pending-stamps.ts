import type { OplogEntry } from './sync-lines.js';

/** The stamp field the write generators put in rows: source commit time, ms since the epoch. */
export const STAMP_FIELD = 'ss_ts';

const STAMP = /"ss_ts"\s*:\s*"?(\d{1,16})/;

/** `ss_ts` of a row's JSON text, read without parsing the row; undefined when absent. */
export function readStamp(data: string): number | undefined {
  if (!data.includes(STAMP_FIELD)) return undefined;
  const match = STAMP.exec(data);
  return match ? Number(match[1]) : undefined;
}

/**
 * The earliest source-commit time (epoch ms) whose rows are timed end to end: the current phase's start, so a
 * row written before the phase (the previous phase's backlog, a dataset load) is never one of its samples.
 * One object per fleet, shared by every client and moved at each phase boundary.
 */
export interface StampFloor {
  /** On the source database's clock (the stamps' clock). */
  ms: number;
  /** The fleet's clock minus the source database's (ms), taken out of every latency; 0 until measured. */
  offsetMs: number;
}

/** A bound on stamps held per client between checkpoints; later ones are not timed (counted as dropped). */
const MAX_PENDING = 10_000;

/**
 * Stamped rows received but not yet visible: each becomes an end-to-end latency sample when the checkpoint
 * (or the partial checkpoint of its bucket's priority) that makes it visible completes. Allocated only by
 * clients that receive stamped rows.
 */
export class PendingStamps {
  private stamps: number[] = [];
  private buckets: string[] = [];
  dropped = 0;

  /** Collects the stamps of a data chunk's PUTs. */
  collect(bucket: string, ops: readonly OplogEntry[]): void {
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (op.op !== 'PUT' || typeof op.data !== 'string') continue;
      const stamp = readStamp(op.data);
      if (stamp === undefined) continue;
      if (this.stamps.length >= MAX_PENDING) {
        this.dropped++;
        continue;
      }
      this.stamps.push(stamp);
      this.buckets.push(bucket);
    }
  }

  /**
   * Releases the stamps whose bucket `visible` accepts, calling `emit` with each one's latency at `nowMs`
   * (epoch ms), except rows committed before `floorMs`; keeps the others. Returns how many released rows were
   * older than the floor (not timed).
   */
  release(
    nowMs: number,
    visible: (bucket: string) => boolean,
    emit: (latencyMs: number) => void,
    floorMs = 0,
  ): number {
    let kept = 0;
    let earlier = 0;
    for (let i = 0; i < this.stamps.length; i++) {
      const bucket = this.buckets[i]!;
      if (visible(bucket)) {
        const stamp = this.stamps[i]!;
        if (stamp >= floorMs) emit(nowMs - stamp);
        else earlier++;
      } else {
        this.stamps[kept] = this.stamps[i]!;
        this.buckets[kept] = bucket;
        kept++;
      }
    }
    this.stamps.length = kept;
    this.buckets.length = kept;
    return earlier;
  }

  /** Forgets every pending stamp (the data will be re-sent after a reconnect). */
  clear(): void {
    this.stamps.length = 0;
    this.buckets.length = 0;
  }

  get size(): number {
    return this.stamps.length;
  }
}
