import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReplicationDatabases, serviceConfigYaml } from '../support/replication-fixture.js';
import { CliProcess, writeTempConfig } from '../support/service-process.js';

async function runCli(args: string[], cwd?: string, env: NodeJS.ProcessEnv = {}) {
  const child = new CliProcess(args, env, cwd);
  const { code } = await child.exited;
  return { code, output: child.output };
}

describe('syncscale service commands', () => {
  let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
  let config: ReturnType<typeof writeTempConfig>;

  beforeAll(async () => {
    db = await createReplicationDatabases('cli');
    config = writeTempConfig(serviceConfigYaml(db.sourceUrl, db.storageUrl));
  });
  afterAll(async () => {
    await db?.drop();
    config?.cleanup();
  });

  it('migrate up, down and up again', async () => {
    const storage = new pg.Pool({ connectionString: db.storageUrl, max: 1 });
    const tables = async () =>
      (
        await storage.query<{ n: string }>(
          "SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'powersync'",
        )
      ).rows[0]!.n;
    try {
      const up = await runCli(['service', 'migrate', 'up', '-c', config.path]);
      expect(up.code).toBe(0);
      expect(up.output).toContain('1-init, 2-instance');
      expect(Number(await tables())).toBeGreaterThan(8);

      const again = await runCli(['service', 'migrate', 'up', '-c', config.path]);
      expect(again.output).toContain('nothing to do');

      const down = await runCli(['service', 'migrate', 'down', '-c', config.path]);
      expect(down.code).toBe(0);
      expect(down.output).toContain('2-instance, 1-init');
      // Only the bootstrap tables (locks, migrations) remain.
      expect(Number(await tables())).toBe(2);

      const reup = await runCli(['service', 'migrate', 'up', '-c', config.path]);
      expect(reup.code).toBe(0);
      expect(Number(await tables())).toBeGreaterThan(8);
    } finally {
      await storage.end();
    }
  });

  it('api mode never migrates and refuses a storage schema that is not migrated', async () => {
    const other = await createReplicationDatabases('cli_api');
    const apiConfig = writeTempConfig(serviceConfigYaml(other.sourceUrl, other.storageUrl));
    try {
      const result = await runCli(['service', 'start', '-r', 'api', '-c', apiConfig.path]);
      expect(result.code).toBe(150);
      expect(result.output).toContain('migrate up');
    } finally {
      apiConfig.cleanup();
      await other.drop();
    }
  });

  it('rejects a bad migrate direction with the usage exit code', async () => {
    const result = await runCli(['service', 'migrate', 'sideways', '-c', config.path]);
    expect(result.code).toBe(2);
    expect(result.output).toContain('direction must be "up" or "down"');
  });

  it('reports every config problem with its path and exits 2 before starting anything', async () => {
    const bad = writeTempConfig(`
port: not-a-port
replication:
  connections:
    - type: postgresql
      uri: 'not a uri'
storage:
  type: mongodb
client_auth:
  jwks: { keys: [{ kty: oct, k: c2VjcmV0 }] }
frobnicate: true
`);
    try {
      const result = await runCli(['service', 'start', '-r', 'sync', '-c', bad.path]);
      expect(result.code).toBe(2);
      expect(result.output).toContain('PSYNC_S3201');
      for (const fragment of [
        'port',
        'replication.connections[0]',
        'storage',
        'client_auth.jwks.keys[0]',
        'frobnicate',
      ]) {
        expect(result.output).toContain(fragment);
      }
    } finally {
      bad.cleanup();
    }
  });

  it('reports sync config errors with their line and exits with the startup code', async () => {
    const bad = writeTempConfig(
      serviceConfigYaml(
        db.sourceUrl,
        db.storageUrl,
        `
bucket_definitions:
  by_user:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT * FROM todos t JOIN lists l ON l.id = t.list_id WHERE owner_id = bucket.user_id
`,
      ),
    );
    try {
      const result = await runCli(['service', 'start', '-r', 'sync', '-c', bad.path]);
      expect(result.code).toBe(150);
      expect(result.output).toContain('PSYNC_R0001');
      expect(result.output).toMatch(/line \d+: bucket_definitions\.by_user\.data\[0\]: .*JOIN/i);
    } finally {
      bad.cleanup();
    }
  });

  it('rejects compact bucket names without parameters', async () => {
    const result = await runCli(['service', 'compact', '-b', 'global', '-c', config.path]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('global');
  });

  it('serves HTTP probes, writes probe files and stops cleanly on SIGTERM', async () => {
    const withProbes = writeTempConfig(
      serviceConfigYaml(db.sourceUrl, db.storageUrl)
        .replace(
          'probes: { use_http: false, use_filesystem: false }',
          'probes: { use_http: true, use_filesystem: true }',
        )
        .replace('level: warn', 'level: info'),
    );
    const child = new CliProcess(
      ['service', 'start', '-r', 'sync', '-c', withProbes.path],
      {},
      withProbes.dir,
    );
    try {
      const listening = await child.waitFor(/Listening on http:\/\/127\.0\.0\.1:(\d+)/);
      const port = /127\.0\.0\.1:(\d+)/.exec(listening.text)![1];
      await child.waitFor('Service started in sync mode');
      for (const probe of ['startup', 'readiness', 'liveness']) {
        const res = await fetch(`http://127.0.0.1:${port}/probes/${probe}`);
        expect(res.status, probe).toBe(200);
        expect(await res.json()).toMatchObject({ ready: true, started: true });
      }
      const missing = await fetch(`http://127.0.0.1:${port}/nope`);
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('PSYNC_S2002');
      for (const file of ['startup', 'ready', 'poll']) {
        expect(fs.existsSync(path.join(withProbes.dir, '.probes', file)), file).toBe(true);
      }
      child.kill('SIGTERM');
      expect((await child.exited).code).toBe(0);
    } finally {
      child.kill('SIGKILL');
      withProbes.cleanup();
    }
  });
});
