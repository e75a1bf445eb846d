import type pg from 'pg';

/**
 * Managed write checkpoints (protocol.md §1.8): a per-key counter stored with the source head LSN at request
 * time; replication marks it processed once a checkpoint passes that LSN.
 */
export async function createWriteCheckpoint(db: pg.Pool, userKey: string, headLsn: string): Promise<bigint> {
  const { rows } = await db.query<{ write_checkpoint: string }>(
    `INSERT INTO powersync.write_checkpoints (user_id, lsns, write_checkpoint, processed_at_lsn, checkpoint_requested_at)
     VALUES ($1, jsonb_build_object('1', $2::text), 1, NULL, now())
     ON CONFLICT (user_id) DO UPDATE SET lsns = excluded.lsns,
       write_checkpoint = powersync.write_checkpoints.write_checkpoint + 1,
       processed_at_lsn = NULL, checkpoint_requested_at = now()
     RETURNING write_checkpoint`,
    [userKey, headLsn],
  );
  return BigInt(rows[0]!.write_checkpoint);
}

/** The latest processed write checkpoint of a key, or null when none has been processed yet. */
export async function getProcessedWriteCheckpoint(db: pg.Pool, userKey: string): Promise<bigint | null> {
  const { rows } = await db.query<{ write_checkpoint: string; processed_at_lsn: string | null }>(
    'SELECT write_checkpoint, processed_at_lsn FROM powersync.write_checkpoints WHERE user_id = $1',
    [userKey],
  );
  const row = rows[0];
  if (!row) return null;
  // An unprocessed counter n means n - 1 was the last one processed.
  const value = BigInt(row.write_checkpoint);
  return row.processed_at_lsn !== null ? value : value > 1n ? value - 1n : null;
}
