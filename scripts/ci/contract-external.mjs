#!/usr/bin/env node
// The contract suite against a sync service started as an external deployment — the same harness as for a
// real PowerSync (test/integration/powersync-contract.test.ts with POWERSYNC_TEST_* set). Here the deployment
// is the reference service, started as its own process (`syncscale service start -r unified -c …`) on an
// embedded Postgres, exactly as a user would start it; the suite runs `--runs` times in a row (default 2)
// against the same deployment, so ids left by an earlier run must not break a later one.
//   npm run build && node scripts/ci/contract-external.mjs [--runs 2]
// Against a real PowerSync, skip this script: set POWERSYNC_TEST_* and run
//   npx vitest run test/integration/powersync-contract.test.ts
/* global process, Buffer, console, setTimeout */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../dist/postgres/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 2) || 2;
const key = {
  k: Buffer.from(`contract-${Date.now()}-secret-secret-secret`).toString('base64url'),
  kid: 'contract',
};
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-contract-ext-'));
const server = await startEmbeddedPostgres();
let service;
let exit;
try {
  const sourceUrl = await server.createDatabase('contract_source');
  const storageUrl = await server.createDatabase('contract_storage');
  const source = new pg.Pool({ connectionString: sourceUrl, max: 1 });
  await source.query(`
    CREATE TABLE lists (id text PRIMARY KEY, name text);
    CREATE TABLE todos (id text PRIMARY KEY, owner_id text, title text);
    CREATE PUBLICATION powersync FOR ALL TABLES;`);
  await source.end();
  const syncConfig = fs.readFileSync(path.join(root, 'fixtures/sync-config.yaml'), 'utf8');
  const config = path.join(work, 'powersync.yaml');
  fs.writeFileSync(
    config,
    [
      'replication:',
      '  connections:',
      `    - { type: postgresql, uri: "${sourceUrl}", sslmode: disable }`,
      `storage: { type: postgresql, uri: "${storageUrl}", sslmode: disable }`,
      'port: 0',
      'client_auth:',
      `  jwks: { keys: [{ kty: oct, alg: HS256, kid: ${key.kid}, k: ${key.k} }] }`,
      '  audience: [contract]',
      'sync_config:',
      '  content: |',
      ...syncConfig.split('\n').map((l) => `    ${l}`),
    ].join('\n'),
  );
  service = spawn(
    process.execPath,
    [path.join(root, 'bin/syncscale.js'), 'service', 'start', '-r', 'unified', '-c', config],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const endpoint = await new Promise((resolve, reject) => {
    let text = '';
    const onData = (chunk) => {
      text += chunk;
      const match = /Listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (match) resolve(`http://127.0.0.1:${match[1]}`);
    };
    service.stdout.on('data', onData);
    service.stderr.on('data', onData);
    service.on('exit', (code) => reject(new Error(`service exited with ${code}:\n${text}`)));
    setTimeout(() => reject(new Error(`service did not say its port in 60 s:\n${text}`)), 60_000);
  });
  console.log(`reference service (external deployment) at ${endpoint}`);
  const env = {
    ...process.env,
    POWERSYNC_TEST_URL: endpoint,
    POWERSYNC_TEST_SOURCE_URL: sourceUrl,
    POWERSYNC_TEST_JWT_K: key.k,
    POWERSYNC_TEST_JWT_KID: key.kid,
    POWERSYNC_TEST_AUDIENCE: 'contract',
    POWERSYNC_TEST_BUCKET_PREFIX: '1#',
  };
  exit = 0;
  for (let i = 1; i <= runs; i++) {
    const result = spawnSync('npx', ['vitest', 'run', 'test/integration/powersync-contract.test.ts'], {
      cwd: root,
      env,
      stdio: 'inherit',
    });
    console.log(
      `contract run ${i} of ${runs}: ${result.status === 0 ? 'passed' : `FAILED (exit ${result.status})`}`,
    );
    if (result.status !== 0) exit = 1;
  }
} catch (error) {
  console.error(error);
  exit = 1;
} finally {
  service?.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await server.stop();
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(exit);
