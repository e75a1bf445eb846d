import { arrayJsonText, valueJsonText } from './json-text.js';
import type { SqliteValue } from './sqlite-value.js';

/**
 * Bucket name = prefix + definition name + JSON array of the parameter values in declaration order
 * (protocol.md §3.1): `by_user["u1"]`, `global[]`, `1#by_org[42]`. Equal integers and reals print alike.
 */
export function bucketName(prefix: string, definition: string, values: ReadonlyArray<SqliteValue>): string {
  return `${prefix}${definition}${arrayJsonText(values)}`;
}

/**
 * Parameter-index key: canonical JSON `[definition, queryId, [values...]]`, e.g. `["by_org","0",["u1"]]`.
 * Numbers are canonical (42, 42.0 and 42n give the same key), so a lookup finds rows whatever numeric type
 * each side produced.
 */
export function lookupKey(definition: string, queryId: string, values: ReadonlyArray<SqliteValue>): string {
  return `[${valueJsonText(definition)},${valueJsonText(queryId)},${arrayJsonText(values)}]`;
}

/** Every combination taking one value from each list, in order. */
export function cartesian<T>(lists: ReadonlyArray<ReadonlyArray<T>>): T[][] {
  let combos: T[][] = [[]];
  for (const list of lists) combos = combos.flatMap((combo) => list.map((item) => [...combo, item]));
  return combos;
}
