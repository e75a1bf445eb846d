import type { SqliteValue } from './sqlite-value.js';

/**
 * Deterministic, big-int-preserving JSON text for sync-config values. Checksums are computed over this
 * text (protocol.md §1.7), so the same value must always print the same way:
 * - bigint prints as bare digits; whole numbers print without a fraction, so `42`, `42.0` and `42n` agree;
 * - other numbers print as JavaScript does (`1.5`, `1e-7`); NaN and ±Infinity print as `null`;
 * - strings are escaped exactly like `JSON.stringify`.
 */
export function numberText(value: number | bigint): string {
  if (typeof value === 'bigint') return value.toString();
  if (!Number.isFinite(value)) return 'null';
  if (Number.isInteger(value)) {
    // Beyond 1e21 JavaScript switches to exponent notation; print the digits so reals equal to a bigint agree.
    return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString();
  }
  return JSON.stringify(value);
}

/** JSON text of one value. Values outside SqliteValue (undefined, binary) print as `null`. */
export function valueJsonText(value: SqliteValue | undefined): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'bigint') return numberText(value);
  return 'null';
}

/** JSON array text, e.g. the parameter part of a bucket name: `["u1",42]`. */
export function arrayJsonText(values: ReadonlyArray<SqliteValue>): string {
  return `[${values.map((value) => valueJsonText(value)).join(',')}]`;
}

/**
 * JSON object text of an output row, keys in the row's own order. Entries whose value is not a
 * SqliteValue (undefined, binary) are left out: they are not representable in the JSON sent to clients.
 */
export function rowJsonText(row: Readonly<Record<string, SqliteValue>>): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(row)) {
    if (!isSqliteValue(value)) continue;
    parts.push(`${JSON.stringify(key)}:${valueJsonText(value)}`);
  }
  return `{${parts.join(',')}}`;
}

/**
 * JSON text of any JSON-like value (request payloads, parsed JSON): objects keep their key order, booleans
 * stay booleans, numbers and bigints print as {@link numberText}. `undefined` members are left out.
 */
export function anyJsonText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint')
    return valueJsonText(value);
  if (Array.isArray(value)) return `[${value.map((item) => anyJsonText(item)).join(',')}]`;
  if (typeof value === 'object') {
    const parts: string[] = [];
    for (const [key, member] of Object.entries(value)) {
      if (member === undefined || typeof member === 'function') continue;
      parts.push(`${JSON.stringify(key)}:${anyJsonText(member)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return 'null';
}

export function isSqliteValue(value: unknown): value is SqliteValue {
  const type = typeof value;
  return value === null || type === 'string' || type === 'number' || type === 'bigint';
}
