import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoadBalancer } from '../../src/drill/index.js';
import { adminQuery, freePort } from '../../src/postgres/index.js';
import { createTestDatabase } from '../support/databases.js';
import { serviceConfigYaml } from '../support/replication-fixture.js';
import { CliProcess, writeTempConfig } from '../support/service-process.js';

const SYNC_CONFIG = fs.readFileSync(path.resolve(__dirname, '../../fixtures/sync-config.yaml'), 'utf8');
const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };

/**
 * An external deployment declared by roles: the reference service started separately as one replicator and
 * two API processes behind a load balancer, with pids, metrics URLs and its own bucket storage database.
 * The run must be sized end to end like an embedded one, and say where each figure came from.
 */
describe('syncscale run against an external target declared by roles', () => {
  const processes: CliProcess[] = [];
  const drops: Array<() => Promise<void>> = [];
  let dir: ReturnType<typeof writeTempConfig>;
  let sourceUrl: string;
  let storageUrl: string;
  let balancer: LoadBalancer;
  let filtered: http.Server;
  const members: Array<{ role: string; pid: number; metrics: string }> = [];

  beforeAll(async () => {
    const source = await createTestDatabase('roles_src');
    const storage = await createTestDatabase('roles_sto');
    drops.push(source.drop, storage.drop);
    sourceUrl = source.url;
    storageUrl = storage.url;
    await adminQuery(source.url, 'CREATE PUBLICATION powersync FOR ALL TABLES');
    dir = writeTempConfig('');
    balancer = new LoadBalancer();
    await balancer.listen();
    const start = async (role: 'sync' | 'api', name: string) => {
      const port = await freePort();
      const metricsPort = await freePort();
      const file = path.join(dir.dir, `${name}.yaml`);
      fs.writeFileSync(
        file,
        serviceConfigYaml(source.url, storage.url, SYNC_CONFIG)
          .replace(
            'port: 0',
            `port: ${port}\ntelemetry: { prometheus_port: ${metricsPort}, disable_telemetry_sharing: true }`,
          )
          .replace('level: warn', 'level: info'),
      );
      const child = new CliProcess(['service', 'start', '-r', role, '-c', file], {}, dir.dir);
      processes.push(child);
      await child.waitFor(role === 'sync' ? 'Acquired replication lock' : 'Service started in');
      members.push({
        role: role === 'sync' ? 'replicator' : 'api',
        pid: child.pid,
        metrics: `http://127.0.0.1:${metricsPort}/metrics`,
      });
      if (role === 'api') balancer.add(name, port);
    };
    await start('sync', 'replicator');
    await start('api', 'api-a');
    await start('api', 'api-b');
    // A stand-in for the real service's exposition: powersync_* only, no process_* or nodejs_*.
    filtered = http.createServer(async (_req, res) => {
      const text = await (await fetch(members[1]!.metrics)).text();
      res.end(
        text
          .split('\n')
          .filter((l) => !/^(# (HELP|TYPE) )?(process_|nodejs_)/.test(l))
          .join('\n'),
      );
    });
    await new Promise<void>((resolve) => filtered.listen(0, '127.0.0.1', resolve));
  }, 120_000);

  afterAll(async () => {
    for (const p of processes) p.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await balancer?.close();
    filtered?.close();
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const drop of drops) await drop().catch(() => undefined);
    dir?.cleanup();
  });

  const scenario = (
    name: string,
    processesYaml: string,
    storage = `storage: { postgres_url: ${storageUrl} }`,
  ) => {
    const file = path.join(dir.dir, `${name}.yaml`);
    fs.writeFileSync(
      file,
      `name: ${name}
target:
  external:
    endpoint: ${balancer.endpoint}
    source_database_url: ${sourceUrl}
    token: { key: { k: ${KEY.k}, kid: ${KEY.kid} }, audience: syncscale }
    ${storage}
    processes:
${processesYaml}
dataset: { users: 60, rows_per_user: 2, row_size_bytes: 64, lists: 2, sync_config: ${path.resolve(__dirname, '../../fixtures/sync-config.yaml')} }
phases:
  - { name: c10, duration: 3s, clients: { constant: 10 }, writes: { constant: 5, mix: { insert: 1, update: 1, delete: 0 } } }
  - { name: c30, duration: 3s, clients: { constant: 30 }, writes: { constant: 5, mix: { insert: 1, update: 1, delete: 0 } } }
  - { name: c60, duration: 3s, clients: { constant: 60 }, writes: { constant: 5, mix: { insert: 1, update: 1, delete: 0 } } }
  - { name: w15, duration: 3s, clients: { constant: 30 }, writes: { constant: 15, mix: { insert: 1, update: 1, delete: 0 } } }
limits:
  max_duration: 2m
`,
    );
    return file;
  };

  it('probes each role, yields end-to-end samples and a full sizing over both API processes', async () => {
    const [replicator, apiA, apiB] = members;
    const file = scenario(
      'roles',
      [replicator!, apiA!, apiB!]
        .map((m) => `      - { role: ${m.role}, pid: ${m.pid}, metrics_url: ${m.metrics} }`)
        .join('\n'),
    );
    const reports = path.join(dir.dir, 'out');
    const child = new CliProcess(['run', file, '--reports-dir', reports]);
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    const [runId] = fs.readdirSync(reports);
    const runDir = path.join(reports, runId!);
    const results = JSON.parse(fs.readFileSync(path.join(runDir, 'results.json'), 'utf8'));
    expect(results.observed['api-0']).toMatchObject({
      rss: '/proc',
      cpu: '/proc',
      heap: 'metrics',
      connections: 'metrics',
    });
    expect(results.observed['replicator-0']).toMatchObject({ rss: '/proc', replication_lag: 'metrics' });
    const e2e = results.phases[3].aggregates.series.find(
      (s: { metric: string }) => s.metric === 'e2e_latency',
    );
    expect(e2e.aggregate.n).toBeGreaterThan(0);
    const storageSeries = results.phases[0].aggregates.series.filter(
      (s: { metric: string; tags: { database?: string } }) =>
        s.metric === 'pg_database_bytes' && s.tags.database === 'storage',
    );
    expect(storageSeries).toHaveLength(1);
    const size = new CliProcess([
      'size',
      '--from',
      runDir,
      '--profile',
      path.resolve(__dirname, '../../scenarios/profile-default.yaml'),
    ]);
    expect((await size.exited).code, size.output).toBe(0);
    const recs = JSON.parse(fs.readFileSync(path.join(runDir, 'recommendations.json'), 'utf8'));
    // The version the service reports (target_info, as the real service's OpenTelemetry exporter).
    expect(recs.run.service).toMatch(
      /^external target http:\/\/127.0.0.1:\d+ \(syncscale-reference-service 0.1.0\)$/,
    );
    // Both API processes at three connection levels: the fit sees 6 points, never "0 distinct levels".
    expect(recs.fits.apiMemory.n).toBeGreaterThanOrEqual(6);
    expect(recs.fits.apiMemory.refused ?? '').not.toMatch(/0 distinct/);
    expect(recs.fits.replicationCpu.levels).toBeGreaterThanOrEqual(2);
  }, 180_000);

  it('with only powersync_* metrics (as the real service) and no pid, says what was unavailable', async () => {
    const file = scenario(
      'powersync-only',
      `      - { role: api, metrics_url: http://127.0.0.1:${(filtered.address() as { port: number }).port}/metrics }`,
    );
    const reports = path.join(dir.dir, 'out-ps');
    const child = new CliProcess(['run', file, '--reports-dir', reports]);
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    const [runId] = fs.readdirSync(reports);
    const results = JSON.parse(fs.readFileSync(path.join(reports, runId!, 'results.json'), 'utf8'));
    expect(results.observed['api-0']).toMatchObject({
      rss: 'unavailable',
      cpu: 'unavailable',
      heap: 'unavailable',
      connections: 'metrics',
    });
    expect(results.probesUnavailable.join('\n')).toContain('api-0: no pid');
  }, 180_000);

  it('names every unreachable part before any load starts (exit 2, nothing left running)', async () => {
    const file = scenario(
      'bad',
      `      - { role: api, pid: 999999, metrics_url: http://127.0.0.1:1/metrics }`,
      'storage: { postgres_url: postgres://nobody@127.0.0.1:1/nowhere }',
    );
    const reports = path.join(dir.dir, 'out-bad');
    const child = new CliProcess(['run', file, '--reports-dir', reports]);
    const { code } = await child.exited;
    expect(code).toBe(2);
    expect(child.output).toContain('[SSCALE_T0001]');
    expect(child.output).toContain('target.external.processes[0].pid: pid 999999 is not a running process');
    expect(child.output).toContain('target.external.processes[0].metrics_url: unreachable');
    expect(child.output).toContain('target.external.storage.postgres_url: cannot connect');
    expect(fs.existsSync(reports)).toBe(false);
    const unknownRole = scenario('role', `      - { role: gateway, pid: ${members[0]!.pid} }`);
    const second = new CliProcess(['run', unknownRole, '--reports-dir', reports]);
    expect((await second.exited).code).toBe(2);
    expect(second.output).toMatch(
      /target\.external\.processes\[0\]\.role: expected "api" \| "replicator" \| "unified" \| "compact"/,
    );
    // MongoDB bucket storage that does not answer: named before any load (the driver gives up after 5 s).
    const noMongo = scenario(
      'mongo',
      `      - { role: api, pid: ${members[0]!.pid} }`,
      'storage: { mongodb_url: "mongodb://127.0.0.1:1/powersync?directConnection=true" }',
    );
    const third = new CliProcess(['run', noMongo, '--reports-dir', reports]);
    expect((await third.exited).code).toBe(2);
    expect(third.output).toContain('[SSCALE_T0001]');
    expect(third.output).toContain('target.external.storage.mongodb_url: cannot connect');
    expect(fs.existsSync(reports)).toBe(false);
  }, 60_000);
});
