import type pg from 'pg';
import { ServiceError } from '../../errors/index.js';
import { StorageLock, type SyncRulesRecord } from '../storage/index.js';

/**
 * Timing of the replication lock (service.md §6.2). The defaults are the real service's; the environment
 * variables exist for drills and tests, so a hand-over can be exercised in seconds rather than a minute.
 */
export interface LockTiming {
  /** Lease length: SYNCSCALE_LOCK_TTL_MS, default 60 000. */
  ttlMs: number;
  /** Lease refresh period: SYNCSCALE_LOCK_REFRESH_MS, default 30 130. */
  refreshMs: number;
  /** Standby retry period early on: SYNCSCALE_STANDBY_RETRY_MS, default 500. */
  fastRetryMs: number;
  /** How long after start the fast retry applies: SYNCSCALE_STANDBY_FAST_WINDOW_MS, default 120 000. */
  fastWindowMs: number;
  /** Retry period afterwards: SYNCSCALE_STANDBY_SLOW_RETRY_MS, default 5 000. */
  slowRetryMs: number;
}

export function lockTimingFromEnv(env: NodeJS.ProcessEnv = process.env): LockTiming {
  const read = (name: string, fallback: number) => {
    const value = env[name];
    if (value === undefined || value === '') return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed <= 0)
      throw new Error(`${name} must be a positive number of milliseconds`);
    return parsed;
  };
  return {
    ttlMs: read('SYNCSCALE_LOCK_TTL_MS', 60_000),
    refreshMs: read('SYNCSCALE_LOCK_REFRESH_MS', 30_130),
    fastRetryMs: read('SYNCSCALE_STANDBY_RETRY_MS', 500),
    fastWindowMs: read('SYNCSCALE_STANDBY_FAST_WINDOW_MS', 120_000),
    slowRetryMs: read('SYNCSCALE_STANDBY_SLOW_RETRY_MS', 5_000),
  };
}

export function replicationLockName(stream: Pick<SyncRulesRecord, 'id' | 'slotName'>): string {
  return `sync_rules_${stream.id}_${stream.slotName}`;
}

/**
 * Test-only fault knob: a replicator started with this set to 1 never checks the lock (it believes it holds
 * it at once). It exists so `syncscale drill` can prove it fails a deploy that breaks the lock rule; never set
 * it in a deployment.
 */
export const FAULT_SKIP_LOCK_ENV = 'SYNCSCALE_FAULT_SKIP_LOCK';

/** Takes the stream's lock or throws PSYNC_S1003 (another replicator holds it). */
export async function acquireReplicationLock(
  db: pg.Pool,
  stream: SyncRulesRecord,
  ttlMs: number,
): Promise<StorageLock> {
  if (process.env[FAULT_SKIP_LOCK_ENV] === '1') return StorageLock.unchecked(db, replicationLockName(stream));
  const lock = await StorageLock.tryAcquire(db, replicationLockName(stream), ttlMs);
  if (!lock)
    throw new ServiceError('PSYNC_S1003', 'Replication stream is locked by another process, standing by.');
  return lock;
}
