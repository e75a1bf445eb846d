import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Sample } from '../metrics/index.js';
import { describeError, ProbeMetric, UnavailableNotes, type Probe } from './probe.js';

export interface PostgresProbeOptions {
  /** `database` tag of the samples. Default: the connected database's name. */
  label?: string;
  /** Connect and statement timeout. Default 2000 ms. */
  timeoutMs?: number;
}

/** Bucket storage tables whose size (with indexes and TOAST) is sampled when the `powersync` schema exists. */
export const BUCKET_STORAGE_TABLES = ['bucket_data', 'current_data', 'bucket_parameters'] as const;

interface ProbeRow {
  database: string;
  database_bytes: string;
  wal_lsn: string | null;
  wal_delta: string | null;
  has_powersync: boolean;
  bucket_data: string | null;
  current_data: string | null;
  bucket_parameters: string | null;
  slots: Array<{ slot: string; lag: string | null }> | null;
}

/**
 * One round trip per sample. On a standby the WAL position is the replay position (pg_current_wal_lsn() is
 * not allowed in recovery). Slot lag is WAL the slot has not confirmed, for the logical slots of this database.
 */
const PROBE_SQL = `
WITH wal AS (
  SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END AS lsn
)
SELECT current_database() AS database,
       pg_database_size(current_database())::text AS database_bytes,
       wal.lsn::text AS wal_lsn,
       pg_wal_lsn_diff(wal.lsn, $1::pg_lsn)::text AS wal_delta,
       to_regnamespace('powersync') IS NOT NULL AS has_powersync,
       pg_total_relation_size(to_regclass('powersync.bucket_data'))::text AS bucket_data,
       pg_total_relation_size(to_regclass('powersync.current_data'))::text AS current_data,
       pg_total_relation_size(to_regclass('powersync.bucket_parameters'))::text AS bucket_parameters,
       (SELECT json_agg(json_build_object(
                 'slot', s.slot_name,
                 'lag', pg_wal_lsn_diff(wal.lsn, s.confirmed_flush_lsn)::text) ORDER BY s.slot_name)
          FROM pg_replication_slots s
         WHERE s.slot_type = 'logical' AND s.database = current_database()) AS slots
  FROM wal`;

/**
 * Storage and replication figures of one Postgres database: `pg_database_bytes`, `pg_table_bytes` of the
 * bucket storage tables, `pg_wal_bytes_per_second` (WAL position delta over wall time, from the second sample
 * on) and `pg_replication_slot_lag_bytes` per logical slot. Uses one pool of at most one connection, opened
 * at the first sample and ended by `close()`.
 */
export class PostgresProbe implements Probe {
  readonly name: string;
  private readonly notes = new UnavailableNotes();
  private readonly where: string;
  private readonly timeoutMs: number;
  private pool?: pg.Pool;
  private closed = false;
  private previous?: { lsn: string; at: number };

  constructor(
    private readonly url: string,
    private readonly options: PostgresProbeOptions = {},
  ) {
    this.where = describeTarget(url);
    this.name = `postgres ${options.label ?? this.where}`;
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  async sample(time: number): Promise<Sample[]> {
    if (this.closed) return [];
    const row = await this.query();
    if (!row) return [];
    const at = performance.now();
    const tags = { database: this.options.label ?? row.database };
    const samples: Sample[] = [
      { metric: ProbeMetric.pgDatabaseBytes, value: Number(row.database_bytes), time, tags },
    ];
    if (row.wal_delta !== null && this.previous && at > this.previous.at) {
      const perSecond = Number(row.wal_delta) / ((at - this.previous.at) / 1000);
      samples.push({ metric: ProbeMetric.pgWalBytesPerSecond, value: Math.max(0, perSecond), time, tags });
    }
    this.previous = row.wal_lsn === null ? undefined : { lsn: row.wal_lsn, at };
    samples.push(...this.tableSamples(row, time, tags));
    for (const slot of row.slots ?? []) {
      if (slot.lag === null) continue;
      const value = Math.max(0, Number(slot.lag));
      samples.push({ metric: ProbeMetric.pgSlotLagBytes, value, time, tags: { ...tags, slot: slot.slot } });
    }
    return samples;
  }

  unavailable(): string[] {
    return this.notes.list();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }

  private tableSamples(row: ProbeRow, time: number, tags: { database: string }): Sample[] {
    if (!row.has_powersync) {
      // A source database never holds bucket storage: a note there would only be noise beside real ones.
      if (this.options.label !== 'source')
        this.notes.add('schema', `no powersync schema in ${this.where}: bucket storage sizes not read`);
      return [];
    }
    const samples: Sample[] = [];
    for (const table of BUCKET_STORAGE_TABLES) {
      const bytes = row[table];
      if (bytes === null) {
        this.notes.add(`table ${table}`, `no table powersync.${table} in ${this.where}: its size not read`);
        continue;
      }
      samples.push({
        metric: ProbeMetric.pgTableBytes,
        value: Number(bytes),
        time,
        tags: { ...tags, table },
      });
    }
    return samples;
  }

  private getPool(): pg.Pool {
    if (!this.pool) {
      this.pool = new pg.Pool({
        connectionString: this.url,
        max: 1,
        connectionTimeoutMillis: this.timeoutMs,
        statement_timeout: this.timeoutMs,
        query_timeout: this.timeoutMs + 500,
        application_name: 'syncscale-probe',
      });
      // A dropped idle connection must not crash the run; the next sample reconnects.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  /** The probe row, or undefined after noting why it could not be read. */
  private async query(): Promise<ProbeRow | undefined> {
    let client: pg.PoolClient;
    try {
      client = await this.getPool().connect();
    } catch (error) {
      this.noteError('could not connect to', error);
      return undefined;
    }
    try {
      const result = await client.query<ProbeRow>(PROBE_SQL, [this.previous?.lsn ?? null]);
      client.release();
      return result.rows[0];
    } catch (error) {
      client.release(error instanceof Error ? error : true); // a failed connection is not reused
      this.noteError('could not query', error);
      return undefined;
    }
  }

  private noteError(what: string, error: unknown): void {
    if (this.closed) return;
    const reason = describeError(error);
    this.notes.add(`${what} ${reason}`, `${what} postgres at ${this.where}: ${reason}`);
  }
}

/** `host:port/database` of a connection URL, without user or password. */
function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'postgres (unparsable URL)';
  }
}
