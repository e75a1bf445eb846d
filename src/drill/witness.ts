import type { OplogEntry, SyncObserver } from '../fleet/index.js';

interface Row {
  opId: string;
  data: unknown;
}

/**
 * One client's rows as the protocol makes them visible (applied at completed checkpoints, dropped on
 * rollback), and every distinct PUT op id per row. The drill writes insert-only rows, so a row with two
 * distinct PUT op ids was replicated twice.
 */
export class ClientWitness implements SyncObserver {
  /** bucket → `type/id` → row. */
  readonly rows = new Map<string, Map<string, Row>>();
  /** `bucket|type/id` → distinct PUT op ids applied. */
  private readonly putOps = new Map<string, Set<string>>();
  private pending: Array<{ bucket: string; ops: readonly OplogEntry[] }> = [];

  constructor(
    readonly userId: string,
    readonly clientId: string,
  ) {}

  data(bucket: string, ops: readonly OplogEntry[]): void {
    this.pending.push({ bucket, ops });
  }

  completed(covers: (bucket: string) => boolean): void {
    const kept: typeof this.pending = [];
    for (const chunk of this.pending) {
      if (covers(chunk.bucket)) this.apply(chunk.bucket, chunk.ops);
      else kept.push(chunk);
    }
    this.pending = kept;
  }

  rolledBack(): void {
    this.pending = [];
  }

  dropped(buckets: readonly string[]): void {
    for (const bucket of buckets) {
      this.rows.delete(bucket);
      for (const key of [...this.putOps.keys()]) if (key.startsWith(`${bucket}|`)) this.putOps.delete(key);
    }
  }

  /** Rows of a table across buckets: id → data (parsed JSON when the data was text). */
  table(type: string): Map<string, unknown> {
    const rows = new Map<string, unknown>();
    for (const bucket of this.rows.values())
      for (const [key, row] of bucket)
        if (key.startsWith(`${type}/`)) rows.set(key.slice(type.length + 1), parse(row.data));
    return rows;
  }

  /** Rows that received more than one distinct PUT op (`bucket|type/id` → op ids). */
  duplicates(): Array<{ row: string; opIds: string[] }> {
    return [...this.putOps].filter(([, ids]) => ids.size > 1).map(([row, ids]) => ({ row, opIds: [...ids] }));
  }

  private apply(bucket: string, ops: readonly OplogEntry[]): void {
    let rows = this.rows.get(bucket);
    if (!rows) this.rows.set(bucket, (rows = new Map()));
    for (const op of ops) {
      const key = `${op.object_type}/${op.object_id}`;
      if (op.op === 'PUT') {
        rows.set(key, { opId: String(op.op_id), data: op.data });
        const id = `${bucket}|${key}`;
        let ids = this.putOps.get(id);
        if (!ids) this.putOps.set(id, (ids = new Set()));
        ids.add(String(op.op_id));
      } else if (op.op === 'REMOVE') rows.delete(key);
      else if (op.op === 'CLEAR') {
        rows.clear();
        for (const k of [...this.putOps.keys()]) if (k.startsWith(`${bucket}|`)) this.putOps.delete(k);
      }
    }
  }
}

function parse(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}
