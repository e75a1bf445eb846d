import { hash as cryptoHash } from 'node:crypto';
import { putChecksum, removeChecksum } from '../../protocol/index.js';
import type { SqliteRow, SqliteValue } from '../rules/sqlite-value.js';
import { encodeValues } from './json-values.js';

/** What the writer needs from a sync config: row → buckets, row → parameter-index entries. */
export interface RowEvaluator {
  hasDataQueries(table: { schema: string; name: string }): boolean;
  hasParameterQueries(table: { schema: string; name: string }): boolean;
  evaluateRow(
    table: { schema: string; name: string },
    row: SqliteRow,
  ): Array<{ bucket: string; table: string; id: string; data: string }>;
  evaluateParameterRow(
    table: { schema: string; name: string },
    row: SqliteRow,
  ): Array<{ lookup: string; bucketParameters: Array<Record<string, SqliteValue>> }>;
}

/** The last evaluated state of one source row (a `current_data` row). */
export interface CurrentRow {
  buckets: BucketMembership[];
  lookups: string[];
  data: SqliteRow | null;
}

export interface BucketMembership {
  bucket: string;
  table: string;
  id: string;
}

export interface PendingOp {
  bucket: string;
  op: 'PUT' | 'REMOVE';
  subkey: string;
  table: string;
  rowId: string;
  checksum: number;
  data: string | null;
}

export interface PendingParameter {
  lookup: string;
  /** Encoded parameter rows; `[]` is the tombstone for a lookup the row no longer produces. */
  bucketParameters: string;
}

/** Rows larger than this are dropped with PSYNC_S1002, as the real service does. */
export const MAX_ROW_BYTES = 15 * 1024 * 1024;

/**
 * Opaque per-source-row key sent to clients as `subkey`: a UUIDv5-shaped digest of (source table, replica id),
 * stable across restarts so REMOVE checksums match.
 */
export function subkeyFor(sourceTableId: string, sourceKey: Buffer): string {
  // One-shot digest: a Hash object per row costs more than the hashing itself.
  const hash = cryptoHash('sha1', Buffer.concat([Buffer.from(`${sourceTableId}\0`), sourceKey]), 'buffer');
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function membershipKey(m: BucketMembership): string {
  return `${m.bucket}\0${m.table}\0${m.id}`;
}

/** What a row image evaluates to, independent of the row's previous state. */
export interface RowEvaluation {
  row: SqliteRow;
  puts: PendingOp[];
  parameters: Array<{ lookup: string; bucketParameters: string }>;
}

/**
 * Evaluates a row image: the PUT it becomes in each of its buckets (with checksums) and its parameter-index
 * entries. Pure and independent of storage, so the writer can do it while earlier writes are in flight.
 */
export function evaluatePut(
  evaluator: RowEvaluator,
  table: { schema: string; name: string },
  subkey: string,
  row: SqliteRow,
): RowEvaluation {
  const evaluated = evaluator.hasDataQueries(table) ? evaluator.evaluateRow(table, row) : [];
  const entries = evaluator.hasParameterQueries(table) ? evaluator.evaluateParameterRow(table, row) : [];
  return {
    row,
    puts: evaluated.map((e) => ({
      bucket: e.bucket,
      op: 'PUT',
      subkey,
      table: e.table,
      rowId: e.id,
      checksum: putChecksum(e.table, e.id, e.data),
      data: e.data,
    })),
    parameters: entries.map((p) => ({
      lookup: p.lookup,
      bucketParameters: encodeValues(p.bucketParameters),
    })),
  };
}

/**
 * The new row image against the previous state: PUT in every bucket it is in now, REMOVE in every bucket it
 * left, new parameter-index entries and tombstones for lookups it no longer produces.
 */
export function opsForPut(
  evaluation: RowEvaluation,
  subkey: string,
  previous: CurrentRow | undefined,
): { ops: PendingOp[]; parameters: PendingParameter[]; current: CurrentRow } {
  const ops: PendingOp[] = [];
  const buckets = evaluation.puts.map((p) => ({ bucket: p.bucket, table: p.table, id: p.rowId }));
  if (previous && previous.buckets.length > 0) {
    const now = new Set(buckets.map(membershipKey));
    for (const old of previous.buckets) {
      if (!now.has(membershipKey(old))) ops.push(removeOp(old, subkey));
    }
  }
  ops.push(...evaluation.puts);
  const parameters: PendingParameter[] = [...evaluation.parameters];
  const lookups = evaluation.parameters.map((p) => p.lookup);
  if (previous && previous.lookups.length > 0) {
    const kept = new Set(lookups);
    for (const old of previous.lookups) {
      if (!kept.has(old)) parameters.push({ lookup: old, bucketParameters: '[]' });
    }
  }
  return { ops, parameters, current: { buckets, lookups, data: evaluation.row } };
}

/** A deleted source row leaves every bucket and every parameter lookup. */
export function opsForDelete(
  subkey: string,
  previous: CurrentRow | undefined,
): { ops: PendingOp[]; parameters: PendingParameter[] } {
  return {
    ops: (previous?.buckets ?? []).map((m) => removeOp(m, subkey)),
    parameters: (previous?.lookups ?? []).map((lookup) => ({ lookup, bucketParameters: '[]' })),
  };
}

function removeOp(m: BucketMembership, subkey: string): PendingOp {
  return {
    bucket: m.bucket,
    op: 'REMOVE',
    subkey,
    table: m.table,
    rowId: m.id,
    checksum: removeChecksum(subkey),
    data: null,
  };
}

/** Fills TOASTed columns that replication reported as unchanged (undefined) from the previous image. */
export function mergeUnchangedColumns(
  row: Record<string, SqliteValue | undefined>,
  previous: SqliteRow | null | undefined,
): SqliteRow {
  const merged: SqliteRow = {};
  for (const [column, value] of Object.entries(row)) {
    if (value !== undefined) merged[column] = value;
    else if (previous && column in previous) merged[column] = previous[column]!;
  }
  return merged;
}
