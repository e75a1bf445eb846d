import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadServiceConfig, parseServiceConfig } from '../../src/service/config/index.js';

const FIXTURES = resolve(import.meta.dirname, '../../fixtures');

function configYaml(port: number, sync = ''): string {
  return `port: ${port}\nstorage: { type: postgresql, uri: "postgresql://ps@localhost/storage" }\n${sync}`;
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

async function loadError(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'syncscale-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('config sources and precedence', () => {
  it('prefers the configPath option over POWERSYNC_CONFIG_PATH', async () => {
    await writeFile(join(dir, 'a.yaml'), configYaml(1111));
    await writeFile(join(dir, 'b.yaml'), configYaml(2222));
    const loaded = await loadServiceConfig({
      configPath: 'a.yaml',
      env: { POWERSYNC_CONFIG_PATH: 'b.yaml' },
      cwd: dir,
    });
    expect(loaded.config.port).toBe(1111);
    expect(loaded.source).toBe(join(dir, 'a.yaml'));
  });

  it('uses POWERSYNC_CONFIG_PATH, relative to cwd', async () => {
    await writeFile(join(dir, 'b.yaml'), configYaml(2222));
    const loaded = await loadServiceConfig({ env: { POWERSYNC_CONFIG_PATH: 'b.yaml' }, cwd: dir });
    expect(loaded.config.port).toBe(2222);
    expect(loaded.source).toBe(join(dir, 'b.yaml'));
  });

  it('prefers a config path (option or env) over base64 content', async () => {
    await writeFile(join(dir, 'a.yaml'), configYaml(1111));
    const viaEnv = await loadServiceConfig({
      configBase64: b64(configYaml(3333)),
      env: { POWERSYNC_CONFIG_PATH: 'a.yaml', POWERSYNC_CONFIG_B64: b64(configYaml(4444)) },
      cwd: dir,
    });
    expect(viaEnv.config.port).toBe(1111);
  });

  it('prefers the configBase64 option over POWERSYNC_CONFIG_B64', async () => {
    const both = await loadServiceConfig({
      configBase64: b64(configYaml(3333)),
      env: { POWERSYNC_CONFIG_B64: b64(configYaml(4444)) },
      cwd: dir,
    });
    expect(both.config.port).toBe(3333);
    expect(both.source).toBe('option:configBase64');
    const envOnly = await loadServiceConfig({
      env: { POWERSYNC_CONFIG_B64: b64(configYaml(4444)) },
      cwd: dir,
    });
    expect(envOnly.config.port).toBe(4444);
    expect(envOnly.source).toBe('env:POWERSYNC_CONFIG_B64');
  });

  it('prefers base64 content over ./powersync.yaml, which is the fallback', async () => {
    await writeFile(join(dir, 'powersync.yaml'), configYaml(5555));
    const b64Loaded = await loadServiceConfig({
      env: { POWERSYNC_CONFIG_B64: b64(configYaml(4444)) },
      cwd: dir,
    });
    expect(b64Loaded.config.port).toBe(4444);
    const fallback = await loadServiceConfig({ env: { POWERSYNC_CONFIG_PATH: '' }, cwd: dir });
    expect(fallback.config.port).toBe(5555);
    expect(fallback.source).toBe(join(dir, 'powersync.yaml'));
  });

  it('reads JSON files and base64 JSON', async () => {
    const json = JSON.stringify(
      { port: 6666, storage: { type: 'postgresql', uri: 'postgresql://u@h/d' } },
      null,
      '\t',
    );
    await writeFile(join(dir, 'powersync.json'), json);
    expect((await loadServiceConfig({ configPath: 'powersync.json', env: {}, cwd: dir })).config.port).toBe(
      6666,
    );
    expect((await loadServiceConfig({ configBase64: b64(json), env: {}, cwd: dir })).config.port).toBe(6666);
  });

  it('fails clearly when there is no configuration, no file or bad base64', async () => {
    const none = await loadError(loadServiceConfig({ env: {}, cwd: dir }));
    expect(none.code).toBe('PSYNC_S3201');
    expect(none.problems[0]?.message).toMatch(
      /no service configuration: set POWERSYNC_CONFIG_PATH or POWERSYNC_CONFIG_B64/,
    );
    const missing = await loadError(loadServiceConfig({ configPath: 'nope.yaml', env: {}, cwd: dir }));
    expect(missing.problems).toEqual([
      { path: '', message: `cannot read config file ${join(dir, 'nope.yaml')}: no such file` },
    ]);
    const bad = await loadError(
      loadServiceConfig({ env: { POWERSYNC_CONFIG_B64: 'not base64!' }, cwd: dir }),
    );
    expect(bad.problems[0]?.message).toBe('env:POWERSYNC_CONFIG_B64 is not valid base64');
  });
});

describe('sync config sources', () => {
  const SYNC = 'bucket_definitions:\n  global:\n    data: [SELECT * FROM lists]\n';

  it('resolves sync_config.path relative to the config file directory, not cwd', async () => {
    await mkdir(join(dir, 'conf'));
    await writeFile(
      join(dir, 'conf', 'service.yaml'),
      configYaml(1, 'sync_config: { path: rules/sync.yaml }'),
    );
    await mkdir(join(dir, 'conf', 'rules'));
    await writeFile(join(dir, 'conf', 'rules', 'sync.yaml'), SYNC);
    const loaded = await loadServiceConfig({ configPath: 'conf/service.yaml', env: {}, cwd: dir });
    expect(loaded.config.syncConfig).toEqual({
      content: SYNC,
      path: join(dir, 'conf', 'rules', 'sync.yaml'),
      exitOnError: true,
    });
    expect(loaded.warnings).toEqual([]);
  });

  it('resolves sync_config.path of base64 or in-memory configs against cwd / baseDir', async () => {
    await writeFile(join(dir, 'sync.yaml'), SYNC);
    const text = configYaml(1, 'sync_config: { path: sync.yaml, exit_on_error: false }');
    const loaded = await loadServiceConfig({ configBase64: b64(text), env: {}, cwd: dir });
    expect(loaded.config.syncConfig).toEqual({
      content: SYNC,
      path: join(dir, 'sync.yaml'),
      exitOnError: false,
    });
    expect(parseServiceConfig(text, { env: {}, baseDir: dir }).config.syncConfig?.content).toBe(SYNC);
  });

  it('reports an unreadable sync config file with its path', async () => {
    const error = await loadError(
      loadServiceConfig({
        configBase64: b64(configYaml(1, 'sync_config: { path: gone.yaml }')),
        env: {},
        cwd: dir,
      }),
    );
    expect(error.problems).toEqual([
      {
        path: 'sync_config.path',
        message: `cannot read sync config ${join(dir, 'gone.yaml')}: no such file`,
      },
    ]);
  });

  it('uses inline content, which wins over a path', () => {
    const loaded = parseServiceConfig(
      configYaml(1, `sync_config: { content: "${SYNC.replace(/\n/g, '\\n')}", path: x.yaml }`),
      {
        env: {},
      },
    );
    expect(loaded.config.syncConfig).toEqual({ content: SYNC, exitOnError: true });
    expect(loaded.warnings).toEqual(['sync_config.path: ignored because sync_config.content is set']);
  });

  it('accepts the sync_rules alias but not both names', () => {
    const alias = parseServiceConfig(configYaml(1, 'sync_rules: { content: "a: 1", exit_on_error: false }'), {
      env: {},
    });
    expect(alias.config.syncConfig).toEqual({ content: 'a: 1', exitOnError: false });
    expect(() =>
      parseServiceConfig(configYaml(1, 'sync_rules: { content: a }\nsync_config: { content: b }'), {
        env: {},
      }),
    ).toThrow(/sync_rules: sync_rules is the legacy name of sync_config: set only one of them/);
  });

  it('lets base64 sync config override the file: option, then POWERSYNC_SYNC_CONFIG_B64, then the legacy variable', async () => {
    const text = configYaml(1, 'sync_config: { path: missing.yaml, exit_on_error: false }');
    await writeFile(join(dir, 'powersync.yaml'), text);
    const env = {
      POWERSYNC_SYNC_CONFIG_B64: b64('from: env'),
      POWERSYNC_SYNC_RULES_B64: b64('from: legacy'),
    };
    const option = await loadServiceConfig({ syncBase64: b64('from: option'), env, cwd: dir });
    expect(option.config.syncConfig).toEqual({ content: 'from: option', exitOnError: false });
    expect(option.warnings).toEqual(['sync_config: overridden by the sync config from option:syncBase64']);

    const fromEnv = await loadServiceConfig({ env, cwd: dir });
    expect(fromEnv.config.syncConfig?.content).toBe('from: env');

    const legacy = await loadServiceConfig({
      env: { POWERSYNC_SYNC_RULES_B64: b64('from: legacy') },
      cwd: dir,
    });
    expect(legacy.config.syncConfig?.content).toBe('from: legacy');
    expect(legacy.warnings).toContain(
      'POWERSYNC_SYNC_RULES_B64 is deprecated: use POWERSYNC_SYNC_CONFIG_B64',
    );
  });

  it('supplies sync config to a file without any, defaulting exit_on_error to true', async () => {
    await writeFile(join(dir, 'powersync.yaml'), configYaml(1));
    const loaded = await loadServiceConfig({ env: { POWERSYNC_SYNC_CONFIG_B64: b64(SYNC) }, cwd: dir });
    expect(loaded.config.syncConfig).toEqual({ content: SYNC, exitOnError: true });
    expect(loaded.warnings).toEqual([]);
  });

  it('warns when no sync config is configured at all', async () => {
    await writeFile(join(dir, 'powersync.yaml'), configYaml(1));
    const loaded = await loadServiceConfig({ env: {}, cwd: dir });
    expect(loaded.config.syncConfig).toBeUndefined();
    expect(loaded.warnings).toEqual([expect.stringMatching(/^sync_config: none configured/)]);
  });
});

describe('fixtures/powersync.yaml', () => {
  const env = {
    PS_PORT: '8090',
    PS_SOURCE_URL: 'postgresql://app:app@localhost:5433/app',
    PS_STORAGE_URL: 'postgresql://powersync:secret@localhost:5433/powersync_storage',
    PS_JWT_SECRET_B64URL: 'c3luY3NjYWxlLWRldi1zZWNyZXQ',
  };

  it('loads with its environment set, from any cwd', async () => {
    const loaded = await loadServiceConfig({ configPath: join(FIXTURES, 'powersync.yaml'), env, cwd: dir });
    const { config } = loaded;
    expect(loaded.warnings).toEqual([]);
    expect(config.port).toBe(8090);
    expect(config.replication.connections).toHaveLength(1);
    expect(config.replication.connections[0]?.connectionString).toBe(
      'postgresql://app:app@localhost:5433/app?sslmode=disable',
    );
    expect(config.storage.connectionString).toBe(
      'postgresql://powersync:secret@localhost:5433/powersync_storage?sslmode=disable',
    );
    expect(config.clientAuth).toEqual({
      jwks: { keys: [{ kty: 'oct', kid: 'syncscale-dev', alg: 'HS256', k: 'c3luY3NjYWxlLWRldi1zZWNyZXQ' }] },
      audience: ['syncscale'],
    });
    expect(config.syncConfig?.path).toBe(join(FIXTURES, 'sync-config.yaml'));
    for (const fragment of [
      'global:',
      'SELECT * FROM lists',
      'by_user:',
      'SELECT request.user_id() AS user_id',
      'SELECT * FROM todos WHERE owner_id = bucket.user_id',
      'by_org:',
      'SELECT org_id FROM users WHERE id = request.user_id()',
      'SELECT * FROM projects WHERE org_id = bucket.org_id',
    ]) {
      expect(config.syncConfig?.content).toContain(fragment);
    }
  });

  it('names every missing variable with its path', async () => {
    const error = await loadError(
      loadServiceConfig({ configPath: join(FIXTURES, 'powersync.yaml'), env: {}, cwd: dir }),
    );
    expect(error.problems.map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      'client_auth.jwks.keys[0].k: environment variable PS_JWT_SECRET_B64URL is not set (!env PS_JWT_SECRET_B64URL)',
      'port: environment variable PS_PORT is not set (!env PS_PORT::number)',
      'replication.connections[0].uri: environment variable PS_SOURCE_URL is not set (!env PS_SOURCE_URL)',
      'storage.uri: environment variable PS_STORAGE_URL is not set (!env PS_STORAGE_URL)',
    ]);
  });
});
