import { randomBytes } from 'node:crypto';
import type pg from 'pg';

/** Lifecycle of a replication stream (service.md §4). */
export type SyncRulesState = 'PROCESSING' | 'ACTIVE' | 'ERRORED' | 'STOP' | 'TERMINATED';

/** One replication stream: a sync config version with its slot and checkpoint position. */
export interface SyncRulesRecord {
  id: number;
  state: SyncRulesState;
  content: string;
  slotName: string;
  snapshotDone: boolean;
  snapshotLsn: string | null;
  lastCheckpoint: bigint | null;
  lastCheckpointLsn: string | null;
  persistedLsn: string | null;
  noCheckpointBefore: string | null;
  keepaliveOp: bigint | null;
}

interface SyncRulesRow {
  id: number;
  state: SyncRulesState;
  content: string;
  slot_name: string;
  snapshot_done: boolean;
  snapshot_lsn: string | null;
  last_checkpoint: string | null;
  last_checkpoint_lsn: string | null;
  persisted_lsn: string | null;
  no_checkpoint_before: string | null;
  keepalive_op: string | null;
}

export function toSyncRulesRecord(row: SyncRulesRow): SyncRulesRecord {
  return {
    id: row.id,
    state: row.state,
    content: row.content,
    slotName: row.slot_name,
    snapshotDone: row.snapshot_done,
    snapshotLsn: row.snapshot_lsn,
    lastCheckpoint: row.last_checkpoint === null ? null : BigInt(row.last_checkpoint),
    lastCheckpointLsn: row.last_checkpoint_lsn,
    persistedLsn: row.persisted_lsn,
    noCheckpointBefore: row.no_checkpoint_before,
    keepaliveOp: row.keepalive_op === null ? null : BigInt(row.keepalive_op),
  };
}

const COLUMNS = `id, state, content, slot_name, snapshot_done, snapshot_lsn, last_checkpoint, last_checkpoint_lsn,
  persisted_lsn, no_checkpoint_before, keepalive_op`;

export async function getSyncRules(
  db: pg.Pool | pg.ClientBase,
  id: number,
): Promise<SyncRulesRecord | undefined> {
  const { rows } = await db.query<SyncRulesRow>(`SELECT ${COLUMNS} FROM powersync.sync_rules WHERE id = $1`, [
    id,
  ]);
  return rows[0] && toSyncRulesRecord(rows[0]);
}

export async function listSyncRules(db: pg.Pool, states: SyncRulesState[]): Promise<SyncRulesRecord[]> {
  const { rows } = await db.query<SyncRulesRow>(
    `SELECT ${COLUMNS} FROM powersync.sync_rules WHERE state = ANY($1) ORDER BY id`,
    [states],
  );
  return rows.map(toSyncRulesRecord);
}

/** The stream served to clients, if any. */
export async function getActiveSyncRules(db: pg.Pool): Promise<SyncRulesRecord | undefined> {
  return (await listSyncRules(db, ['ACTIVE']))[0];
}

/** Registers a new sync config version in PROCESSING state with its slot name `<prefix><id>_<4 hex>`. */
export async function createSyncRules(
  db: pg.Pool,
  content: string,
  slotPrefix: string,
): Promise<SyncRulesRecord> {
  const { rows } = await db.query<SyncRulesRow>(
    `WITH next AS (SELECT nextval('powersync.sync_rules_id_sequence')::int AS id)
     INSERT INTO powersync.sync_rules (id, state, content, slot_name)
     SELECT id, 'PROCESSING', $1, $2 || id || '_' || $3 FROM next
     RETURNING ${COLUMNS}`,
    [content, slotPrefix, randomBytes(2).toString('hex')],
  );
  return toSyncRulesRecord(rows[0]!);
}

export async function setSyncRulesState(db: pg.Pool, id: number, state: SyncRulesState): Promise<void> {
  await db.query('UPDATE powersync.sync_rules SET state = $2 WHERE id = $1', [id, state]);
}

export async function recordFatalError(db: pg.Pool, id: number, message: string): Promise<void> {
  await db.query('UPDATE powersync.sync_rules SET last_fatal_error = $2 WHERE id = $1', [id, message]);
}

/** Deletes everything a stream stored and resets its replication position (a fresh start). */
export async function resetSyncRulesData(db: pg.Pool, id: number): Promise<void> {
  for (const table of ['bucket_data', 'bucket_state', 'current_data', 'bucket_parameters', 'source_tables']) {
    await db.query(`DELETE FROM powersync.${table} WHERE group_id = $1`, [id]);
  }
  await db.query(
    `UPDATE powersync.sync_rules SET snapshot_done = false, snapshot_lsn = NULL, last_checkpoint = NULL,
       last_checkpoint_lsn = NULL, persisted_lsn = NULL, no_checkpoint_before = NULL, keepalive_op = NULL
     WHERE id = $1`,
    [id],
  );
}

/** Deletes everything a stopped stream stored and marks it TERMINATED. */
export async function clearSyncRulesData(db: pg.Pool, id: number): Promise<void> {
  await resetSyncRulesData(db, id);
  await db.query("UPDATE powersync.sync_rules SET state = 'TERMINATED' WHERE id = $1", [id]);
}

/** Records that the initial snapshot finished; the first checkpoint may not come before `noCheckpointBefore`. */
export async function markSnapshotDone(db: pg.Pool, id: number, noCheckpointBefore: string): Promise<void> {
  await db.query(
    `UPDATE powersync.sync_rules SET snapshot_done = true, snapshot_lsn = $2,
       no_checkpoint_before = greatest(coalesce(no_checkpoint_before, ''), $2) WHERE id = $1`,
    [id, noCheckpointBefore],
  );
}
