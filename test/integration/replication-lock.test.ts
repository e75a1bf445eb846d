import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bucketOps,
  createReplicationDatabases,
  serviceConfigYaml,
  waitForReplication,
} from '../support/replication-fixture.js';
import { CliProcess, writeTempConfig } from '../support/service-process.js';

const LOCK_TTL_MS = 4_000;
/** Drill timings: the real service's 60 s / 30 s lease scaled down so hand-over is testable in seconds. */
const DRILL_ENV = {
  SYNCSCALE_LOCK_TTL_MS: String(LOCK_TTL_MS),
  SYNCSCALE_LOCK_REFRESH_MS: '1000',
  SYNCSCALE_REPLICATION_RETRY_MS: '1000',
};
const STANDBY = '[PSYNC_S1003] Replication stream is locked by another process, standing by.';
const ACQUIRED = 'Acquired replication lock';

describe('replication lock hand-over between real replicator processes', () => {
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let storage: pg.Pool;
  let config: ReturnType<typeof writeTempConfig>;
  const processes: CliProcess[] = [];
  const spawnReplicator = () => {
    const child = new CliProcess(
      ['service', 'start', '-r', 'sync', '-c', config.path],
      DRILL_ENV,
      config.dir,
    );
    processes.push(child);
    return child;
  };

  beforeAll(async () => {
    db = await createReplicationDatabases('lock');
    storage = new pg.Pool({ connectionString: db.storageUrl, max: 2 });
    config = writeTempConfig(
      serviceConfigYaml(db.sourceUrl, db.storageUrl).replace('level: warn', 'level: info'),
    );
  });

  afterAll(async () => {
    for (const child of processes) child.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await storage?.end();
    await db?.drop();
    config?.cleanup();
  });

  it('stands by with PSYNC_S1003, takes over after SIGTERM and after SIGKILL, losing and doubling nothing', async () => {
    const first = spawnReplicator();
    await first.waitFor(ACQUIRED);
    await waitForReplication(db.source, storage);

    const second = spawnReplicator();
    await second.waitFor(STANDBY);

    // Continuous single-row transactions across both hand-overs.
    let written = 0;
    let writing = true;
    const writer = (async () => {
      while (writing && written < 5_000) {
        await db.source.query('INSERT INTO lists VALUES ($1, $2)', [`w${written}`, `row ${written}`]);
        written++;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // Retried every 0.5 s but logged once.
    expect(second.count(STANDBY)).toBe(1);

    const termAt = Date.now();
    first.kill('SIGTERM');
    const takeover = await second.waitFor(ACQUIRED, 10_000);
    const gracefulHandOverMs = takeover.at - termAt;
    expect((await first.exited).code).toBe(0);
    expect(gracefulHandOverMs).toBeLessThan(1_000);

    const third = spawnReplicator();
    await third.waitFor(STANDBY);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const killAt = Date.now();
    second.kill('SIGKILL');
    const recovery = await third.waitFor(ACQUIRED, LOCK_TTL_MS + 10_000);
    const crashHandOverMs = recovery.at - killAt;
    // The lease lingers until it expires: between refresh-to-TTL after the kill, plus one retry period.
    expect(crashHandOverMs).toBeLessThan(LOCK_TTL_MS + 1_500);

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    writing = false;
    await writer;
    await waitForReplication(db.source, storage);
    const puts = (await bucketOps(storage, '1#global[]'))
      .filter((o) => o.op === 'PUT')
      .map((o) => o.objectId!);
    const expected = Array.from({ length: written }, (_, i) => `w${i}`);
    expect(puts.filter((id) => id.startsWith('w')).sort()).toEqual(expected.sort());
    console.info(
      `lock hand-over: ${written} writes, graceful ${gracefulHandOverMs} ms, after SIGKILL ${crashHandOverMs} ms (TTL ${LOCK_TTL_MS} ms)`,
    );
  }, 120_000);
});
