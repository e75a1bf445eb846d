import pg from 'pg';
import { ServiceError } from '../../errors/index.js';
import type { Logger } from '../logging/index.js';
import {
  getSyncRules,
  markSnapshotDone,
  resetSyncRulesData,
  resolveSourceTable,
  type RowEvaluator,
  type SyncRulesRecord,
  type WriterLimits,
} from '../storage/index.js';
import { PG_TEXT_SESSION_OPTIONS, rawTextTypes } from './pg-values.js';
import { normaliseLsn, ReplicationConnection } from './pgoutput/index.js';
import type { ReplicationMetrics } from './replication-metrics.js';
import { snapshotIntoTransaction, snapshotTable } from './snapshot.js';
import { checkPublication, currentWalLsn, describeSourceTable } from './source-schema.js';
import { WalStream } from './wal-stream.js';

export interface ReplicationJobOptions {
  sourceUrl: string;
  storage: pg.Pool;
  stream: SyncRulesRecord;
  evaluator: RowEvaluator & { sourceTables(): Array<{ schema: string; name: string }> };
  metrics: ReplicationMetrics;
  log: Logger;
  limits?: WriterLimits;
  snapshotChunkSize?: number;
  /** Called on snapshot progress and stream activity (liveness). */
  touch?: () => void;
}

/**
 * Replicates one stream while its lock is held: ensures the slot, takes the initial snapshot (resumable),
 * then streams until aborted. Errors propagate; the engine retries with backoff.
 */
export class ReplicationJob {
  private connection: ReplicationConnection | null = null;
  private readonly source: pg.Pool;

  constructor(private readonly options: ReplicationJobOptions) {
    this.source = new pg.Pool({
      connectionString: options.sourceUrl,
      max: 3,
      types: rawTextTypes,
      // Print values exactly as the walsender does, so snapshot and streaming convert them identically.
      options: PG_TEXT_SESSION_OPTIONS,
      application_name: 'syncscale-snapshot',
    });
    this.source.on('error', () => undefined);
    // Checked-out clients too (see createStoragePool): the next query rejects instead of the process crashing.
    this.source.on('connect', (client) => client.on('error', () => undefined));
  }

  get id(): number {
    return this.options.stream.id;
  }

  async run(signal: AbortSignal): Promise<void> {
    const onAbort = () => void this.connection?.close().catch(() => undefined);
    signal.addEventListener('abort', onAbort);
    try {
      await checkPublication(this.source);
      let stream = (await getSyncRules(this.options.storage, this.id)) ?? this.options.stream;
      await this.ensureSlot(stream);
      stream = (await getSyncRules(this.options.storage, this.id)) ?? stream;
      if (!stream.snapshotDone) await this.initialSnapshot(signal);
      signal.throwIfAborted();
      this.connection = await ReplicationConnection.connect(this.options.sourceUrl);
      if (signal.aborted) return;
      this.options.log.info(`Replicating stream ${this.id} from slot ${stream.slotName}`);
      await new WalStream({
        connection: this.connection,
        storage: this.options.storage,
        groupId: this.id,
        slotName: stream.slotName,
        evaluator: this.options.evaluator,
        limits: this.options.limits,
        metrics: this.options.metrics,
        warn: (message) => this.options.log.warn(message),
        snapshotNewTable: async (table, tx) => {
          const rows = await snapshotIntoTransaction(this.source, table, tx);
          this.options.log.info(`Snapshot of new table ${table.schema}.${table.name}: ${rows} rows`);
        },
      }).run();
    } catch (error) {
      throw asSourceError(error);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await this.connection?.close().catch(() => undefined);
      this.connection = null;
      await this.source.end().catch(() => undefined);
    }
  }

  /** Emits a logical message so replication sees a position past every earlier commit (keepalive). */
  async heartbeat(): Promise<void> {
    await this.source.query("SELECT pg_logical_emit_message(false, 'powersync', 'ping')");
  }

  private async ensureSlot(stream: SyncRulesRecord): Promise<void> {
    // An integer, not a boolean: this pool returns raw text.
    const { rows } = await this.source.query<{ invalid: string }>(
      "SELECT (coalesce(wal_status = 'lost', false))::int AS invalid FROM pg_replication_slots WHERE slot_name = $1",
      [stream.slotName],
    );
    if (rows[0] && Number(rows[0].invalid) === 0) return;
    if (stream.snapshotDone) {
      throw new ServiceError('PSYNC_S1146', `Replication slot ${stream.slotName} is missing or invalidated`);
    }
    if (rows[0]) await this.source.query('SELECT pg_drop_replication_slot($1)', [stream.slotName]);
    // Changes before the slot existed were never captured: a partial snapshot cannot be trusted.
    await resetSyncRulesData(this.options.storage, this.id);
    const connection = await ReplicationConnection.connect(this.options.sourceUrl);
    try {
      await connection.createSlot(stream.slotName);
    } finally {
      await connection.close();
    }
    this.options.log.info(`Created replication slot ${stream.slotName}`);
  }

  private async initialSnapshot(signal: AbortSignal): Promise<void> {
    const started = Date.now();
    let total = 0;
    for (const wanted of this.options.evaluator.sourceTables()) {
      signal.throwIfAborted();
      const info = await describeSourceTable(this.source, wanted.schema, wanted.name);
      if (!info) {
        this.options.log.warn(
          `Table ${wanted.schema}.${wanted.name} of the sync config does not exist; skipped`,
        );
        continue;
      }
      if (info.replicaIdColumns.length === 0) {
        this.options.log.warn(`Table ${wanted.schema}.${wanted.name} has no replica identity; skipped`);
        continue;
      }
      // Registered even when unpublished, so adding it to the publication later triggers its snapshot.
      const { table } = await resolveSourceTable(this.options.storage, this.id, info);
      if (!info.published) {
        this.options.log.warn(
          `Table ${wanted.schema}.${wanted.name} is not in publication "powersync"; skipped`,
        );
        continue;
      }
      const rows = await snapshotTable({
        source: this.source,
        storage: this.options.storage,
        groupId: this.id,
        evaluator: this.options.evaluator,
        table,
        chunkSize: this.options.snapshotChunkSize,
        limits: this.options.limits,
        signal,
        warn: (message) => this.options.log.warn(message),
        onProgress: () => this.options.touch?.(),
      });
      total += rows;
      this.options.log.info(`Snapshot of ${table.schema}.${table.name}: ${rows} rows`);
    }
    const lsn = normaliseLsn(await currentWalLsn(this.source));
    await markSnapshotDone(this.options.storage, this.id, lsn);
    await this.heartbeat();
    const seconds = (Date.now() - started) / 1000;
    this.options.log.info(`Initial snapshot done: ${total} rows in ${seconds.toFixed(1)} s`, {
      rows_per_second: Math.round(total / Math.max(seconds, 0.001)),
    });
  }
}

/**
 * Labels a lost or refused source connection PSYNC_S1120 (SQLSTATE classes 08 and 57P, or a socket closed
 * under us), so the log says which side failed; other errors keep their own code or message.
 */
function asSourceError(error: unknown): unknown {
  if (error instanceof ServiceError) return error;
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  const connectionLost =
    (typeof code === 'string' && (code.startsWith('08') || code.startsWith('57P') || code.startsWith('E'))) ||
    /terminat|ECONN|closed|socket/i.test(message);
  return connectionLost
    ? new ServiceError('PSYNC_S1120', `Source database connection failed: ${message}`, { cause: error })
    : error;
}
