import { createHash } from 'node:crypto';
import type { KeySpace } from './key-space.js';
import type { PlannedTransaction } from './transaction-planner.js';
import { STAMP_SQL, type QuotedTable } from './writer-table.js';

/** A prepared statement (named, so each connection parses it once). */
export interface WriteStatement {
  name: string;
  text: string;
}

/** Row counts one transaction reports back. */
export interface WriteCounts {
  inserted: number;
  updated: number;
  deleted: number;
}

/**
 * One statement applies a whole transaction (its own implicit transaction, one round trip): inserts, updates
 * and deletes as data-modifying CTEs over arrays. Keys in one transaction are distinct, so no row is touched
 * twice. Inserts and updates stamp the row with the database clock as the statement runs.
 */
export function writeStatement(q: QuotedTable): WriteStatement {
  const updatedAtInsert = q.updatedAt ? `, ${q.updatedAt}` : '';
  const updatedAtValue = q.updatedAt ? ', now()' : '';
  const updatedAtSet = q.updatedAt ? `, ${q.updatedAt} = now()` : '';
  const text = `WITH
  ss_ins AS (
    INSERT INTO ${q.table} (${q.key}, ${q.owner}, ${q.payload}, ${q.stamp}${updatedAtInsert})
    SELECT ss_v.k, ss_v.o, ss_v.p, ${STAMP_SQL}${updatedAtValue}
    FROM unnest($1::text[], $2::text[], $3::text[]) AS ss_v(k, o, p)
    RETURNING 1),
  ss_upd AS (
    UPDATE ${q.table} AS ss_t SET ${q.payload} = ss_v.p, ${q.stamp} = ${STAMP_SQL}${updatedAtSet}
    FROM unnest($4::text[], $5::text[]) AS ss_v(k, p)
    WHERE ss_t.${q.key} = ss_v.k
    RETURNING 1),
  ss_del AS (
    DELETE FROM ${q.table} WHERE ${q.key} = ANY($6::text[])
    RETURNING 1)
SELECT (SELECT count(*) FROM ss_ins)::int AS inserted,
       (SELECT count(*) FROM ss_upd)::int AS updated,
       (SELECT count(*) FROM ss_del)::int AS deleted`;
  const name = `ss_write_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
  return { name, text };
}

/** The statement's parameters for a planned transaction. */
export function writeValues(keys: KeySpace, planned: PlannedTransaction): unknown[] {
  const key = (index: number) => keys.key(index);
  return [
    planned.inserted.map(key),
    planned.insertOwners,
    planned.insertPayloads,
    planned.updated.map(key),
    planned.updatePayloads,
    planned.deleted.map(key),
  ];
}
