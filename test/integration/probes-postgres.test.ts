import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/metrics/index.js';
import { freePort } from '../../src/postgres/index.js';
import { PostgresProbe, ProbeMetric } from '../../src/probes/index.js';
import { createTestDatabase } from '../support/databases.js';

/**
 * The shared server runs with synchronous_commit=off, so pg_current_wal_lsn() (the write position, which the
 * probe reads as the spec says) trails a commit until the WAL writer catches up (wal_writer_delay, 200 ms).
 */
async function walWritten(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
  const target = rows[0]?.lsn ?? '0/0';
  for (let i = 0; i < 100; i++) {
    const done = await client.query<{ ok: boolean }>('SELECT pg_current_wal_lsn() >= $1::pg_lsn AS ok', [
      target,
    ]);
    if (done.rows[0]?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`WAL not written up to ${target} within 5 s`);
}

const valuesOf = (samples: Sample[], metric: string) => samples.filter((s) => s.metric === metric);

describe('PostgresProbe against the shared embedded Postgres', () => {
  let url: string;
  let drop: () => Promise<void>;
  let client: pg.Client;
  // Slot names are server-wide: a suffix keeps runs sharing an external server apart.
  const slot = `probe_test_${randomBytes(3).toString('hex')}`;

  beforeAll(async () => {
    ({ url, drop } = await createTestDatabase('probes_postgres'));
    client = new pg.Client({ connectionString: url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    await client?.end();
    await drop?.();
  });

  it('reads database size, WAL rate, slot lag and bucket storage sizes', async () => {
    const probe = new PostgresProbe(url);
    try {
      const first = await probe.sample(1);
      const database = new URL(url).pathname.slice(1);
      expect(valuesOf(first, ProbeMetric.pgDatabaseBytes)).toEqual([
        { metric: ProbeMetric.pgDatabaseBytes, value: expect.any(Number), time: 1, tags: { database } },
      ]);
      expect(first[0]?.value).toBeGreaterThan(1024 * 1024);
      expect(valuesOf(first, ProbeMetric.pgWalBytesPerSecond)).toEqual([]); // needs a previous position
      expect(valuesOf(first, ProbeMetric.pgSlotLagBytes)).toEqual([]);
      expect(probe.unavailable()).toEqual([
        expect.stringMatching(
          /^no powersync schema in 127\.0\.0\.1:\d+\/t_probes_postgres_\w+: bucket storage sizes not read$/,
        ),
      ]);

      await client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]);
      await client.query('CREATE SCHEMA powersync');
      await client.query('CREATE TABLE powersync.bucket_data (id bigserial PRIMARY KEY, data text)');
      await client.query('CREATE TABLE powersync.current_data (id bigserial PRIMARY KEY, data text)');
      await client.query(
        "INSERT INTO powersync.bucket_data (data) SELECT repeat('x', 200) FROM generate_series(1, 20000)",
      );

      await walWritten(client);

      const second = await probe.sample(2);
      const walRate = valuesOf(second, ProbeMetric.pgWalBytesPerSecond)[0]?.value ?? 0;
      expect(walRate).toBeGreaterThan(0);
      const lag = valuesOf(second, ProbeMetric.pgSlotLagBytes).find((s) => s.tags?.slot === slot);
      expect(lag?.value).toBeGreaterThan(20000 * 200); // the inserts are WAL the slot has not confirmed
      const independent = await client.query<{ lag: string }>(
        'SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag FROM pg_replication_slots WHERE slot_name = $1',
        [slot],
      );
      expect(Number(independent.rows[0]?.lag)).toBeGreaterThanOrEqual(lag?.value ?? Infinity);
      const tables = valuesOf(second, ProbeMetric.pgTableBytes);
      expect(tables.map((s) => s.tags?.table)).toEqual(['bucket_data', 'current_data']);
      expect(tables[0]?.value).toBeGreaterThan(20000 * 200);
      expect(probe.unavailable()).toContain(
        `no table powersync.bucket_parameters in ${probe.name.slice('postgres '.length)}: its size not read`,
      );

      await client.query('SELECT pg_drop_replication_slot($1)', [slot]);
      const third = await probe.sample(3);
      expect(valuesOf(third, ProbeMetric.pgSlotLagBytes).some((s) => s.tags?.slot === slot)).toBe(false);

      // One connection, named, while it runs.
      const connections = await client.query<{ n: string }>(
        "SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = 'syncscale-probe' AND datname = current_database()",
      );
      expect(connections.rows[0]?.n).toBe('1');
    } finally {
      await probe.close();
    }
    expect(await probe.sample(4)).toEqual([]);
  });

  it('uses the label for the database tag', async () => {
    const probe = new PostgresProbe(url, { label: 'storage' });
    try {
      const samples = await probe.sample(1);
      expect(samples.every((s) => s.tags?.database === 'storage')).toBe(true);
      expect(probe.name).toBe('postgres storage');
    } finally {
      await probe.close();
    }
  });

  it('notes an unreachable server once, without the password', async () => {
    const port = await freePort();
    const probe = new PostgresProbe(`postgres://probe:s3cret@127.0.0.1:${port}/nowhere`);
    try {
      expect(await probe.sample(1)).toEqual([]);
      expect(await probe.sample(2)).toEqual([]);
      expect(probe.unavailable()).toHaveLength(1);
      expect(probe.unavailable()[0]).toMatch(
        new RegExp(`^could not connect to postgres at 127\\.0\\.0\\.1:${port}/nowhere: .*ECONNREFUSED`),
      );
      expect(probe.unavailable()[0]).not.toContain('s3cret');
    } finally {
      await probe.close();
    }
  });

  it('notes a database that does not exist', async () => {
    const missing = new URL(url);
    missing.pathname = '/no_such_database_probes';
    const probe = new PostgresProbe(missing.toString());
    try {
      expect(await probe.sample(1)).toEqual([]);
      expect(probe.unavailable()[0]).toMatch(
        /could not connect to postgres at .*no_such_database_probes: .*does not exist/,
      );
    } finally {
      await probe.close();
    }
  });
});
