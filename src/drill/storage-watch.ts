import pg from 'pg';
import { compareLsn } from '../service/replication/index.js';

/** One reading of the lock table and the active checkpoint. */
export interface StorageReading {
  at: number;
  /** Live replication locks: name → lock id (a holder's lease). */
  locks: Array<{ name: string; lockId: string; ageMs: number }>;
  /** The active stream's last checkpoint (op id), or null before the first. */
  checkpoint: string | null;
  /** Source LSN of that checkpoint (`X/Y`), or null. */
  checkpointLsn: string | null;
}

/**
 * Reads bucket storage every `intervalMs`: the replication lock table (who holds the lease, over time) and
 * the active checkpoint (when replication makes progress). This is what an operator can see of a real
 * deployment's storage too; it needs no cooperation from the replicators.
 */
export class StorageWatch {
  readonly readings: StorageReading[] = [];
  private readonly pool: pg.Pool;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    storageUrl: string,
    private readonly intervalMs = 100,
  ) {
    this.pool = new pg.Pool({ connectionString: storageUrl, max: 1 });
    this.pool.on('error', () => undefined);
  }

  start(): void {
    this.timer = setInterval(() => void this.read(), this.intervalMs);
  }

  private async read(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const at = Date.now();
      const [locks, checkpoint] = await Promise.all([
        this.pool.query<{ name: string; lock_id: string; age_ms: number }>(
          `SELECT name, lock_id::text, (extract(epoch from now() - ts) * 1000)::float8 AS age_ms
           FROM powersync.locks WHERE name LIKE 'sync_rules_%'`,
        ),
        this.pool.query<{ last_checkpoint: string | null; last_checkpoint_lsn: string | null }>(
          `SELECT last_checkpoint::text, last_checkpoint_lsn FROM powersync.sync_rules
           WHERE state = 'ACTIVE' ORDER BY id DESC LIMIT 1`,
        ),
      ]);
      this.readings.push({
        at,
        locks: locks.rows.map((r) => ({ name: r.name, lockId: r.lock_id, ageMs: r.age_ms })),
        checkpoint: checkpoint.rows[0]?.last_checkpoint ?? null,
        checkpointLsn: checkpoint.rows[0]?.last_checkpoint_lsn ?? null,
      });
    } catch {
      // Storage briefly unreachable (a migration holds a lock, a restart): the next reading tries again.
    } finally {
      this.busy = false;
    }
  }

  /** Times at which the active checkpoint advanced. */
  checkpointAdvances(): number[] {
    const times: number[] = [];
    let last: string | null = null;
    for (const r of this.readings) {
      if (r.checkpoint !== null && r.checkpoint !== last) {
        if (last !== null) times.push(r.at);
        last = r.checkpoint;
      }
    }
    return times;
  }

  /** When the active checkpoint first reached source LSN `lsn` at or after `since` (undefined: not yet). */
  checkpointReached(lsn: string, since = 0): number | undefined {
    return this.readings.find(
      (r) => r.at >= since && r.checkpointLsn !== null && compareLsn(r.checkpointLsn, lsn) >= 0,
    )?.at;
  }

  /** Changes of the lease holder (lock id) over time, per lock name. */
  holderChanges(): Array<{ at: number; name: string; lockId: string | null }> {
    const changes: Array<{ at: number; name: string; lockId: string | null }> = [];
    const current = new Map<string, string | null>();
    for (const r of this.readings) {
      const names = new Set([...current.keys(), ...r.locks.map((l) => l.name)]);
      for (const name of names) {
        const lockId = r.locks.find((l) => l.name === name)?.lockId ?? null;
        if ((current.get(name) ?? null) !== lockId) {
          changes.push({ at: r.at, name, lockId });
          current.set(name, lockId);
        }
      }
    }
    return changes;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.pool.end().catch(() => undefined);
  }
}
