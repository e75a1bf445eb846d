import { randomUUID } from 'node:crypto';
import type pg from 'pg';

/**
 * A named lease in `powersync.locks` (service.md §6.2, Postgres storage): acquired only when no row exists or
 * the holder's timestamp is older than the TTL, judged by the database server's clock.
 */
export class StorageLock {
  private constructor(
    private readonly db: pg.Pool,
    readonly name: string,
    readonly lockId: string,
  ) {}

  /** Returns the lock, or undefined when another holder's lease is still live. */
  static async tryAcquire(db: pg.Pool, name: string, ttlMs: number): Promise<StorageLock | undefined> {
    const lockId = randomUUID();
    const { rowCount } = await db.query(
      `INSERT INTO powersync.locks (name, lock_id, ts) VALUES ($1, $2, now())
       ON CONFLICT (name) DO UPDATE SET lock_id = excluded.lock_id, ts = now()
       WHERE powersync.locks.ts <= now() - make_interval(secs => $3::float8 / 1000)`,
      [name, lockId, ttlMs],
    );
    return rowCount === 1 ? new StorageLock(db, name, lockId) : undefined;
  }

  /** A lock that was never taken (the test-only skip-lock fault): refresh and release touch nothing. */
  static unchecked(db: pg.Pool, name: string): StorageLock {
    return new StorageLock(db, name, '00000000-0000-0000-0000-000000000000');
  }

  /** Extends the lease; false when it was lost (expired and taken by another holder). */
  async refresh(): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'UPDATE powersync.locks SET ts = now() WHERE name = $1 AND lock_id = $2',
      [this.name, this.lockId],
    );
    return rowCount === 1;
  }

  async release(): Promise<void> {
    await this.db.query('DELETE FROM powersync.locks WHERE name = $1 AND lock_id = $2', [
      this.name,
      this.lockId,
    ]);
  }
}

/** Tables that must exist before any migration can take the migration lock. */
export async function ensureBootstrapTables(db: pg.Pool): Promise<void> {
  await db.query(`
    CREATE SCHEMA IF NOT EXISTS powersync;
    CREATE TABLE IF NOT EXISTS powersync.locks (name text PRIMARY KEY, lock_id uuid NOT NULL, ts timestamptz NOT NULL);
    CREATE TABLE IF NOT EXISTS powersync.migrations (id integer PRIMARY KEY, last_run text, log jsonb NOT NULL DEFAULT '[]');
  `);
}
