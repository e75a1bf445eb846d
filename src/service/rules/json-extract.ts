import { anyJsonText } from './json-text.js';
import type { SqliteValue } from './sqlite-value.js';

/** A JSON value as SQLite returns it from `->>`: text unquoted, numbers as numbers, booleans 1/0, containers as JSON text. */
export function jsonToSqlite(value: unknown): SqliteValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return anyJsonText(value);
}

/** Parses JSON text; NULL or malformed text gives `undefined`. */
export function parseJson(value: SqliteValue): unknown {
  if (typeof value !== 'string') return undefined;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * SQLite's `json -> path` / `json ->> path`. A path starting with `$` is a JSON path (`$.a.b`, `$[0]`,
 * `$.a[1]`); any other text is a single object key; an integer is an array index.
 * `->` returns JSON text, `->>` the SQL value.
 */
export function jsonExtract(json: SqliteValue, path: string | number, op: '->' | '->>'): SqliteValue {
  const found = navigate(parseJson(json), pathSegments(path));
  if (op === '->>') return jsonToSqlite(found);
  return found === undefined ? null : anyJsonText(found);
}

/** The elements of a JSON array text as SQL values, or `undefined` when the value is not a JSON array. */
export function jsonArrayElements(value: SqliteValue): SqliteValue[] | undefined {
  const parsed = parseJson(value);
  return Array.isArray(parsed) ? parsed.map((item) => jsonToSqlite(item)) : undefined;
}

type Segment = string | number;

/** Path segments, or `undefined` for a malformed JSON path (which extracts nothing). */
function pathSegments(path: string | number): Segment[] | undefined {
  if (typeof path === 'number') return [path];
  if (!path.startsWith('$')) return [path];
  const segments: Segment[] = [];
  const pattern = /\.(?:"([^"]*)"|([^.[]+))|\[(\d+)\]/y;
  pattern.lastIndex = 1;
  while (pattern.lastIndex < path.length) {
    const match = pattern.exec(path);
    if (match === null) return undefined;
    segments.push(match[3] !== undefined ? Number(match[3]) : (match[1] ?? match[2] ?? ''));
  }
  return segments;
}

function navigate(value: unknown, segments: Segment[] | undefined): unknown {
  if (segments === undefined) return undefined;
  let current = value;
  for (const segment of segments) {
    if (typeof segment === 'number') {
      current = Array.isArray(current) ? (current[segment] as unknown) : undefined;
    } else if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
      current = Object.hasOwn(current, segment) ? (current as Record<string, unknown>)[segment] : undefined;
    } else {
      current = undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}
