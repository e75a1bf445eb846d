/**
 * The official client SDK `@powersync/node` (its Rust sync core `powersync-sqlite-core` ships inside the
 * package and is loaded into better-sqlite3 in the SDK's worker threads) syncs against the reference service:
 * first sync with exactly the user's buckets, live source changes, a local write uploaded through the
 * connector and acknowledged via `/write-checkpoint2.json` + the `write_checkpoint` echo, over HTTP (BSON
 * stream) and over RSocket-over-WebSocket.
 *
 * `SDK_LOG=1` prints the SDK's debug log.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncStreamConnectionMethod, type SyncOptions } from '@powersync/node';
import { mintToken } from '../../src/protocol/index.js';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { silentLogger } from '../../src/service/logging/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import { openSdkClient, pollUntil, type SdkClient } from '../support/powersync-sdk-client.js';
import {
  createReplicationDatabases,
  serviceConfigYaml,
  waitForReplication,
} from '../support/replication-fixture.js';

const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };
const TIMEOUT = 60_000;

let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
let service: RunningService;
let storage: pg.Pool;
let endpoint: string;
const clients: SdkClient[] = [];

beforeAll(async () => {
  db = await createReplicationDatabases('sdk');
  await db.source.query(`
    INSERT INTO lists VALUES ('l1', 'Groceries'), ('l2', 'Hardware'), ('l3', 'Books');
    INSERT INTO todos (id, owner_id, title, done, n) VALUES
      ('t-http-1', 'sdk-http', 'milk', false, 1),
      ('t-http-2', 'sdk-http', 'eggs', true, 9007199254740993),
      ('t-ws-1', 'sdk-ws', 'nails', false, 3),
      ('t-other-1', 'someone-else', 'not yours', false, 4);
  `);
  service = await startService(
    'unified',
    parseServiceConfig(serviceConfigYaml(db.sourceUrl, db.storageUrl)),
    {
      log: silentLogger,
      env: {},
    },
  );
  endpoint = `http://127.0.0.1:${service.port}`;
  storage = new pg.Pool({ connectionString: db.storageUrl, max: 1 });
  await waitForReplication(db.source, storage);
}, 120_000);

afterAll(async () => {
  for (const client of clients) await client.close();
  await service?.stop();
  await storage?.end();
  await db?.drop();
});

async function connectedClient(sub: string, options: SyncOptions): Promise<SdkClient> {
  const client = await openSdkClient({
    dbFilename: `${sub}.db`,
    endpoint,
    source: db.source,
    token: () => mintToken({ key: KEY, sub, audience: 'syncscale' }),
  });
  clients.push(client);
  await client.db.init();
  const abort = AbortSignal.timeout(30_000);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      (async () => {
        await client.db.connect(client.connector, { crudUploadThrottleMs: 0, retryDelayMs: 500, ...options });
        await client.db.waitForFirstSync(abort);
      })(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no first sync within 30 s')), 30_000);
      }),
    ]);
  } catch (error) {
    throw new Error(`connect/waitForFirstSync failed (${String(error)})\n${client.describe()}`, {
      cause: error,
    });
  } finally {
    clearTimeout(timer);
  }
  return client;
}

async function localRows(client: SdkClient) {
  return {
    lists: await client.db.getAll<{ id: string; name: string }>('SELECT id, name FROM lists ORDER BY id'),
    todos: await client.db.getAll<{ id: string; owner_id: string; title: string; done: number; n: number }>(
      'SELECT id, owner_id, title, done, n FROM todos ORDER BY id',
    ),
  };
}

const LISTS = [
  { id: 'l1', name: 'Groceries' },
  { id: 'l2', name: 'Hardware' },
  { id: 'l3', name: 'Books' },
];

/** (b) + (c) for one connected client: a live source insert arrives, a local write round-trips. */
async function exerciseLiveSyncAndUpload(client: SdkClient, sub: string, prefix: string) {
  // (b) A source insert for this user appears locally.
  await db.source.query(
    `INSERT INTO todos (id, owner_id, title, done, n) VALUES ($1, $2, 'from source', true, 7)`,
    [`${prefix}-src`, sub],
  );
  // And one for another user, which must never arrive.
  await db.source.query(
    `INSERT INTO todos (id, owner_id, title) VALUES ($1, 'someone-else', 'still not yours')`,
    [`${prefix}-other`],
  );
  const arrived = await pollUntil(
    () =>
      client.db.getOptional<{ title: string; done: number }>('SELECT title, done FROM todos WHERE id = ?', [
        `${prefix}-src`,
      ]),
    `source insert ${prefix}-src to sync down`,
    client.describe,
  );
  expect(arrived).toEqual({ title: 'from source', done: 1 });

  // (c) A local write through the SDK is uploaded and acknowledged by a write checkpoint.
  const writeCheckpointsBefore = client.requests.filter((r) =>
    r.path.startsWith('/write-checkpoint2.json'),
  ).length;
  await client.db.execute('INSERT INTO todos (id, owner_id, title, done, n) VALUES (?, ?, ?, ?, ?)', [
    `${prefix}-local`,
    sub,
    'written locally',
    0,
    42,
  ]);
  await pollUntil(
    async () => client.uploaded.some((e) => e.id === `${prefix}-local`),
    `uploadData to receive ${prefix}-local`,
    client.describe,
  );
  const { rows: sourceRows } = await db.source.query(
    'SELECT owner_id, title, done, n FROM todos WHERE id = $1',
    [`${prefix}-local`],
  );
  expect(sourceRows).toEqual([{ owner_id: sub, title: 'written locally', done: false, n: '42' }]);
  expect(client.uploaded.find((e) => e.id === `${prefix}-local`)).toMatchObject({
    op: 'PUT',
    table: 'todos',
  });

  // The SDK asked for a write checkpoint after the upload, and the service answered in the wrapped shape.
  const writeCheckpoint = await pollUntil(
    async () =>
      client.requests
        .filter((r) => r.path.startsWith('/write-checkpoint2.json'))
        .slice(writeCheckpointsBefore)[0],
    'the SDK to request /write-checkpoint2.json',
    client.describe,
  );
  expect(writeCheckpoint.status, client.describe()).toBe(200);
  expect(writeCheckpoint.path).toMatch(/^\/write-checkpoint2\.json\?client_id=[0-9a-f-]{36}$/);
  expect(writeCheckpoint.response).toEqual({ data: { write_checkpoint: expect.stringMatching(/^\d+$/) } });

  // Nothing pending any more, and the server's copy of the uploaded row came down in the user's bucket
  // (ps_oplog holds downloaded bucket data).
  await pollUntil(
    async () => {
      const stats = await client.db.getUploadQueueStats();
      const synced = await client.db.getOptional('SELECT 1 AS ok FROM ps_oplog WHERE row_id = ?', [
        `${prefix}-local`,
      ]);
      return stats.count === 0 && !client.db.currentStatus.dataFlowStatus.uploading && synced != null;
    },
    'the upload queue to drain and the uploaded row to sync back',
    client.describe,
  );
  expect(client.db.currentStatus.dataFlowStatus.uploadError, client.describe()).toBeUndefined();
  // The write checkpoint was echoed: after an upload the SDK applies no checkpoint whose `write_checkpoint`
  // is below the one it requested, so a later source change reaching the local table proves the echo.
  await db.source.query(`UPDATE todos SET title = 'edited at source' WHERE id = $1`, [`${prefix}-local`]);
  await pollUntil(
    async () =>
      (
        await client.db.getOptional<{ title: string }>('SELECT title FROM todos WHERE id = ?', [
          `${prefix}-local`,
        ])
      )?.title === 'edited at source',
    `the source edit of ${prefix}-local to sync down`,
    client.describe,
  );
  const local = await localRows(client);
  expect(local.todos.map((t) => t.id).sort()).toEqual(
    local.todos
      .filter((t) => t.owner_id === sub)
      .map((t) => t.id)
      .sort(),
  );
  expect(local.todos.some((t) => t.id === `${prefix}-other`)).toBe(false);
  expect(
    client.logs.filter((r) => r.level >= 50).map((r) => r.message),
    client.describe(),
  ).toEqual([]);
  // One connection for the whole test: a checksum mismatch or a dropped stream would make the SDK reconnect.
  expect(client.logs.filter((r) => /checksum/i.test(r.message)).map((r) => r.message)).toEqual([]);
  expect(
    client.logs.filter((r) => r.message.startsWith('Attempting to connect')),
    client.describe(),
  ).toHaveLength(1);
}

describe('@powersync/node against the reference service', () => {
  it(
    'HTTP: first sync, live changes and a local write acknowledged by a write checkpoint',
    async () => {
      const client = await connectedClient('sdk-http', {});
      expect(client.db.currentStatus.connected).toBe(true);
      expect(client.db.currentStatus.hasSynced).toBe(true);

      // (a) Exactly the user's rows: all lists (global), only this user's todos (by_user).
      const { lists, todos } = await localRows(client);
      expect(lists).toEqual(LISTS);
      expect(todos).toEqual([
        { id: 't-http-1', owner_id: 'sdk-http', title: 'milk', done: 0, n: 1 },
        // int8 beyond 2^53 arrives as an exact SQLite integer; JS reads it back rounded.
        { id: 't-http-2', owner_id: 'sdk-http', title: 'eggs', done: 1, n: 9007199254740992 },
      ]);
      const exactN = await client.db.get<{ n: string }>(
        "SELECT CAST(n AS TEXT) AS n FROM todos WHERE id = 't-http-2'",
      );
      expect(exactN.n).toBe('9007199254740993');

      // The SDK spoke the HTTP variant and negotiated the BSON stream.
      const stream = client.requests.find((r) => r.path === '/sync/stream');
      expect(stream, client.describe()).toMatchObject({
        method: 'POST',
        status: 200,
        contentType: 'application/vnd.powersync.bson-stream',
      });
      expect(stream!.body).toMatchObject({ raw_data: true, client_id: expect.any(String) });

      await exerciseLiveSyncAndUpload(client, 'sdk-http', 't-http');
    },
    TIMEOUT,
  );

  it(
    'WebSocket (RSocket): first sync, live changes and a local write acknowledged by a write checkpoint',
    async () => {
      const client = await connectedClient('sdk-ws', {
        connectionMethod: SyncStreamConnectionMethod.WEB_SOCKET,
      });
      expect(client.db.currentStatus.connected).toBe(true);
      // No HTTP sync stream was opened: the sync lines came over the WebSocket.
      expect(client.requests.filter((r) => r.path === '/sync/stream')).toEqual([]);

      const { lists, todos } = await localRows(client);
      expect(lists).toEqual(LISTS);
      expect(todos).toEqual([{ id: 't-ws-1', owner_id: 'sdk-ws', title: 'nails', done: 0, n: 3 }]);

      await exerciseLiveSyncAndUpload(client, 'sdk-ws', 't-ws');
    },
    TIMEOUT,
  );
});
