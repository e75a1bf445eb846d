import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  column,
  PowerSyncDatabase,
  Schema,
  Table,
  UpdateType,
  type CommonPowerSyncDatabase,
  type CrudEntry,
  type LogRecord,
  type PowerSyncBackendConnector,
  type PowerSyncLogger,
} from '@powersync/node';
import type pg from 'pg';

/**
 * The client schema for the fixture's `global` (lists) and `by_user` (todos) buckets. Source types map to
 * SQLite as the service serialises them: text → text, boolean and int8 → integer.
 */
export const SDK_SCHEMA = new Schema({
  lists: new Table({ name: column.text }),
  todos: new Table({
    owner_id: column.text,
    title: column.text,
    done: column.integer,
    n: column.integer,
  }),
});

/** One HTTP request the SDK made (method, path with query, status, response content type, JSON body sent). */
export interface RecordedRequest {
  method: string;
  path: string;
  status: number;
  contentType: string | null;
  body?: unknown;
  /** The decoded JSON response, for non-streaming responses. */
  response?: unknown;
}

/** A CRUD entry as `uploadData` applied it to the source. */
export interface UploadedEntry {
  op: string;
  table: string;
  id: string;
  opData?: Record<string, unknown>;
}

export interface SdkClient {
  db: CommonPowerSyncDatabase;
  connector: PowerSyncBackendConnector;
  /** Every SDK log line (level ≥ the configured minimum). */
  logs: LogRecord[];
  /** Every HTTP request the SDK made through its fetch (not the WebSocket upgrade). */
  requests: RecordedRequest[];
  /** Every CRUD entry `uploadData` applied. */
  uploaded: UploadedEntry[];
  /** Recent log lines and requests, for assertion messages. */
  describe(): string;
  close(): Promise<void>;
}

export interface SdkClientOptions {
  /**
   * Database file name, unique per client in the process: the SDK keys its process-global sync/CRUD locks
   * by `dbFilename` alone (not the directory), so two open databases with the same file name would share one
   * sync lock and the second would never connect.
   */
  dbFilename: string;
  endpoint: string;
  token: () => Promise<string>;
  source: pg.Pool;
  /** Minimum SDK log level kept in `logs` (10 trace … 50 error); default 20 (debug). */
  minLogLevel?: number;
  /** Also print SDK logs to the console (env `SDK_LOG=1`). */
  echoLogs?: boolean;
}

const COLUMNS: Record<string, readonly string[]> = {
  lists: ['name'],
  todos: ['owner_id', 'title', 'done', 'n'],
};

/** Applies one SDK CRUD entry to the fixture source database (the app backend's job). */
async function applyCrudEntry(client: pg.PoolClient, entry: CrudEntry): Promise<void> {
  const columns = COLUMNS[entry.table];
  if (!columns) throw new Error(`uploadData: unexpected table ${entry.table}`);
  const data = entry.opData ?? {};
  // Client integers for the boolean `done` become booleans on the source.
  const value = (name: string): unknown => {
    const v = data[name];
    if (entry.table === 'todos' && name === 'done' && v !== null && v !== undefined) return Boolean(v);
    return v ?? null;
  };
  if (entry.op === UpdateType.PUT) {
    const names = columns;
    const placeholders = names.map((_, i) => `$${i + 2}`).join(', ');
    const updates = names.map((n) => `${n} = EXCLUDED.${n}`).join(', ');
    await client.query(
      `INSERT INTO ${entry.table} (id, ${names.join(', ')}) VALUES ($1, ${placeholders})
       ON CONFLICT (id) DO UPDATE SET ${updates}`,
      [entry.id, ...names.map(value)],
    );
  } else if (entry.op === UpdateType.PATCH) {
    const names = columns.filter((n) => n in data);
    if (names.length === 0) return;
    await client.query(
      `UPDATE ${entry.table} SET ${names.map((n, i) => `${n} = $${i + 2}`).join(', ')} WHERE id = $1`,
      [entry.id, ...names.map(value)],
    );
  } else {
    await client.query(`DELETE FROM ${entry.table} WHERE id = $1`, [entry.id]);
  }
}

/**
 * Opens a `@powersync/node` database in a fresh temp directory with a connector that fetches tokens for the
 * reference service and uploads CRUD transactions into the source database with `pg`.
 */
export async function openSdkClient(options: SdkClientOptions): Promise<SdkClient> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'powersync-sdk-'));
  const logs: LogRecord[] = [];
  const requests: RecordedRequest[] = [];
  const uploaded: UploadedEntry[] = [];
  const minLevel = options.minLogLevel ?? 20;
  const echo = options.echoLogs ?? process.env.SDK_LOG === '1';

  const logger: PowerSyncLogger = {
    log(record) {
      if (record.level < minLevel) return;
      logs.push(record);
      if (echo) console.log(`[sdk ${record.level}] ${record.message}`, record.error ?? '');
    },
  };

  const customFetch: typeof fetch = async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? 'GET';
    let body: unknown;
    if (typeof init?.body === 'string') {
      try {
        body = JSON.parse(init.body);
      } catch {
        body = init.body;
      }
    }
    const response = await fetch(input, init);
    const contentType = response.headers.get('content-type');
    const record: RecordedRequest = {
      method,
      path: url.pathname + url.search,
      status: response.status,
      contentType,
      body,
    };
    if (url.pathname !== '/sync/stream') {
      record.response = await response
        .clone()
        .json()
        .catch(() => undefined);
    }
    requests.push(record);
    return response;
  };

  const db = new PowerSyncDatabase({
    schema: SDK_SCHEMA,
    database: { dbFilename: options.dbFilename, dbLocation: dir },
    logger,
    remoteOptions: { customFetch },
  });

  const connector: PowerSyncBackendConnector = {
    async fetchCredentials() {
      return { endpoint: options.endpoint, token: await options.token() };
    },
    async uploadData(database) {
      const transaction = await database.getNextCrudTransaction();
      if (!transaction) return;
      const client = await options.source.connect();
      try {
        await client.query('BEGIN');
        for (const entry of transaction.crud) await applyCrudEntry(client, entry);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
      for (const entry of transaction.crud) {
        uploaded.push({ op: entry.op, table: entry.table, id: entry.id, opData: entry.opData });
      }
      await transaction.complete();
    },
  };

  return {
    db,
    connector,
    logs,
    requests,
    uploaded,
    describe() {
      const logLines = logs
        .slice(-30)
        .map((r) => `  [${r.level}] ${r.message}${r.error ? ` :: ${String(r.error)}` : ''}`);
      const requestLines = requests
        .slice(-15)
        .map((r) => `  ${r.method} ${r.path} -> ${r.status} ${r.contentType ?? ''}`);
      return `SDK requests:\n${requestLines.join('\n')}\nSDK logs:\n${logLines.join('\n')}`;
    },
    async close() {
      await db.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a truthy value or the timeout passes (then throws with `describe()`). */
export async function pollUntil<T>(
  check: () => Promise<T | undefined | null | false>,
  what: string,
  describe: () => string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}\n${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
