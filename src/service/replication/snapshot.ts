import pg from 'pg';
import type { SqliteValue } from '../rules/sqlite-value.js';
import {
  BucketWriteTransaction,
  type RowEvaluator,
  type SourceTable,
  type WriterLimits,
} from '../storage/index.js';
import { pgTextToSqlite } from './pg-values.js';
import { quoteQualified, quoteIdent } from './sql-names.js';

export interface SnapshotOptions {
  source: pg.Pool;
  storage: pg.Pool;
  groupId: number;
  evaluator: RowEvaluator;
  table: SourceTable;
  /** Rows per chunk and per storage transaction (10 000 like the real service). */
  chunkSize?: number;
  limits?: WriterLimits;
  signal?: AbortSignal;
  onProgress?: (table: SourceTable, replicated: number) => void;
  warn?: (message: string) => void;
}

/**
 * Initial snapshot of one table (service.md §6.3). Tables with a single-column key are read in key order in
 * chunks, resuming from the last stored key; others through a cursor, restarting from scratch. Each chunk is
 * one storage transaction carrying its progress, so an interrupted snapshot resumes without duplicates.
 */
export async function snapshotTable(options: SnapshotOptions): Promise<number> {
  const { table } = options;
  if (table.snapshotDone) return table.snapshotReplicatedCount;
  return table.replicaIdColumns.length === 1 ? snapshotByKey(options) : snapshotByCursor(options);
}

async function snapshotByKey(options: SnapshotOptions): Promise<number> {
  const { table, source, chunkSize = 10_000 } = options;
  const key = table.replicaIdColumns[0]!;
  const read = (after: string | null) =>
    source.query({
      text: `SELECT * FROM ${quoteQualified(table.schema, table.name)} ${after === null ? '' : `WHERE ${quoteIdent(key)} > $1`}
             ORDER BY ${quoteIdent(key)} LIMIT ${chunkSize}`,
      values: after === null ? [] : [after],
      rowMode: 'array',
    });
  let replicated = table.snapshotReplicatedCount;
  let next = read(table.snapshotLastKey);
  // The previous chunk's commit, still in flight while this chunk is evaluated (each chunk is its own
  // storage transaction; they commit in order, and a failed one fails the snapshot before the next commits).
  let committing: Promise<void> = Promise.resolve();
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const result = await next;
      const done = result.rows.length < chunkSize;
      let lastKey: string | null = null;
      if (result.rows.length > 0) {
        const keyIndex = result.fields.findIndex((f) => f.name === key);
        lastKey = (result.rows[result.rows.length - 1] as Array<string | null>)[keyIndex] ?? null;
      }
      // Read the next chunk from the source while this one is written to storage.
      if (!done) {
        next = read(lastKey);
        next.catch(() => undefined);
      }
      replicated += result.rows.length;
      // Rows past the last stored key have no stored state yet: no need to look it up.
      const committed = committing;
      committing = saveChunk(options, result, { lastKey, replicated, done }, true, committed);
      committing.catch(() => undefined);
      // Evaluate the next chunk while this one commits, but never run more than one commit ahead.
      await committed;
      options.onProgress?.(table, replicated - result.rows.length);
      if (done) {
        await committing;
        options.onProgress?.(table, replicated);
        return replicated;
      }
    }
  } finally {
    await committing.catch(() => undefined);
  }
}

async function snapshotByCursor(options: SnapshotOptions): Promise<number> {
  const { table, chunkSize = 10_000 } = options;
  let replicated = 0;
  await readByCursor(options.source, table, chunkSize, async (result, done) => {
    options.signal?.throwIfAborted();
    replicated += result.rows.length;
    await saveChunk(options, result, { lastKey: null, replicated, done });
    options.onProgress?.(table, replicated);
  });
  return replicated;
}

/** Reads a whole table in chunks through a cursor in one READ COMMITTED transaction. */
async function readByCursor(
  source: pg.Pool,
  table: SourceTable,
  chunkSize: number,
  onChunk: (result: pg.QueryResult, done: boolean) => Promise<void>,
): Promise<void> {
  const client = await source.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY');
    await client.query(
      `DECLARE snapshot_cursor NO SCROLL CURSOR FOR SELECT * FROM ${quoteQualified(table.schema, table.name)}`,
    );
    for (;;) {
      const result = await client.query({
        text: `FETCH ${chunkSize} FROM snapshot_cursor`,
        rowMode: 'array',
      });
      const done = result.rows.length < chunkSize;
      await onChunk(result, done);
      if (done) break;
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function saveChunk(
  options: SnapshotOptions,
  result: pg.QueryResult,
  progress: { lastKey: string | null; replicated: number; done: boolean },
  newRowsOnly = false,
  /** The previous chunk's commit: this chunk commits only after it (and fails if it failed). */
  after: Promise<void> = Promise.resolve(),
): Promise<void> {
  const tx = await BucketWriteTransaction.begin(options.storage, options.groupId, options.evaluator, {
    limits: options.limits,
    warn: options.warn,
    newRowsOnly,
  });
  try {
    await saveRows(tx, options.table, result);
    await after;
    await tx.setSnapshotProgress(options.table.id, progress);
    await tx.commit(null, { checkpoint: false });
  } catch (error) {
    await tx.rollback();
    throw error;
  }
}

const YIELD_EVERY_ROWS = 250;

/** Converts raw-text rows (rowMode 'array') exactly as streaming converts tuples, and saves them as puts. */
async function saveRows(
  tx: BucketWriteTransaction,
  table: SourceTable,
  result: pg.QueryResult,
): Promise<void> {
  const fields = result.fields;
  const keyIndexes = table.replicaIdColumns.map((column) => fields.findIndex((f) => f.name === column));
  const rows = result.rows as Array<Array<string | null>>;
  for (let index = 0; index < rows.length; index++) {
    // A chunk is evaluated in one go unless we yield: let the queued writes' query round trips proceed
    // meanwhile, or Postgres waits for the whole chunk's evaluation between them.
    if (index % YIELD_EVERY_ROWS === YIELD_EVERY_ROWS - 1) await new Promise(setImmediate);
    const raw = rows[index]!;
    const row: Record<string, SqliteValue | undefined> = {};
    for (let i = 0; i < fields.length; i++) {
      const value = pgTextToSqlite(fields[i]!.dataTypeID, raw[i] ?? null);
      if (value !== undefined) row[fields[i]!.name] = value;
    }
    const replicaId = keyIndexes.map((i) => pgTextToSqlite(fields[i]!.dataTypeID, raw[i] ?? null) ?? null);
    const flushing = tx.save({ kind: 'put', table, replicaId, row });
    if (flushing) await flushing;
  }
}

/**
 * Snapshot of a table first seen while streaming (created or published after the initial snapshot), written
 * into the open storage transaction so it commits atomically with the surrounding source transaction.
 */
export async function snapshotIntoTransaction(
  source: pg.Pool,
  table: SourceTable,
  tx: BucketWriteTransaction,
  chunkSize = 10_000,
): Promise<number> {
  let replicated = 0;
  await readByCursor(source, table, chunkSize, async (result) => {
    await saveRows(tx, table, result);
    replicated += result.rows.length;
  });
  await tx.setSnapshotProgress(table.id, { lastKey: null, replicated, done: true });
  return replicated;
}
