import type pg from 'pg';
import type { SqliteValue } from '../rules/sqlite-value.js';
import {
  BucketWriteTransaction,
  type RowChange,
  getSyncRules,
  resolveSourceTable,
  type CommitResult,
  type RowEvaluator,
  type SourceTable,
  type WriterLimits,
} from '../storage/index.js';
import { pgTextToSqlite } from './pg-values.js';
import {
  normaliseLsn,
  type ReplicationConnection,
  type ReplicationEvent,
  type RelationInfo,
  type TupleText,
} from './pgoutput/index.js';
import { PG_EPOCH_MS } from './pgoutput/types.js';
import type { ReplicationMetrics } from './replication-metrics.js';
import { PUBLICATION_NAME } from './source-schema.js';

export interface WalStreamOptions {
  connection: ReplicationConnection;
  storage: pg.Pool;
  groupId: number;
  slotName: string;
  evaluator: RowEvaluator & { sourceTables(): Array<{ schema: string; name: string }> };
  limits?: WriterLimits;
  metrics: ReplicationMetrics;
  /** A relation seen for the first time (or replaced) is snapshotted into the open storage transaction. */
  snapshotNewTable: (table: SourceTable, tx: BucketWriteTransaction) => Promise<void>;
  warn: (message: string) => void;
}

/**
 * Streams pgoutput changes into bucket storage. Each source transaction (or a run of them arriving together)
 * becomes one storage transaction committed with its checkpoint; transactions already persisted before a
 * restart are skipped by LSN, so nothing is applied twice. The confirmed LSN is acknowledged only after the
 * storage commit, so nothing is lost.
 */
export class WalStream {
  private readonly tables = new Map<number, SourceTable | null>();
  private tx: BucketWriteTransaction | null = null;
  private inTransaction = false;
  private skipping = false;
  private persistedLsn: string | null = null;
  /** Highest LSN fully processed and not yet committed to storage. */
  private pendingLsn: string | null = null;
  private oldestCommitTime: number | null = null;
  private readonly watched: Set<string>;

  constructor(private readonly options: WalStreamOptions) {
    this.watched = new Set(options.evaluator.sourceTables().map((t) => `${t.schema}.${t.name}`));
  }

  async run(): Promise<void> {
    const stream = await getSyncRules(this.options.storage, this.options.groupId);
    this.persistedLsn = stream?.persistedLsn ?? null;
    try {
      await this.options.connection.startReplication({
        slot: this.options.slotName,
        startLsn: this.persistedLsn ?? '0/0',
        publication: PUBLICATION_NAME,
        messages: true,
        onBatch: (batch) => this.handleBatch(batch),
      });
    } finally {
      await this.tx?.rollback();
      this.tx = null;
    }
  }

  private async handleBatch(batch: ReplicationEvent[]): Promise<void> {
    // Row events usually complete without waiting (the writer only waits when it flushes a batch): no
    // promise and no microtask per row unless something is pending.
    for (const event of batch) {
      const pending = this.handleEvent(event);
      if (pending) await pending;
    }
    if (!this.inTransaction && this.pendingLsn !== null) await this.commit(this.pendingLsn);
  }

  private handleEvent(event: ReplicationEvent): Promise<void> | undefined {
    switch (event.tag) {
      case 'relation':
        return this.onRelation(event.relation);
      case 'begin':
        this.inTransaction = true;
        // A transaction whose commit LSN is below what storage already holds was applied before a restart.
        this.skipping = this.persistedLsn !== null && normaliseLsn(event.finalLsn) < this.persistedLsn;
        this.oldestCommitTime ??= Number(event.commitTime / 1000n) + PG_EPOCH_MS;
        return;
      case 'commit':
        this.inTransaction = false;
        if (!this.skipping) {
          this.pendingLsn = normaliseLsn(event.endLsn);
          this.options.metrics.transactions++;
        }
        this.skipping = false;
        return;
      case 'insert':
        return this.onChange(event.relation, null, event.new);
      case 'update':
        return this.onChange(event.relation, event.old, event.new);
      case 'delete':
        return this.onChange(event.relation, event.old, null);
      case 'truncate':
        if (this.skipping) return;
        return this.onTruncate(event.relations);
      case 'message':
      case 'keepalive': {
        // Outside a transaction every earlier change has been processed, so the position may advance:
        // an empty checkpoint that also acknowledges write checkpoints.
        const lsn = normaliseLsn(event.tag === 'message' ? event.lsn : event.walEnd);
        if (!this.inTransaction && (this.persistedLsn === null || lsn > this.persistedLsn)) {
          if (this.pendingLsn === null || lsn > this.pendingLsn) this.pendingLsn = lsn;
        }
        return;
      }
      default:
        return;
    }
  }

  private async onTruncate(relations: RelationInfo[]): Promise<void> {
    for (const relation of relations) {
      const table = this.tables.get(relation.relationId);
      if (table) await (await this.writer()).truncate(table);
    }
  }

  private async onRelation(relation: RelationInfo): Promise<void> {
    if (!this.watched.has(`${relation.schema}.${relation.name}`)) {
      this.tables.set(relation.relationId, null);
      return;
    }
    const known = this.tables.get(relation.relationId);
    const replicaIdColumns = relation.columns.filter((c) => c.isKey).map((c) => c.name);
    if (known && JSON.stringify(known.replicaIdColumns) === JSON.stringify(replicaIdColumns)) return;
    const { table, replaced, created } = await resolveSourceTable(
      this.options.storage,
      this.options.groupId,
      {
        schema: relation.schema,
        name: relation.name,
        relationId: relation.relationId,
        replicaIdColumns,
      },
    );
    for (const old of replaced) await (await this.writer()).truncate(old);
    if (created) {
      // Unknown at the initial snapshot, so created (or re-created) after the slot: its every row is in the WAL.
      await (await this.writer()).setSnapshotProgress(table.id, { lastKey: null, replicated: 0, done: true });
      table.snapshotDone = true;
    } else if (!table.snapshotDone) {
      // Known but not snapshotted (it was not published then): its existing rows are not in the WAL.
      await this.options.snapshotNewTable(table, await this.writer());
      table.snapshotDone = true;
    }
    this.tables.set(relation.relationId, table);
  }

  private onChange(
    relation: RelationInfo,
    before: TupleText | null,
    after: TupleText | null,
  ): Promise<void> | undefined {
    if (this.skipping) return;
    const table = this.tables.get(relation.relationId);
    if (!table) return;
    const writer = this.tx;
    // The first change of a storage transaction begins it (a query); every later one goes straight on.
    if (!writer) return this.writer().then(() => this.onChange(relation, before, after));
    const beforeKey = before ? replicaIdOf(relation, before) : null;
    if (after === null) {
      if (beforeKey) return writer.save({ kind: 'delete', table, replicaId: beforeKey });
      return;
    }
    const row: Record<string, SqliteValue | undefined> = {};
    for (let i = 0; i < relation.columns.length; i++) {
      const column = relation.columns[i]!;
      const text = after[i];
      row[column.name] = text === undefined ? undefined : pgTextToSqlite(column.typeOid, text);
    }
    const replicaId = replicaIdOf(relation, after);
    // A changed key is a delete of the old row and an insert of the new one.
    const put: RowChange = { kind: 'put', table, replicaId, row };
    this.options.metrics.rows++;
    if (beforeKey && JSON.stringify(beforeKey, bigintSafe) !== JSON.stringify(replicaId, bigintSafe)) {
      const flushing = writer.save({ kind: 'delete', table, replicaId: beforeKey });
      if (flushing) return flushing.then(() => writer.save(put));
    }
    return writer.save(put);
  }

  private async writer(): Promise<BucketWriteTransaction> {
    this.tx ??= await BucketWriteTransaction.begin(
      this.options.storage,
      this.options.groupId,
      this.options.evaluator,
      {
        limits: this.options.limits,
        warn: this.options.warn,
      },
    );
    return this.tx;
  }

  private async commit(lsn: string): Promise<CommitResult> {
    const writer = await this.writer();
    this.tx = null;
    const result = await writer.commit(lsn);
    this.options.metrics.bytes += writer.counters.bytes;
    this.options.metrics.ops += writer.counters.ops;
    this.options.metrics.chunks++;
    this.persistedLsn = lsn;
    this.pendingLsn = null;
    const now = Date.now();
    this.options.metrics.lagSeconds =
      this.oldestCommitTime === null ? 0 : Math.max(0, now - this.oldestCommitTime) / 1000;
    this.oldestCommitTime = null;
    this.options.metrics.lastCommitAt = now;
    this.options.connection.sendStatus(lsn);
    return result;
  }
}

function replicaIdOf(relation: RelationInfo, tuple: TupleText): SqliteValue[] {
  const key: SqliteValue[] = [];
  for (let i = 0; i < relation.columns.length; i++) {
    const column = relation.columns[i]!;
    if (!column.isKey) continue;
    const text = tuple[i];
    key.push(text === undefined ? null : (pgTextToSqlite(column.typeOid, text) ?? null));
  }
  return key;
}

function bigintSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? `${value}n` : value;
}
