import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery } from '../../src/postgres/index.js';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { silentLogger } from '../../src/service/logging/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import { createTestDatabase } from '../support/databases.js';
import { serviceConfigYaml } from '../support/replication-fixture.js';
import { CliProcess } from '../support/service-process.js';

const SYNC_CONFIG = fs.readFileSync(path.resolve(__dirname, '../../fixtures/sync-config.yaml'), 'utf8');
const KEY = { k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA', kid: 'test' };

/**
 * `syncscale run` against an external target: a sync service the user runs (here the reference service,
 * started by the test on 127.0.0.1, standing in for a real deployment).
 */
describe('syncscale run against an external target', () => {
  let service: RunningService;
  let drops: Array<() => Promise<void>> = [];
  let sourceUrl: string;
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-external-'));

  beforeAll(async () => {
    const source = await createTestDatabase('external_src');
    const storage = await createTestDatabase('external_sto');
    drops = [source.drop, storage.drop];
    sourceUrl = source.url;
    await adminQuery(source.url, 'CREATE PUBLICATION powersync FOR ALL TABLES');
    const yaml = serviceConfigYaml(source.url, storage.url, SYNC_CONFIG).replace(
      'port: 0',
      'port: 0\ntelemetry: { prometheus_port: 0, disable_telemetry_sharing: true }',
    );
    service = await startService('unified', parseServiceConfig(yaml), { log: silentLogger, env: {} });
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const drop of drops) await drop().catch(() => undefined);
    fs.rmSync(reports, { recursive: true, force: true });
  });

  it('loads the dataset into its source, syncs and writes through it, and says what it could not probe', async () => {
    const scenario = path.join(reports, 'external.yaml');
    fs.writeFileSync(
      scenario,
      `name: external
target:
  external:
    endpoint: http://127.0.0.1:${service.port}
    source_database_url: ${sourceUrl}
    token: { key: { k: ${KEY.k}, kid: ${KEY.kid} }, audience: syncscale }
    metrics_url: http://127.0.0.1:${service.metricsPort}/metrics
dataset:
  users: 5
  rows_per_user: 2
  row_size_bytes: 32
  lists: 2
  sync_config: ${path.resolve(__dirname, '../../fixtures/sync-config.yaml')}
phases:
  - name: sync
    duration: 6s
    clients: { constant: 4 }
    writes: { constant: 5, mix: { insert: 1, update: 1, delete: 0 } }
    thresholds:
      checksum_failures: ['count == 0']
      checkpoints_completed: ['count > 0']
limits:
  max_duration: 2m
`,
    );
    const child = new CliProcess(['run', scenario, '--reports-dir', path.join(reports, 'out')]);
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    const [runId] = fs.readdirSync(path.join(reports, 'out'));
    const results = JSON.parse(fs.readFileSync(path.join(reports, 'out', runId!, 'results.json'), 'utf8'));
    expect(results.status).toBe('completed');
    expect(results.phases[0].writes.transactions).toBeGreaterThan(10);
    expect(results.probesUnavailable.join(' ')).toContain('no pid');
    const metrics = new Set(results.phases[0].aggregates.series.map((s: { metric: string }) => s.metric));
    for (const metric of ['e2e_latency', 'powersync_concurrent_connections', 'pg_database_bytes']) {
      expect(metrics.has(metric), metric).toBe(true);
    }
  }, 180_000);
});
