import type pg from 'pg';

/** A source table as replication knows it, with its snapshot progress. */
export interface SourceTable {
  id: string;
  groupId: number;
  relationId: number | null;
  schema: string;
  name: string;
  replicaIdColumns: string[];
  snapshotDone: boolean;
  snapshotLastKey: string | null;
  snapshotReplicatedCount: number;
}

interface SourceTableRow {
  id: string;
  group_id: number;
  relation_id: number | null;
  schema_name: string;
  table_name: string;
  replica_id_columns: string[];
  snapshot_done: boolean;
  snapshot_last_key: string | null;
  snapshot_replicated_count: string;
}

function toSourceTable(row: SourceTableRow): SourceTable {
  return {
    id: row.id,
    groupId: row.group_id,
    relationId: row.relation_id,
    schema: row.schema_name,
    name: row.table_name,
    replicaIdColumns: row.replica_id_columns,
    snapshotDone: row.snapshot_done,
    snapshotLastKey: row.snapshot_last_key,
    snapshotReplicatedCount: Number(row.snapshot_replicated_count),
  };
}

/**
 * Finds or registers a source table for a stream. A table whose relation id or replica identity changed
 * (dropped and recreated, key changed) gets a new record, which needs a new snapshot.
 */
export async function resolveSourceTable(
  db: pg.Pool,
  groupId: number,
  table: { schema: string; name: string; relationId: number; replicaIdColumns: string[] },
): Promise<{ table: SourceTable; replaced: SourceTable[]; created: boolean }> {
  const { rows } = await db.query<SourceTableRow>(
    'SELECT * FROM powersync.source_tables WHERE group_id = $1 AND schema_name = $2 AND table_name = $3 ORDER BY id',
    [groupId, table.schema, table.name],
  );
  const existing = rows.map(toSourceTable);
  const match = existing.find(
    (t) =>
      (t.relationId === null || t.relationId === table.relationId) &&
      JSON.stringify(t.replicaIdColumns) === JSON.stringify(table.replicaIdColumns),
  );
  if (match) {
    if (match.relationId === null) {
      await db.query('UPDATE powersync.source_tables SET relation_id = $2 WHERE id = $1', [
        match.id,
        table.relationId,
      ]);
      match.relationId = table.relationId;
    }
    return { table: match, replaced: existing.filter((t) => t !== match), created: false };
  }
  const inserted = await db.query<SourceTableRow>(
    `INSERT INTO powersync.source_tables (group_id, relation_id, schema_name, table_name, replica_id_columns)
     VALUES ($1, $2, $3, $4, $5) RETURNING *`,
    [groupId, table.relationId, table.schema, table.name, JSON.stringify(table.replicaIdColumns)],
  );
  return { table: toSourceTable(inserted.rows[0]!), replaced: existing, created: true };
}

export async function listSourceTables(db: pg.Pool, groupId: number): Promise<SourceTable[]> {
  const { rows } = await db.query<SourceTableRow>(
    'SELECT * FROM powersync.source_tables WHERE group_id = $1 ORDER BY id',
    [groupId],
  );
  return rows.map(toSourceTable);
}

export async function deleteSourceTable(db: pg.Pool, id: string): Promise<void> {
  await db.query('DELETE FROM powersync.source_tables WHERE id = $1', [id]);
}
