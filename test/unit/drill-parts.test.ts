import net from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  ClientWitness,
  LoadBalancer,
  overlappingHolders,
  parseDrill,
  Timeline,
} from '../../src/drill/index.js';
import type { OplogEntry } from '../../src/fleet/index.js';

const put = (op_id: string, id: string, data: object): OplogEntry => ({
  op_id,
  op: 'PUT',
  object_type: 'todos',
  object_id: id,
  data: JSON.stringify({ id, ...data }),
  checksum: 1,
});

describe('drill file', () => {
  const base = `name: d\nsteps:\n  - start_replicator: {}\n  - stop_replicator: { signal: SIGKILL }\n  - roll_api: {}\n  - wait: 2s\n`;

  it('parses steps and defaults (SIGKILL hand-over limit = TTL + 5 s)', () => {
    const drill = parseDrill(`${base}target:\n  embedded:\n    lock: { ttl: 8s }\n`, {
      baseDir: process.cwd(),
    });
    expect(drill.steps).toEqual([
      { start_replicator: {} },
      { stop_replicator: { signal: 'SIGKILL' } },
      { roll_api: {} },
      { wait: 2000 },
    ]);
    expect(drill.target).toMatchObject({ kind: 'embedded', apiContainers: 2, lockTtlMs: 8000 });
    expect(drill.thresholds.handoverAfterSigkillMs).toBe(13_000);
    expect(drill.thresholds.lostOps).toBe(0);
  });

  it('reports every problem with its path and line', () => {
    try {
      parseDrill(
        `name: d\nload: { clients: -1 }\nsteps:\n  - stop_replicator: { signal: SIGHUP }\n  - teleport: {}\n`,
      );
      expect.unreachable();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('line 2: load.clients');
      expect(message).toMatch(/line 4: steps\[0\]/);
      expect(message).toMatch(/line 5: steps\[1\]/);
    }
  });

  it('external targets take only command and wait steps; embedded ones no commands', () => {
    const external = `name: d\ntarget:\n  external:\n    endpoint: http://127.0.0.1:1\n    source_database_url: postgres://x\n    token: { k: a, kid: b }\n`;
    expect(() => parseDrill(`${external}steps:\n  - roll_api: {}\n`)).toThrow(
      /an external target takes only command, wait and large_transaction/,
    );
    expect(
      parseDrill(`${external}steps:\n  - command: kubectl rollout restart deploy/api\n`).steps,
    ).toHaveLength(1);
    expect(() => parseDrill(`name: d\nsteps:\n  - command: echo\n`)).toThrow(
      /command steps are for external targets/,
    );
    // Faults: a large transaction is a write any target takes; killing its replicator or restarting a
    // server needs processes syncscale owns.
    expect(parseDrill(`${external}steps:\n  - large_transaction: { rows: 10 }\n`).steps).toHaveLength(1);
    expect(() =>
      parseDrill(`${external}steps:\n  - large_transaction: { rows: 10, kill_replicator: true }\n`),
    ).toThrow(/steps\[0\]\.large_transaction: an external target/);
    expect(() => parseDrill(`${external}steps:\n  - restart_storage: {}\n`)).toThrow(/restart_storage/);
  });

  it('fault steps: defaults, a separate storage server and the recovery threshold', () => {
    const drill = parseDrill(
      `name: d\ntarget: { embedded: { storage_server: separate } }\nsteps:\n  - restart_source: {}\n  - restart_storage: { down: 3s }\n  - large_transaction: {}\n`,
    );
    expect(drill.target).toMatchObject({ kind: 'embedded', storageServer: 'separate' });
    expect(drill.steps).toEqual([
      { restart_source: { down: 2000 } },
      { restart_storage: { down: 3000 } },
      { large_transaction: { rows: 20000, kill_replicator: false } },
    ]);
    expect(drill.thresholds.recoveredWithinMs).toBe(30_000);
    expect(parseDrill(`name: d\nsteps:\n  - wait: 1s\n`).target).toMatchObject({ storageServer: 'shared' });
    expect(() =>
      parseDrill(`name: d\ntarget: { embedded: { storage_server: cloud } }\nsteps:\n  - wait: 1s\n`),
    ).toThrow(/storage_server/);
  });
});

describe('client witness', () => {
  it('applies ops at completed checkpoints only, drops them on rollback, and spots a row put twice', () => {
    const w = new ClientWitness('u1', 'c1');
    w.data('b', [put('1', 'r1', { payload: 'a' })]);
    w.rolledBack();
    w.completed(() => true);
    expect(w.table('todos').size).toBe(0);
    w.data('b', [put('1', 'r1', { payload: 'a' }), put('2', 'r2', { payload: 'b' })]);
    w.completed(() => true);
    expect(w.table('todos').get('r1')).toEqual({ id: 'r1', payload: 'a' });
    // The same op sent again after a reconnect is not a duplicate; a second op id for the row is.
    w.data('b', [put('1', 'r1', { payload: 'a' })]);
    w.completed(() => true);
    expect(w.duplicates()).toEqual([]);
    w.data('b', [put('7', 'r1', { payload: 'a' })]);
    w.completed((bucket) => bucket === 'other');
    expect(w.duplicates()).toEqual([]);
    w.completed(() => true);
    expect(w.duplicates()).toEqual([{ row: 'b|todos/r1', opIds: ['1', '7'] }]);
    w.dropped(['b']);
    expect(w.table('todos').size).toBe(0);
    expect(w.duplicates()).toEqual([]);
  });
});

describe('timeline', () => {
  it('derives lock spans per replicator and finds overlaps', () => {
    const t = new Timeline();
    t.add({ at: 100, subject: 'replicator-0', kind: 'acquired' });
    t.add({ at: 500, subject: 'replicator-1', kind: 'standby' });
    t.add({ at: 1000, subject: 'replicator-0', kind: 'released' });
    t.add({ at: 1100, subject: 'replicator-1', kind: 'acquired' });
    expect(overlappingHolders(t.lockSpans(2000))).toEqual([]);
    t.add({ at: 1500, subject: 'replicator-2', kind: 'acquired' });
    const overlaps = overlappingHolders(t.lockSpans(2000));
    expect(overlaps).toHaveLength(1);
    expect(overlaps[0]!.overlapMs).toBe(500);
  });
});

describe('load balancer', () => {
  it('spreads connections over the backends in rotation and skips a backend taken out', async () => {
    const seen: string[] = [];
    const servers = await Promise.all(
      ['a', 'b'].map(
        (name) =>
          new Promise<net.Server>((resolve) => {
            const server = net.createServer((socket) => {
              seen.push(name);
              socket.end(name);
            });
            server.listen(0, '127.0.0.1', () => resolve(server));
          }),
      ),
    );
    const lb = new LoadBalancer();
    await lb.listen();
    lb.add('a', (servers[0]!.address() as net.AddressInfo).port);
    lb.add('b', (servers[1]!.address() as net.AddressInfo).port);
    const ask = () =>
      new Promise<string>((resolve) => {
        const socket = net.connect(lb.port, '127.0.0.1');
        let text = '';
        socket.on('data', (d) => (text += d.toString()));
        socket.on('close', () => resolve(text));
      });
    expect([await ask(), await ask()].sort()).toEqual(['a', 'b']);
    lb.remove('a');
    expect([await ask(), await ask()]).toEqual(['b', 'b']);
    await lb.close();
    for (const s of servers) s.close();
  });
});
