import type {
  CheckpointBucket,
  CheckpointDiffLine,
  CheckpointLine,
  DataLine,
  WireChecksum,
} from './sync-lines.js';

/**
 * Any wire checksum (u32, i32, whole double, bigint) as uint32; NaN when it is not a whole number, so a
 * malformed checksum can never validate. `>>> 0` is ToUint32, exact for every whole double.
 */
export function toU32(value: WireChecksum | undefined | null): number {
  if (typeof value === 'number') return Number.isInteger(value) ? value >>> 0 : NaN;
  if (typeof value === 'bigint') return Number(BigInt.asUintN(32, value));
  return NaN;
}

/**
 * One bucket as the fleet holds it. No row data and no per-row map: the SDKs validate
 * `add_checksum + Σ checksums of stored ops`, and every op changes that total by exactly its own checksum
 * (a superseding PUT moves the old op's checksum from the stored sum into add_checksum, a REMOVE or MOVE adds
 * its checksum to add_checksum) except CLEAR, which resets it to the CLEAR's checksum. So the total is a
 * running wrapping sum, identical to the SDKs' value for every sequence of ops.
 */
class BucketState {
  /** add_checksum + Σ stored op checksums, uint32, including ops not yet covered by an applied checkpoint. */
  checksum = 0;
  /** `checksum` at the last applied checkpoint: what a reconnect rolls back to. */
  appliedChecksum = 0;
  /** The last applied checkpoint id: the `after` sent on reconnect. */
  after: string | undefined = undefined;
  /** The current checkpoint's checksum for this bucket, uint32 (undefined: data for an unannounced bucket). */
  expected: number | undefined = undefined;
  priority = 3;
}

export interface CheckpointOutcome {
  lastOpId: string;
  /** Buckets validated at this (partial) checkpoint, failures included. */
  validated: number;
  /** Buckets whose checksum did not match; they have been deleted locally (re-synced from scratch). */
  failed: string[];
}

const NONE: string[] = [];

/**
 * Per-bucket positions and checksum validation of one simulated client (protocol.md §1.7): applies checkpoint,
 * diff and data lines, validates at every `checkpoint_complete` and `partial_checkpoint_complete`, and keeps
 * `after` = the last applied checkpoint id per bucket for the next request.
 */
export class SyncState {
  private readonly buckets = new Map<string, BucketState>();
  /** last_op_id of the last checkpoint or diff line. */
  checkpointId: string | undefined = undefined;
  /** write_checkpoint of the last checkpoint or diff line that carried one. */
  announcedWriteCheckpoint: string | undefined = undefined;
  /** write_checkpoint of the last completed checkpoint. */
  completedWriteCheckpoint: string | undefined = undefined;

  applyCheckpoint(line: CheckpointLine['checkpoint']): void {
    const present = new Set<string>();
    for (const description of line.buckets) {
      present.add(description.bucket);
      this.announce(description);
    }
    for (const name of this.buckets.keys()) if (!present.has(name)) this.buckets.delete(name);
    this.checkpointId = line.last_op_id;
    if (line.write_checkpoint != null) this.announcedWriteCheckpoint = line.write_checkpoint;
  }

  applyDiff(line: CheckpointDiffLine['checkpoint_diff']): void {
    for (const description of line.updated_buckets) this.announce(description);
    for (const name of line.removed_buckets) this.buckets.delete(name);
    this.checkpointId = line.last_op_id;
    if (line.write_checkpoint != null) this.announcedWriteCheckpoint = line.write_checkpoint;
  }

  /** Applies a data chunk; returns the number of ops. */
  applyData(line: DataLine['data']): number {
    let state = this.buckets.get(line.bucket);
    if (!state) {
      state = new BucketState();
      this.buckets.set(line.bucket, state);
    }
    const ops = line.data;
    let checksum = state.checksum;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      const value = toU32(op.checksum);
      checksum = op.op === 'CLEAR' ? value : (checksum + value) >>> 0;
    }
    state.checksum = checksum;
    return ops.length;
  }

  /** `checkpoint_complete`: validates every announced bucket; the passing ones are applied at this id. */
  complete(lastOpId: string): CheckpointOutcome {
    const outcome = this.validate(lastOpId, 3, true);
    this.completedWriteCheckpoint = this.announcedWriteCheckpoint;
    return outcome;
  }

  /** `partial_checkpoint_complete`: validates and applies the buckets of priority ≤ `priority` only. */
  completePartial(lastOpId: string, priority: number): CheckpointOutcome {
    return this.validate(lastOpId, priority, false);
  }

  /**
   * Forgets what no applied checkpoint covers, before a reconnect: the next request resumes each bucket at
   * its last applied checkpoint, so the server re-sends exactly the ops received since.
   */
  rollback(): void {
    for (const [name, state] of this.buckets) {
      if (state.after === undefined) this.buckets.delete(name);
      else state.checksum = state.appliedChecksum;
    }
  }

  /** `buckets` of the next request: every bucket with an applied checkpoint (the others start at 0). */
  requestBuckets(): Array<{ name: string; after: string }> {
    const list: Array<{ name: string; after: string }> = [];
    for (const [name, state] of this.buckets)
      if (state.after !== undefined) list.push({ name, after: state.after });
    return list;
  }

  /** Bucket → last applied checkpoint id. */
  positions(): Map<string, string> {
    const map = new Map<string, string>();
    for (const [name, state] of this.buckets) if (state.after !== undefined) map.set(name, state.after);
    return map;
  }

  priorityOf(bucket: string): number {
    return this.buckets.get(bucket)?.priority ?? 3;
  }

  /** The running checksum of a bucket (uint32), for tests and diagnostics. */
  checksumOf(bucket: string): number | undefined {
    return this.buckets.get(bucket)?.checksum;
  }

  get bucketCount(): number {
    return this.buckets.size;
  }

  private announce(description: CheckpointBucket): void {
    let state = this.buckets.get(description.bucket);
    if (!state) {
      state = new BucketState();
      this.buckets.set(description.bucket, state);
    }
    state.expected = toU32(description.checksum);
    state.priority = typeof description.priority === 'number' ? description.priority : 3;
  }

  private validate(lastOpId: string, priority: number, all: boolean): CheckpointOutcome {
    let failed = NONE;
    let validated = 0;
    for (const [name, state] of this.buckets) {
      if (state.expected === undefined || (!all && state.priority > priority)) continue;
      validated++;
      if (state.checksum === state.expected) {
        state.appliedChecksum = state.checksum;
        state.after = lastOpId;
      } else {
        if (failed === NONE) failed = [];
        failed.push(name);
      }
    }
    for (const name of failed) this.buckets.delete(name);
    return { lastOpId, validated, failed };
  }
}
