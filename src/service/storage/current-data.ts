import type pg from 'pg';
import { copyBytea, copyInto, copyText } from './copy-rows.js';
import { decodeRow, encodeValues } from './json-values.js';
import type { CurrentRow } from './row-ops.js';

/**
 * current_data: the stored state of each source row (its buckets, parameter lookups and data), read before a
 * batch becomes ops and written after it.
 */

/** `stored`: current_data holds a row for this key (as loaded at the start of the flush). */
export type LiveEntry = CurrentRow & {
  sourceTable: string;
  sourceKey: Buffer;
  dirty: boolean;
  stored: boolean;
};
export type DeletedEntry = {
  deleted: true;
  sourceTable: string;
  sourceKey: Buffer;
  dirty: boolean;
  stored: boolean;
};
export type CurrentEntry = LiveEntry | DeletedEntry;

/** What loadCurrent needs of a change: its source table, its source key and their joint map key. */
export interface KeyedChange {
  change: { table: { id: string } };
  sourceKey: Buffer;
  key: string;
}

/** The stored state of the batch's rows, by `<source table>:<source key>`. */
export async function loadCurrent(
  client: pg.PoolClient,
  groupId: number,
  keyed: readonly KeyedChange[],
): Promise<Map<string, CurrentEntry>> {
  // Keys grouped by source table: `source_key = ANY(...)` is an index scan on the primary key, where a join
  // against unnest() may be planned as a sequential scan of current_data.
  const byTable = new Map<string, Buffer[]>();
  const seen = new Set<string>();
  for (const { change, sourceKey, key } of keyed) {
    if (seen.has(key)) continue;
    seen.add(key);
    const keys = byTable.get(change.table.id) ?? [];
    keys.push(sourceKey);
    byTable.set(change.table.id, keys);
  }
  const rows: Array<{
    source_table: string;
    source_key: Buffer;
    buckets: CurrentRow['buckets'];
    data: Buffer | null;
    lookups: Buffer[];
  }> = [];
  for (const [table, keys] of byTable) {
    const result = await client.query(
      `SELECT source_table, source_key, buckets, data, lookups FROM powersync.current_data
       WHERE group_id = $1 AND source_table = $2 AND source_key = ANY($3::bytea[])`,
      [groupId, table, keys],
    );
    rows.push(...result.rows);
  }
  const map = new Map<string, CurrentEntry>();
  for (const row of rows) {
    map.set(`${row.source_table}:${row.source_key.toString('latin1')}`, {
      buckets: row.buckets,
      lookups: row.lookups.map((l) => l.toString('utf8')),
      data: row.data ? decodeRow(row.data) : null,
      sourceTable: row.source_table,
      sourceKey: row.source_key,
      dirty: false,
      stored: true,
    });
  }
  return map;
}

/** Writes the entries the batch changed: new rows by COPY, others by upsert, deleted rows deleted. */
export async function saveCurrent(
  client: pg.PoolClient,
  groupId: number,
  current: Map<string, CurrentEntry>,
): Promise<void> {
  const upserts: Array<Record<string, unknown>> = [];
  const deletes: Array<Record<string, unknown>> = [];
  // Rows storage does not hold yet (and without parameter lookups, whose bytea[] stays on the SQL path)
  // are plain inserts: COPY.
  const inserts: string[] = [];
  const group = String(groupId);
  for (const entry of current.values()) {
    if (!entry.dirty) continue;
    if ('deleted' in entry) {
      deletes.push({ t: entry.sourceTable, k: entry.sourceKey.toString('utf8') });
      continue;
    }
    if (!entry.stored && entry.lookups.length === 0) {
      const data = entry.data ? Buffer.from(encodeValues(entry.data), 'utf8') : null;
      inserts.push(
        `${group}\t${entry.sourceTable}\t${copyBytea(entry.sourceKey)}\t${copyText(JSON.stringify(entry.buckets))}\t${copyBytea(data)}\t{}\n`,
      );
      continue;
    }
    upserts.push({
      t: entry.sourceTable,
      k: entry.sourceKey.toString('utf8'),
      b: entry.buckets,
      d: entry.data ? encodeValues(entry.data) : null,
      l: entry.lookups.length === 0 ? null : entry.lookups,
    });
  }
  if (inserts.length > 0) {
    await copyInto(
      client,
      'powersync.current_data (group_id, source_table, source_key, buckets, data, lookups)',
      inserts.join(''),
    );
  }
  if (upserts.length > 0) {
    await client.query(
      `INSERT INTO powersync.current_data AS c (group_id, source_table, source_key, buckets, data, lookups)
       SELECT $1, t, convert_to(k, 'UTF8'), b, convert_to(d, 'UTF8'),
              CASE WHEN l IS NULL THEN '{}'::bytea[]
                   ELSE ARRAY(SELECT convert_to(x, 'UTF8') FROM json_array_elements_text(l) x) END
       FROM json_to_recordset($2::json) AS r(t int8, k text, b jsonb, d text, l json)
       ON CONFLICT (group_id, source_table, source_key) DO UPDATE SET
         buckets = excluded.buckets, data = excluded.data, lookups = excluded.lookups`,
      [groupId, JSON.stringify(upserts)],
    );
  }
  if (deletes.length > 0) {
    await client.query(
      `DELETE FROM powersync.current_data c USING json_to_recordset($2::json) AS r(t int8, k text)
       WHERE c.group_id = $1 AND c.source_table = r.t AND c.source_key = convert_to(r.k, 'UTF8')`,
      [groupId, JSON.stringify(deletes)],
    );
  }
}
