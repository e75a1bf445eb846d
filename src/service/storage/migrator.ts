import type pg from 'pg';
import { ServiceError } from '../../errors/index.js';
import { ensureBootstrapTables, StorageLock } from './locks.js';
import { MIGRATIONS } from './migrations.js';

export type MigrationDirection = 'up' | 'down';

export interface MigrationResult {
  direction: MigrationDirection;
  applied: string[];
  /** Name of the last applied migration after the run, or undefined when none is applied. */
  current: string | undefined;
}

const LOCK_NAME = 'migrations';
const LOCK_TTL_MS = 60_000;
const LOCK_WAIT_MS = 180_000;

/** Applies pending migrations (up) or reverts all applied ones (down), under the `migrations` lock. */
export async function migrate(db: pg.Pool, direction: MigrationDirection): Promise<MigrationResult> {
  try {
    await ensureBootstrapTables(db);
  } catch (cause) {
    throw new ServiceError('SSCALE_E0002', 'Could not create the storage schema', { cause });
  }
  const lock = await waitForLock(db);
  try {
    const current = await currentMigration(db);
    const applied: string[] = [];
    const steps =
      direction === 'up'
        ? MIGRATIONS.filter((m) => m.id > current)
        : MIGRATIONS.filter((m) => m.id <= current).reverse();
    for (const step of steps) {
      const client = await db.connect();
      try {
        await client.query('BEGIN');
        await (direction === 'up' ? step.up(client) : step.down(client));
        await recordStep(client, direction === 'up' ? step.id : step.id - 1, `${direction} ${step.name}`);
        await client.query('COMMIT');
        applied.push(step.name);
      } catch (cause) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new ServiceError('SSCALE_E0002', `Migration ${step.name} (${direction}) failed`, { cause });
      } finally {
        client.release();
      }
    }
    const after = await currentMigration(db);
    return { direction, applied, current: MIGRATIONS.find((m) => m.id === after)?.name };
  } finally {
    await lock.release();
  }
}

/** Id of the last applied migration (0 when none). */
export async function currentMigration(db: pg.Pool): Promise<number> {
  const exists = await db.query("SELECT to_regclass('powersync.migrations') AS t");
  if (!exists.rows[0]?.t) return 0;
  const { rows } = await db.query<{ last_run: string | null }>(
    'SELECT last_run FROM powersync.migrations WHERE id = 1',
  );
  return rows[0]?.last_run ? Number(rows[0].last_run) : 0;
}

/** Throws unless every migration this build knows is applied (e.g. auto-migration disabled, job not run). */
export async function assertMigrated(db: pg.Pool): Promise<void> {
  const current = await currentMigration(db);
  const latest = MIGRATIONS[MIGRATIONS.length - 1]!.id;
  if (current < latest) {
    throw new ServiceError(
      'SSCALE_E0002',
      `Storage schema is at migration ${current}, this service needs ${latest}: run \`syncscale service migrate up\``,
    );
  }
  if (current > latest) {
    throw new ServiceError(
      'PSYNC_S1005',
      `Storage schema migration ${current} is newer than this service (${latest})`,
    );
  }
}

async function recordStep(client: pg.ClientBase, lastRun: number, entry: string): Promise<void> {
  await client.query(
    `INSERT INTO powersync.migrations (id, last_run, log) VALUES (1, $1, jsonb_build_array($2::jsonb))
     ON CONFLICT (id) DO UPDATE SET last_run = excluded.last_run, log = powersync.migrations.log || excluded.log`,
    [String(lastRun), JSON.stringify({ entry, at: new Date().toISOString() })],
  );
}

async function waitForLock(db: pg.Pool): Promise<StorageLock> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    const lock = await StorageLock.tryAcquire(db, LOCK_NAME, LOCK_TTL_MS);
    if (lock) return lock;
    if (Date.now() > deadline) {
      throw new ServiceError('SSCALE_E0002', 'Timed out after 3 minutes waiting for the migrations lock');
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
