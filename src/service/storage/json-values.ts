import type { SqliteRow, SqliteValue } from '../rules/sqlite-value.js';

/**
 * Internal JSON encoding for values kept in storage (row images, replica ids, parameter sets) that round-trips
 * bigint, which plain JSON cannot. Never sent to clients: client-facing JSON is the sync config's job.
 */
const BIGINT_TAG = '$bigint';

export function encodeValues(value: unknown): string {
  return JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? { [BIGINT_TAG]: v.toString() } : v));
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
