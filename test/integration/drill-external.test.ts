import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillResults } from '../../src/drill/index.js';
import { adminQuery, freePort } from '../../src/postgres/index.js';
import { createTestDatabase } from '../support/databases.js';
import { serviceConfigYaml } from '../support/replication-fixture.js';
import { CliProcess, writeTempConfig } from '../support/service-process.js';

const SYNC_CONFIG = fs.readFileSync(path.resolve(__dirname, '../../fixtures/sync-config.yaml'), 'utf8');
const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };
const LOCK_ENV = {
  SYNCSCALE_LOCK_TTL_MS: '4000',
  SYNCSCALE_LOCK_REFRESH_MS: '1000',
  SYNCSCALE_REPLICATION_RETRY_MS: '1000',
};

/**
 * The drill against an external target: the reference service started separately (one API process, two
 * replicators) stands in for a deployment; the deploy step is an operator's command (`kill -TERM <pid>`),
 * and the drill observes it only through the lock table, the fleet and the source.
 */
describe('syncscale drill against an external target', () => {
  const processes: CliProcess[] = [];
  const drops: Array<() => Promise<void>> = [];
  let config: ReturnType<typeof writeTempConfig>;
  let apiPort: number;
  let sourceUrl: string;
  let storageUrl: string;

  beforeAll(async () => {
    const source = await createTestDatabase('drill_ext_src');
    const storage = await createTestDatabase('drill_ext_sto');
    drops.push(source.drop, storage.drop);
    sourceUrl = source.url;
    storageUrl = storage.url;
    await adminQuery(
      source.url,
      `CREATE TABLE lists (id text PRIMARY KEY, name text);
       CREATE TABLE todos (id text PRIMARY KEY, owner_id text NOT NULL, payload text, ss_ts int8, updated_at timestamptz DEFAULT now());
       CREATE TABLE users (id text PRIMARY KEY, org_id integer);
       CREATE TABLE projects (id integer PRIMARY KEY, org_id integer, name text);
       CREATE PUBLICATION powersync FOR ALL TABLES;`,
    );
    apiPort = await freePort();
    config = writeTempConfig(
      serviceConfigYaml(source.url, storage.url, SYNC_CONFIG).replace('level: warn', 'level: info'),
    );
    const apiConfig = writeTempConfig(
      serviceConfigYaml(source.url, storage.url, SYNC_CONFIG)
        .replace('port: 0', `port: ${apiPort}`)
        .replace('level: warn', 'level: info'),
    );
    drops.push(async () => apiConfig.cleanup());
    const first = new CliProcess(['service', 'start', '-r', 'sync', '-c', config.path], LOCK_ENV, config.dir);
    processes.push(first);
    await first.waitFor('Acquired replication lock');
    const standby = new CliProcess(
      ['service', 'start', '-r', 'sync', '-c', config.path],
      LOCK_ENV,
      config.dir,
    );
    processes.push(standby);
    await standby.waitFor('PSYNC_S1003');
    const api = new CliProcess(['service', 'start', '-r', 'api', '-c', apiConfig.path], {}, apiConfig.dir);
    processes.push(api);
    await api.waitFor('Service started in');
  }, 120_000);

  afterAll(async () => {
    for (const p of processes) p.kill('SIGKILL');
    await Promise.all(processes.map((p) => p.exited));
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const drop of drops) await drop().catch(() => undefined);
    config?.cleanup();
  });

  it('times the hand-over from the lock table and checks every client row against the source', async () => {
    const drillFile = path.join(config.dir, 'drill.yaml');
    fs.writeFileSync(
      drillFile,
      `name: external-drill
target:
  external:
    endpoint: http://127.0.0.1:${apiPort}
    source_database_url: ${sourceUrl}
    storage_database_url: ${storageUrl}
    token: { k: ${KEY.k}, kid: ${KEY.kid}, audience: syncscale }
dataset: { users: 8, rows_per_user: 2, lists: 2, sync_config: ${path.resolve(__dirname, '../../fixtures/sync-config.yaml')} }
load: { clients: 16, writes_per_second: 20 }
warmup: 1s
steps:
  - command: kill -TERM ${processes[0]!.pid}
  - wait: 3s
settle: 2s
`,
    );
    const reports = path.join(config.dir, 'reports');
    const child = new CliProcess(['drill', drillFile, '--reports-dir', reports]);
    const { code } = await child.exited;
    const [dir] = fs.readdirSync(reports);
    const markdown = dir ? fs.readFileSync(path.join(reports, dir, 'drill.md'), 'utf8') : '';
    expect(code, `${child.output}\n${markdown}`).toBe(0);
    const r = JSON.parse(fs.readFileSync(path.join(reports, dir!, 'drill.json'), 'utf8')) as DrillResults;
    expect(r.verdict).toBe('PASS');
    const step = r.steps[0]!;
    expect(step.kind).toBe('command');
    expect(Number(step.figures.newHolderMs)).toBeLessThan(5_000);
    expect(r.lockTable!.filter((c) => c.lockId !== null).length).toBeGreaterThanOrEqual(2);
    expect(r.verification!.lostRows).toBe(0);
    expect(r.verification!.duplicatedOps).toBe(0);
    expect(r.figures.writes!.committed).toBeGreaterThan(50);
  }, 120_000);
});
