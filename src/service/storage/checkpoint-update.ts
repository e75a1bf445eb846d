import type pg from 'pg';
import { ServiceError } from '../../errors/index.js';
import { getSyncRules } from './sync-rules-store.js';

export interface CommitResult {
  /** The checkpoint after this commit, when one was made. */
  checkpoint: bigint | null;
  /** True when the checkpoint could not be made yet (snapshot not done or LSN before no_checkpoint_before). */
  parked: boolean;
  activated: boolean;
  writeCheckpointsProcessed: number;
}

export const CHECKPOINT_CHANNEL = 'powersynccheckpoints';

/**
 * The checkpoint step of a storage transaction's commit: advances the stream's checkpoint when allowed
 * (snapshot done, LSN not going backwards, past no_checkpoint_before) or parks the ops in keepalive_op;
 * activates a stream that finished processing; marks write checkpoints up to the LSN processed; notifies
 * readers (delivered when the transaction commits).
 */
export async function updateCheckpoint(
  client: pg.PoolClient,
  groupId: number,
  lastOp: bigint | null,
  lsn: string | null,
  wantCheckpoint: boolean,
): Promise<CommitResult> {
  await client.query('SELECT 1 FROM powersync.sync_rules WHERE id = $1 FOR UPDATE', [groupId]);
  const stream = await getSyncRules(client, groupId);
  if (!stream) throw new ServiceError('PSYNC_S1101', `Replication stream ${groupId} does not exist`);
  const result: CommitResult = {
    checkpoint: null,
    parked: false,
    activated: false,
    writeCheckpointsProcessed: 0,
  };
  const canCheckpoint =
    wantCheckpoint &&
    lsn !== null &&
    stream.snapshotDone &&
    (stream.noCheckpointBefore === null || lsn >= stream.noCheckpointBefore) &&
    (stream.lastCheckpointLsn === null || lsn >= stream.lastCheckpointLsn);
  if (!canCheckpoint) {
    result.parked = lastOp !== null || wantCheckpoint;
    await client.query(
      `UPDATE powersync.sync_rules SET keepalive_op = greatest(keepalive_op, $2::int8),
         persisted_lsn = CASE WHEN $3::text IS NULL THEN persisted_lsn ELSE greatest(persisted_lsn, $3) END
       WHERE id = $1`,
      [groupId, lastOp?.toString() ?? null, lsn],
    );
    return result;
  }
  const previous = stream.lastCheckpoint ?? 0n;
  const next = [previous, stream.keepaliveOp ?? 0n, lastOp ?? 0n].reduce((a, b) => (b > a ? b : a));
  await client.query(
    `UPDATE powersync.sync_rules SET last_checkpoint = $2, last_checkpoint_lsn = $3, keepalive_op = NULL,
       persisted_lsn = greatest(persisted_lsn, $3), last_keepalive_ts = now(),
       last_checkpoint_ts = CASE WHEN $2::int8 <> coalesce(last_checkpoint, -1) THEN now() ELSE last_checkpoint_ts END
     WHERE id = $1`,
    [groupId, next.toString(), lsn],
  );
  result.checkpoint = next;
  let state = stream.state;
  if (state === 'PROCESSING') {
    await client.query("UPDATE powersync.sync_rules SET state = 'STOP' WHERE state = 'ACTIVE' AND id <> $1", [
      groupId,
    ]);
    await client.query("UPDATE powersync.sync_rules SET state = 'ACTIVE' WHERE id = $1", [groupId]);
    state = 'ACTIVE';
    result.activated = true;
  }
  if (state === 'ACTIVE') {
    const processed = await client.query(
      `UPDATE powersync.write_checkpoints SET processed_at_lsn = $1
       WHERE processed_at_lsn IS NULL AND lsns->>'1' <= $1`,
      [lsn],
    );
    result.writeCheckpointsProcessed = processed.rowCount ?? 0;
  }
  if (next !== stream.lastCheckpoint || result.activated || result.writeCheckpointsProcessed > 0) {
    // Delivered to LISTENers when this transaction commits.
    await client.query('SELECT pg_notify($1, $2)', [
      CHECKPOINT_CHANNEL,
      JSON.stringify({
        active_checkpoint: { id: groupId, last_checkpoint: next.toString(), last_checkpoint_lsn: lsn },
      }),
    ]);
  }
  return result;
}
