import type { SqliteValue } from './sqlite-value.js';

/** SQLite's three-valued truth: NULL stays unknown, numbers are true when non-zero, text by its numeric prefix. */
export function truthy(value: SqliteValue): boolean | null {
  if (value === null) return null;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'number') return value !== 0;
  const prefix = Number.parseFloat(value);
  return !Number.isNaN(prefix) && prefix !== 0;
}

/** 1/0/NULL, the way SQLite returns booleans. */
export function sqliteBool(value: boolean | null): SqliteValue {
  return value === null ? null : value ? 1 : 0;
}

/**
 * Orders two non-NULL values as SQLite does without column affinity: numbers (integer and real compared by
 * value) sort before text; text compares by code unit (BINARY collation).
 */
export function compareValues(a: Exclude<SqliteValue, null>, b: Exclude<SqliteValue, null>): number {
  const aText = typeof a === 'string';
  const bText = typeof b === 'string';
  if (aText || bText) {
    if (aText && bText) return a < b ? -1 : a > b ? 1 : 0;
    return aText ? 1 : -1;
  }
  return compareNumbers(a, b);
}

function compareNumbers(a: number | bigint, b: number | bigint): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  // Mixed: compare exactly when the real is whole, by approximation otherwise.
  const [big, real, sign] = typeof a === 'bigint' ? [a, b as number, 1] : [b as bigint, a as number, -1];
  if (!Number.isFinite(real)) return real > 0 ? -sign : sign;
  if (Number.isInteger(real)) {
    const whole = BigInt(real);
    return sign * (big < whole ? -1 : big > whole ? 1 : 0);
  }
  const approx = Number(big);
  return sign * (approx < real ? -1 : 1);
}

/** SQL `=`: NULL when either side is NULL. */
export function sqlEquals(a: SqliteValue, b: SqliteValue): boolean | null {
  if (a === null || b === null) return null;
  return compareValues(a, b) === 0;
}
