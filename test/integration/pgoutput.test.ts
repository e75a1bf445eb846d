import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PG_TEXT_SESSION_OPTIONS,
  pgTextToSqlite,
  rawTextTypes,
} from '../../src/service/replication/pg-values.js';
import {
  ReplicationConnection,
  bigIntToLsn,
  compareLsn,
  lsnToBigInt,
  normaliseLsn,
  type ReplicationEvent,
} from '../../src/service/replication/pgoutput/index.js';
import { createTestDatabase } from '../support/databases.js';

type Event<T extends ReplicationEvent['tag']> = Extract<ReplicationEvent, { tag: T }>;

/** A running stream that records every event; `waitFor` polls the record. */
interface Stream {
  events: ReplicationEvent[];
  done: Promise<void>;
  waitFor(
    predicate: (events: ReplicationEvent[]) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<void>;
}

function stream(
  connection: ReplicationConnection,
  slot: string,
  onBatch: (batch: ReplicationEvent[]) => Promise<void> = async () => undefined,
): Stream {
  const events: ReplicationEvent[] = [];
  const done = connection.startReplication({
    slot,
    startLsn: '0/0',
    publication: 'powersync',
    messages: true,
    onBatch: async (batch) => {
      events.push(...batch);
      await onBatch(batch);
    },
  });
  done.catch(() => undefined); // asserted by the tests
  return {
    events,
    done,
    async waitFor(predicate, what, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(events)) {
        if (Date.now() > deadline)
          throw new Error(`Timed out waiting for ${what}: ${summarise(events).join(' ')}`);
        await sleep(20);
      }
    },
  };
}

/** `begin`, `insert:items`, `truncate:items,notes`, `message:powersync`… keepalives left out. */
function summarise(events: ReplicationEvent[]): string[] {
  return events.flatMap((event): string[] => {
    switch (event.tag) {
      case 'keepalive':
        return [];
      case 'relation':
      case 'insert':
      case 'update':
      case 'delete':
        return [`${event.tag}:${event.relation.name}`];
      case 'truncate':
        return [`truncate:${event.relations.map((r) => r.name).join(',')}`];
      case 'message':
        return [`message:${event.prefix}:${event.transactional ? 'tx' : 'nontx'}`];
      default:
        return [event.tag];
    }
  });
}

function ofTag<T extends ReplicationEvent['tag']>(events: ReplicationEvent[], tag: T): Array<Event<T>> {
  return events.filter((e): e is Event<T> => e.tag === tag);
}

describe('pgoutput replication client', () => {
  let url = '';
  let dropDatabase: (() => Promise<void>) | undefined;
  let admin: pg.Client;
  const slots: string[] = [];
  const connections: ReplicationConnection[] = [];

  async function connect(connectionString = url): Promise<ReplicationConnection> {
    const connection = await ReplicationConnection.connect(connectionString);
    connections.push(connection);
    return connection;
  }

  async function createSlot(connection: ReplicationConnection, slot: string): Promise<string> {
    slots.push(slot);
    return (await connection.createSlot(slot)).consistentPoint;
  }

  async function confirmedFlush(slot: string): Promise<{ lsn: string; active: boolean }> {
    const { rows } = await admin.query<{ lsn: string; active: boolean }>(
      'SELECT confirmed_flush_lsn::text AS lsn, active FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    if (rows[0] === undefined) throw new Error(`No slot ${slot}`);
    return rows[0];
  }

  async function waitInactive(slot: string): Promise<void> {
    for (let i = 0; i < 250 && (await confirmedFlush(slot)).active; i++) await sleep(20);
    expect((await confirmedFlush(slot)).active).toBe(false);
  }

  beforeAll(async () => {
    const database = await createTestDatabase('pgoutput');
    url = database.url;
    dropDatabase = database.drop;
    admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`
      CREATE TABLE items (id int8 PRIMARY KEY, name text, price numeric, tags text[], meta jsonb, created timestamptz);
      CREATE TABLE notes (key text PRIMARY KEY, body text);
      CREATE TABLE audit (id int4, note text);
      ALTER TABLE audit REPLICA IDENTITY FULL;
      CREATE TABLE docs (id int4 PRIMARY KEY, body text, n int4);
      ALTER TABLE docs ALTER COLUMN body SET STORAGE EXTERNAL;
      CREATE TABLE bulk (id int4 PRIMARY KEY, payload text);
      CREATE PUBLICATION powersync FOR ALL TABLES;
    `);
  });

  afterAll(async () => {
    for (const connection of connections) await connection.close();
    for (const slot of slots) {
      for (let attempt = 0; ; attempt++) {
        try {
          await admin.query(
            'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
            [slot],
          );
          break;
        } catch (error) {
          if (attempt > 100) throw error; // still active: its walsender has not exited yet
          await sleep(50);
        }
      }
    }
    await admin?.end();
    await dropDatabase?.();
  });

  it('identifies the system and creates a slot', async () => {
    const connection = await connect();
    const system = await connection.identifySystem();
    expect(system.systemId).toMatch(/^\d+$/);
    expect(system.timeline).toBeGreaterThanOrEqual(1);
    expect(system.xlogpos).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    const point = await createSlot(connection, 'pgo_identify');
    expect(compareLsn(point, system.xlogpos)).toBeGreaterThanOrEqual(0);
    expect((await confirmedFlush('pgo_identify')).lsn).toBe(point);
  });

  it('decodes transactions, messages and truncates, and confirms what the consumer acknowledges', async () => {
    const connection = await connect();
    await createSlot(connection, 'pgo_main');

    await admin.query(`BEGIN;
      INSERT INTO items VALUES (1, 'a', 1.50, '{x,"y z",NULL}', '{"k": 1}', '2024-01-02 03:04:05.123+02'),
                               (9007199254740993, 'big', NULL, '{}', NULL, NULL);
      INSERT INTO notes VALUES ('n1', 'hello');
      INSERT INTO docs SELECT 1, string_agg(md5(i::text), ''), 1 FROM generate_series(1, 200) i;
      COMMIT`);
    const snapshot = new pg.Client({
      connectionString: url,
      types: rawTextTypes,
      options: PG_TEXT_SESSION_OPTIONS,
    });
    await snapshot.connect();
    const snapshotRows = (
      await snapshot.query<Record<string, string | null>>('SELECT * FROM items ORDER BY id')
    ).rows;
    await snapshot.end();
    await admin.query(`BEGIN;
      UPDATE items SET name = 'b' WHERE id = 1;
      UPDATE notes SET key = 'n2' WHERE key = 'n1';
      DELETE FROM notes WHERE key = 'n2';
      UPDATE docs SET n = 2;
      COMMIT`);
    await admin.query(`BEGIN;
      INSERT INTO audit VALUES (1, 'x');
      UPDATE audit SET note = 'y';
      DELETE FROM audit;
      COMMIT`);
    await admin.query('TRUNCATE items, notes');
    await admin.query(`SELECT pg_logical_emit_message(false, 'powersync', 'ping')`);
    await admin.query(`BEGIN;
      INSERT INTO bulk VALUES (1, 'p');
      SELECT pg_logical_emit_message(true, 'powersync', 'in-tx');
      COMMIT`);

    const s = stream(connection, 'pgo_main');
    await s.waitFor((events) => ofTag(events, 'commit').length === 5, 'five commits');

    expect(summarise(s.events)).toEqual([
      ...['begin', 'relation:items', 'insert:items', 'insert:items', 'relation:notes', 'insert:notes'],
      ...['relation:docs', 'insert:docs', 'commit'],
      ...['begin', 'update:items', 'update:notes', 'delete:notes', 'update:docs', 'commit'],
      ...['begin', 'relation:audit', 'insert:audit', 'update:audit', 'delete:audit', 'commit'],
      // TRUNCATE invalidates the relations' cache entries on the server, so they are sent again.
      ...['begin', 'relation:items', 'relation:notes', 'truncate:items,notes', 'commit'],
      'message:powersync:nontx',
      ...['begin', 'relation:bulk', 'insert:bulk', 'message:powersync:tx', 'commit'],
    ]);

    const [items, , docs, audit] = ofTag(s.events, 'relation').map((e) => e.relation);
    expect(items).toMatchObject({ schema: 'public', name: 'items', replicaIdentity: 'default' });
    expect(items?.columns.map((c) => [c.name, c.typeOid, c.isKey])).toEqual([
      ['id', 20, true],
      ['name', 25, false],
      ['price', 1700, false],
      ['tags', 1009, false],
      ['meta', 3802, false],
      ['created', 1184, false],
    ]);
    expect(audit).toMatchObject({ name: 'audit', replicaIdentity: 'full' });
    expect(audit?.columns.every((c) => c.isKey)).toBe(true);

    const inserts = ofTag(s.events, 'insert');
    // The walsender prints values with the session options: timestamptz in UTC.
    expect(inserts[0]?.new).toEqual([
      '1',
      'a',
      '1.50',
      '{x,"y z",NULL}',
      '{"k": 1}',
      '2024-01-02 01:04:05.123+00',
    ]);
    expect(inserts[1]?.new).toEqual(['9007199254740993', 'big', null, '{}', null, null]);
    // Streaming and snapshot text convert to the same values.
    for (const [index, row] of snapshotRows.entries()) {
      const streamed = inserts[index]?.new.map((text, i) =>
        pgTextToSqlite(items?.columns[i]?.typeOid ?? 0, text ?? null),
      );
      const snapshotted = items?.columns.map((c) => pgTextToSqlite(c.typeOid, row[c.name] ?? null));
      expect(streamed).toEqual(snapshotted);
    }
    expect(pgTextToSqlite(1009, inserts[0]?.new[3] ?? null)).toBe('["x","y z",null]');
    expect(pgTextToSqlite(20, inserts[1]?.new[0] ?? null)).toBe(9007199254740993n);
    expect(pgTextToSqlite(1184, inserts[0]?.new[5] ?? null)).toBe('2024-01-02 01:04:05.123Z');

    const updates = ofTag(s.events, 'update');
    expect(updates[0]).toMatchObject({
      old: null,
      new: ['1', 'b', '1.50', '{x,"y z",NULL}', '{"k": 1}', '2024-01-02 01:04:05.123+00'],
    });
    expect(updates[1]).toMatchObject({ old: ['n1', null], new: ['n2', 'hello'] });
    // An unchanged TOASTed value is not sent.
    expect(updates[2]?.new).toEqual(['1', undefined, '2']);
    expect(updates[3]).toMatchObject({ old: ['1', 'x'], new: ['1', 'y'] });
    expect(ofTag(s.events, 'delete').map((e) => e.old)).toEqual([
      ['n2', null],
      ['1', 'y'],
    ]);
    expect(docs?.name).toBe('docs');
    expect(ofTag(s.events, 'truncate')[0]?.relations.map((r) => r.relationId)).toEqual([
      items?.relationId,
      ofTag(s.events, 'relation')[1]?.relation.relationId,
    ]);

    const [ping, inTx] = ofTag(s.events, 'message');
    expect(ping).toMatchObject({ transactional: false, prefix: 'powersync' });
    expect(ping?.content.toString()).toBe('ping');
    expect(inTx?.content.toString()).toBe('in-tx');

    const begins = ofTag(s.events, 'begin');
    const commits = ofTag(s.events, 'commit');
    for (const [i, commit] of commits.entries()) {
      expect(commit.commitLsn).toBe(begins[i]?.finalLsn);
      expect(compareLsn(commit.endLsn, commit.commitLsn)).toBeGreaterThan(0);
      expect(commit.commitTime).toBe(begins[i]?.commitTime);
    }
    expect(compareLsn(ping?.lsn ?? '0/0', commits[3]?.endLsn ?? '0/0')).toBeGreaterThanOrEqual(0);

    // Confirming the second transaction moves the slot to its end, and no further.
    const confirmed = commits[1]?.endLsn ?? '';
    connection.sendStatus(confirmed);
    for (let i = 0; i < 250 && compareLsn((await confirmedFlush('pgo_main')).lsn, confirmed) < 0; i++)
      await sleep(20);
    expect((await confirmedFlush('pgo_main')).lsn).toBe(confirmed);
    expect(normaliseLsn(confirmed)).toMatch(/^[0-9A-F]{8}\/[0-9A-F]{8}$/);

    await connection.close();
    await expect(s.done).resolves.toBeUndefined();
    await waitInactive('pgo_main');

    // A new stream from the slot starts after what was confirmed.
    const again = await connect();
    const resumed = stream(again, 'pgo_main');
    await resumed.waitFor((events) => ofTag(events, 'begin').length > 0, 'a begin');
    expect(ofTag(resumed.events, 'begin')[0]?.finalLsn).toBe(begins[2]?.finalLsn);
    await again.close();
    await expect(resumed.done).resolves.toBeUndefined();
    await waitInactive('pgo_main');
  });

  it('pauses for a slow consumer without losing or reordering events', async () => {
    const connection = await connect();
    await createSlot(connection, 'pgo_bulk');
    for (let start = 1000; start < 6000; start += 500) {
      await admin.query(
        `INSERT INTO bulk SELECT i, repeat('x', 50) FROM generate_series($1::int, $1::int + 499) i`,
        [start],
      );
    }
    let active = 0;
    let maxActive = 0;
    let batches = 0;
    const s = stream(connection, 'pgo_bulk', async () => {
      active++;
      batches++;
      maxActive = Math.max(maxActive, active);
      await sleep(15);
      active--;
    });
    await s.waitFor((events) => ofTag(events, 'commit').length === 10, 'ten commits', 60_000);
    const ids = ofTag(s.events, 'insert').map((e) => Number(e.new[0]));
    expect(ids).toEqual(Array.from({ length: 5000 }, (_, i) => 1000 + i));
    expect(summarise(s.events).filter((t) => t === 'begin' || t === 'commit')).toEqual(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'begin' : 'commit')),
    );
    expect(maxActive).toBe(1);
    expect(batches).toBeGreaterThan(1);
    await connection.close();
    await expect(s.done).resolves.toBeUndefined();
  });

  it('answers keepalives that ask for a reply with the acknowledged LSN only', async () => {
    // wal_sender_timeout is per connection: at 2 s the server asks for a reply after 1 s of silence and
    // drops a client that does not answer within 2 s.
    const short = new URL(url);
    short.searchParams.set('options', '-c wal_sender_timeout=2s');
    const connection = await connect(short.toString());
    const point = await createSlot(connection, 'pgo_keepalive');
    await admin.query(`INSERT INTO bulk VALUES (100000, 'k')`);
    const s = stream(connection, 'pgo_keepalive');
    let settled = false;
    void s.done.then(
      () => (settled = true),
      () => (settled = true),
    );
    await s.waitFor(
      (events) => ofTag(events, 'keepalive').filter((k) => k.replyRequested).length >= 3,
      'three keepalives asking for a reply',
    );
    expect(settled).toBe(false);
    // Received but never acknowledged: the slot has not moved.
    expect((await confirmedFlush('pgo_keepalive')).lsn).toBe(point);
    await connection.close();
    await expect(s.done).resolves.toBeUndefined();
  });

  it('close() ends a stream cleanly, even before streaming has begun', async () => {
    const connection = await connect();
    await createSlot(connection, 'pgo_close');
    const s = stream(connection, 'pgo_close');
    await connection.close();
    await expect(s.done).resolves.toBeUndefined();
    await waitInactive('pgo_close');

    const second = await connect();
    const t = stream(second, 'pgo_close');
    await t.waitFor((events) => events.length > 0, 'a keepalive');
    await second.close();
    await expect(t.done).resolves.toBeUndefined();
    await waitInactive('pgo_close');
  });

  it('rejects with the consumer error when a batch fails, without confirming anything', async () => {
    const connection = await connect();
    const point = await createSlot(connection, 'pgo_fail');
    await admin.query(`INSERT INTO bulk VALUES (200000, 'f')`);
    const s = stream(connection, 'pgo_fail', async (batch) => {
      if (batch.some((e) => e.tag === 'insert')) throw new Error('consumer failed');
    });
    await expect(s.done).rejects.toThrow('consumer failed');
    expect((await confirmedFlush('pgo_fail')).lsn).toBe(point);
    await connection.close();
    await waitInactive('pgo_fail');
  });

  it('rejects with the server error for a missing slot', async () => {
    const connection = await connect();
    const s = stream(connection, 'pgo_missing');
    await expect(s.done).rejects.toThrow(/pgo_missing/);
    await connection.close();
  });
});

describe('pgTextToSqlite on the server’s own text output', () => {
  let dropDatabase: (() => Promise<void>) | undefined;
  let client: pg.Client;

  beforeAll(async () => {
    const database = await createTestDatabase('pgvalues');
    dropDatabase = database.drop;
    client = new pg.Client({
      connectionString: database.url,
      types: rawTextTypes,
      options: PG_TEXT_SESSION_OPTIONS,
    });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
    await dropDatabase?.();
  });

  it('turns arrays into the JSON Postgres itself would produce', async () => {
    const arrays = [
      `ARRAY[1, NULL, -3]::int4[]`,
      `ARRAY[9223372036854775807]::int8[]`,
      `ARRAY[true, false]`,
      `ARRAY['a', 'b c', 'NULL', NULL, 'q"uote', 'back\\slash', 'x,y', '', '{}', 'é']::text[]`,
      `ARRAY[ARRAY['a', NULL], ARRAY['}', 'b']]::varchar[]`,
      `ARRAY['{"a": [1, "x"]}', 'null', '"s"']::jsonb[]`,
      `ARRAY[1.5, 2]::numeric[]`,
      `'{}'::int4[]`,
    ];
    for (const expression of arrays) {
      const { rows, fields } = await client.query<{ v: string; j: string }>(
        `SELECT ${expression} AS v, to_json(${expression})::text AS j`,
      );
      const converted = pgTextToSqlite(fields[0]?.dataTypeID ?? 0, rows[0]?.v ?? null);
      expect(JSON.parse(String(converted)), expression).toEqual(JSON.parse(rows[0]?.j ?? ''));
    }
  });

  it('prints timestamptz in UTC under the session options and converts scalars', async () => {
    const { rows, fields } = await client.query<Record<string, string>>(
      `SELECT '2024-01-02 03:04:05.5+02'::timestamptz AS tz, '2024-01-02 03:04:05.5'::timestamp AS ts,
              9007199254740993::int8 AS big, 'NaN'::float8 AS nan, true AS yes, '\\x00'::bytea AS bin,
              '1.50'::numeric AS num, '{"a":1}'::json AS js`,
    );
    const converted = Object.fromEntries(
      fields.map((f) => [f.name, pgTextToSqlite(f.dataTypeID, rows[0]?.[f.name] ?? null)]),
    );
    expect(converted).toEqual({
      tz: '2024-01-02 01:04:05.5Z',
      ts: '2024-01-02 03:04:05.5',
      big: 9007199254740993n,
      nan: null,
      yes: 1,
      bin: undefined,
      num: '1.50',
      js: '{"a":1}',
    });
  });
});

describe('LSN helpers', () => {
  it('parse, format, compare and pad', () => {
    expect(lsnToBigInt('16/B374D848')).toBe(0x16b374d848n);
    expect(bigIntToLsn(0x16b374d848n)).toBe('16/B374D848');
    expect(bigIntToLsn(0n)).toBe('0/0');
    expect(normaliseLsn('16/b374d8')).toBe('00000016/00B374D8');
    expect(compareLsn('0/10', '0/F')).toBe(1);
    expect(compareLsn('1/0', 'FFFFFFFF/0') < 0).toBe(true);
    expect(compareLsn('00000016/00B374D8', '16/B374D8')).toBe(0);
    expect(normaliseLsn('1/0') > normaliseLsn('0/FFFFFFFF')).toBe(true);
    expect(() => lsnToBigInt('nope')).toThrow(/Invalid LSN/);
  });
});
