import type { SqliteRow, SqliteValue } from '../rules/sqlite-value.js';

/**
 * Internal JSON encoding for values kept in storage (row images, replica ids, parameter sets) that round-trips
 * bigint, which plain JSON cannot. Never sent to clients: client-facing JSON is the sync config's job.
 */
const BIGINT_TAG = '$bigint';

export function encodeValues(value: unknown): string {
  // A replacer makes JSON.stringify call back into JS for every value; only values holding a bigint need it.
  if (!containsBigint(value)) return JSON.stringify(value);
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? { [BIGINT_TAG]: v.toString() } : v));
}

/** True when a bigint occurs anywhere in the value (row images and replica ids are shallow). */
function containsBigint(value: unknown): boolean {
  if (typeof value === 'bigint') return true;
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (containsBigint(item)) return true;
    return false;
  }
  for (const key in value) if (containsBigint((value as Record<string, unknown>)[key])) return true;
  return false;
}

export function decodeValues<T = unknown>(text: string): T {
  return JSON.parse(text, (_key, v) =>
    v !== null && typeof v === 'object' && typeof v[BIGINT_TAG] === 'string' ? BigInt(v[BIGINT_TAG]) : v,
  ) as T;
}

/** Deterministic bytes identifying a source row by its replica-id values. */
export function encodeReplicaId(values: readonly SqliteValue[]): Buffer {
  return Buffer.from(encodeValues(values), 'utf8');
}

export function encodeRow(row: SqliteRow): Buffer {
  return Buffer.from(encodeValues(row), 'utf8');
}

export function decodeRow(bytes: Buffer): SqliteRow {
  return decodeValues<SqliteRow>(bytes.toString('utf8'));
}
