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

/**
 * No secret in any artifact. Known sentinels fill every secret slot of an external run against the reference
 * service: the HS256 key (`token.key.k`, also marked `!secret`), the password in the source database URL, an
 * `!env` variable whose name says SECRET. Then run, size, report, calibrate, baseline save, a gate and a k6
 * export with --tokens write their files, and every byte of every file is searched for each sentinel — raw,
 * base64, base64url and URL-encoded.
 */
const KEY_TEXT = 'sentinel-key-Zq7vXw9Lk2Pm4Rt8';
const K = Buffer.from(KEY_TEXT).toString('base64url');
const PASSWORD = 'Sentinel-Pw-9xYq2Lm7Rk4V';
const ENV_SECRET = 'sentinel-env-Hj5Kd8Qw3Zx1';
const SENTINELS = [K, KEY_TEXT, PASSWORD, ENV_SECRET];

function forms(secret: string): string[] {
  return [
    secret,
    Buffer.from(secret).toString('base64').replace(/=+$/, ''),
    Buffer.from(secret).toString('base64url'),
    encodeURIComponent(secret),
  ];
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .flatMap((d) => (d.isFile() ? [path.join(d.parentPath, d.name)] : []));
}

describe('no secret in any artifact', () => {
  let service: RunningService;
  const drops: Array<() => Promise<void>> = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-secrets-'));
  let scenarioFile: string;

  beforeAll(async () => {
    const source = await createTestDatabase('secrets_src');
    const storage = await createTestDatabase('secrets_sto');
    drops.push(source.drop, storage.drop);
    const role = `sentinel_${Date.now().toString(36)}`;
    await adminQuery(source.url, `CREATE ROLE ${role} LOGIN SUPERUSER PASSWORD '${PASSWORD}'`);
    drops.push(() => adminQuery(source.url, `DROP ROLE IF EXISTS ${role}`).then(() => undefined));
    await adminQuery(source.url, 'CREATE PUBLICATION powersync FOR ALL TABLES');
    const sourceUrl = new URL(source.url);
    sourceUrl.username = role;
    sourceUrl.password = PASSWORD;
    const yaml = serviceConfigYaml(
      source.url,
      storage.url,
      fs.readFileSync(path.resolve(__dirname, '../../fixtures/sync-config.yaml'), 'utf8'),
    )
      .replace('port: 0', 'port: 0\ntelemetry: { prometheus_port: 0, disable_telemetry_sharing: true }')
      .replace(/k: [A-Za-z0-9_-]+/, `k: ${K}`);
    service = await startService('unified', parseServiceConfig(yaml), { log: silentLogger, env: {} });
    scenarioFile = path.join(work, 'secret.yaml');
    fs.writeFileSync(
      scenarioFile,
      `name: secret
description: !env SYNCSCALE_TEST_SENTINEL_SECRET
target:
  external:
    endpoint: http://127.0.0.1:${service.port}
    source_database_url: ${sourceUrl.toString()}
    token: { key: { k: !secret ${K}, kid: test }, audience: syncscale }
    metrics_url: http://127.0.0.1:${service.metricsPort}/metrics
dataset:
  users: 4
  rows_per_user: 2
  row_size_bytes: 32
  lists: 2
  sync_config: ${path.resolve(__dirname, '../../fixtures/sync-config.yaml')}
phases:
  - name: sync
    duration: 4s
    clients: { constant: 3 }
    writes: { constant: 5, mix: { insert: 1, update: 1, delete: 0 } }
limits:
  max_duration: 2m
`,
    );
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    for (const drop of drops.reverse()) await drop().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('external and embedded runs, size, report, calibrate, baseline, gate, a drill and a k6 export write none of the sentinels', async () => {
    const env = { SYNCSCALE_TEST_SENTINEL_SECRET: ENV_SECRET };
    const cli = async (args: string[], ok: number[] = [0]) => {
      const child = new CliProcess(args, env, work);
      const { code } = await child.exited;
      expect(ok, `${args.join(' ')}\n${child.output}`).toContain(code);
      return child.output;
    };
    const outputs: string[] = [];
    outputs.push(await cli(['run', scenarioFile, '--reports-dir', 'reports']));
    const [runId] = fs.readdirSync(path.join(work, 'reports')).filter((d) => d.endsWith('-secret'));
    const runDir = path.join('reports', runId!);
    outputs.push(
      await cli([
        'size',
        '--from',
        runDir,
        '--profile',
        path.resolve(__dirname, '../../scenarios/profile-default.yaml'),
      ]),
    );
    outputs.push(await cli(['report', runDir]));
    outputs.push(
      await cli(
        ['calibrate', '--reference', runDir, '--real', runDir, '--out', 'out/calibration.json'],
        [0, 2],
      ),
    );
    for (const copy of ['a', 'b', 'c'])
      fs.cpSync(path.join(work, runDir), path.join(work, 'set', copy), { recursive: true });
    outputs.push(await cli(['baseline', 'save', 'set', '--out', 'out/baseline.json']));
    outputs.push(
      await cli(
        ['gate', '--baseline', 'out/baseline.json', '--candidate', 'set', '--out', 'out/gate'],
        [0, 3, 4],
      ),
    );
    fs.writeFileSync(
      path.join(work, 'tokens.txt'),
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyMCJ9.c2lnbmF0dXJlLW9mLXRva2Vu\n',
    );
    // An embedded run and a drill, each with the env secret in a free-text slot.
    const sync = path.resolve(__dirname, '../../fixtures/sync-config.yaml');
    fs.writeFileSync(
      path.join(work, 'embedded.yaml'),
      `name: embedded-secret\ndescription: !env SYNCSCALE_TEST_SENTINEL_SECRET\ntarget:\n  embedded:\n    api: { containers: 1, heap_mb: 256, max_concurrent_connections: 50 }\ndataset: { users: 3, rows_per_user: 2, row_size_bytes: 32, lists: 2, sync_config: ${sync} }\nphases:\n  - { name: sync, duration: 3s, clients: { constant: 2 }, writes: { constant: 5 } }\nlimits: { max_duration: 2m }\n`,
    );
    outputs.push(await cli(['run', 'embedded.yaml', '--reports-dir', 'reports']));
    fs.writeFileSync(
      path.join(work, 'drill.yaml'),
      `name: drill-secret\ndescription: !env SYNCSCALE_TEST_SENTINEL_SECRET\ntarget:\n  embedded:\n    api: { containers: 1, heap_mb: 256, max_concurrent_connections: 50 }\ndataset: { users: 3, rows_per_user: 2, row_size_bytes: 32, lists: 2, sync_config: ${sync} }\nload: { clients: 3, writes_per_second: 5 }\nwarmup: 1s\nsteps:\n  - wait: 1s\nsettle: 1s\nlimits: { max_duration: 2m }\n`,
    );
    outputs.push(await cli(['drill', 'drill.yaml', '--reports-dir', 'out/drill'], [0, 99]));
    const k6 = await cli(['export', 'k6', scenarioFile, '--out', 'out/k6', '--tokens', 'tokens.txt']);
    outputs.push(k6);
    expect(k6).toMatch(/hold the 1 tokens of --tokens/);

    const files = [...filesUnder(path.join(work, 'reports')), ...filesUnder(path.join(work, 'out'))];
    expect(files.length).toBeGreaterThan(25);
    expect(files.some((f) => f.endsWith('drill.json'))).toBe(true);
    const leaks: string[] = [];
    for (const file of files) {
      const bytes = fs.readFileSync(file).toString('latin1');
      for (const secret of SENTINELS)
        for (const form of forms(secret))
          if (bytes.includes(form)) leaks.push(`${path.relative(work, file)}: ${form}`);
    }
    for (const text of outputs)
      for (const secret of SENTINELS)
        for (const form of forms(secret)) if (text.includes(form)) leaks.push(`terminal output: ${form}`);
    expect(leaks).toEqual([]);
    // What is needed to compare runs stays: the host, the kid, and the key's fingerprint.
    const results = fs.readFileSync(path.join(work, runDir, 'results.json'), 'utf8');
    expect(results).toContain('127.0.0.1');
    expect(results).toContain('"kid": "test"');
    expect(results).toMatch(/REDACTED\(sha256:[0-9a-f]{8}\)/);
  }, 240_000);
});
