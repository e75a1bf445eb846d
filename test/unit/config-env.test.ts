import { describe, expect, it } from 'vitest';
import { ConfigError, parseServiceConfig } from '../../src/service/config/index.js';

const STORAGE = 'storage: { type: postgresql, uri: "postgresql://ps@localhost/storage" }\n';

function parse(text: string, env: NodeJS.ProcessEnv) {
  return parseServiceConfig(STORAGE + text, { env, baseDir: '/nonexistent' });
}

function problems(text: string, env: NodeJS.ProcessEnv) {
  try {
    parse(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('!env substitution', () => {
  it('substitutes strings and casts ::number and ::boolean', () => {
    const { config } = parse(
      [
        'port: !env PS_PORT::number',
        'migrations: { disable_auto_migration: !env PS_NO_MIGRATE::boolean }',
        'api: { parameters: { max_buckets_per_connection: !env PS_BUCKETS::number } }',
        'client_auth: { audience: [a, !env PS_AUD] }',
        'healthcheck: { probes: { use_http: !env PS_HTTP::boolean, use_filesystem: !env PS_FS::boolean } }',
      ].join('\n'),
      {
        PS_PORT: '9001',
        PS_NO_MIGRATE: 'TRUE',
        PS_BUCKETS: '50',
        PS_AUD: 'syncscale',
        PS_HTTP: 'true',
        PS_FS: 'false',
      },
    );
    expect(config.port).toBe(9001);
    expect(config.migrations.disableAutoMigration).toBe(true);
    expect(config.api.parameters.maxBucketsPerConnection).toBe(50);
    expect(config.clientAuth.audience).toEqual(['a', 'syncscale']);
    expect(config.healthcheck.probes).toEqual({ legacy: false, http: true, filesystem: false });
  });

  it('accepts a port from an uncast variable (numeric string)', () => {
    expect(parse('port: !env PS_PORT', { PS_PORT: '8181' }).config.port).toBe(8181);
  });

  it('substitutes inside connection URIs', () => {
    const { config } = parseServiceConfig('storage: { type: postgresql, uri: !env PS_STORAGE_URL }', {
      env: { PS_STORAGE_URL: 'postgresql://u:p@db:6543/store' },
    });
    expect(config.storage.connectionString).toBe('postgresql://u:p@db:6543/store?sslmode=verify-full');
  });

  it('reports a missing variable with its name and path', () => {
    expect(problems('client_auth: { audience: [a, !env PS_AUDIENCE] }', {})).toEqual([
      {
        path: 'client_auth.audience[1]',
        message: 'environment variable PS_AUDIENCE is not set (!env PS_AUDIENCE)',
      },
    ]);
  });

  it('only substitutes variables starting with PS_', () => {
    const found = problems('metadata: { home: !env HOME }', { HOME: '/root' });
    expect(found).toEqual([
      {
        path: 'metadata.home',
        message: '!env HOME: only environment variables starting with PS_ may be substituted',
      },
    ]);
  });

  it('reports values that do not cast', () => {
    const found = problems(
      'port: !env PS_PORT::number\nmigrations: { disable_auto_migration: !env PS_FLAG::boolean }\nhost: !env PS_HOST::int',
      { PS_PORT: 'eighty', PS_FLAG: 'yes', PS_HOST: 'x' },
    );
    expect(found.map((problem) => problem.path)).toEqual([
      'host',
      'migrations.disable_auto_migration',
      'port',
    ]);
    expect(found[0]?.message).toMatch(/unknown cast; use ::number or ::boolean/);
    expect(found[1]?.message).toMatch(/"yes" is not a boolean/);
    expect(found[2]?.message).toMatch(/"eighty" is not a number/);
  });

  it('treats an empty ::number value as an error, an empty string value as a value', () => {
    expect(problems('port: !env PS_PORT::number', { PS_PORT: '' })[0]?.message).toMatch(/is not a number/);
    expect(parse('metadata: { note: !env PS_NOTE }', { PS_NOTE: '' }).config.metadata).toEqual({ note: '' });
  });

  it('does not report a failed substitution a second time as a validation problem', () => {
    const found = problems('api: { parameters: { max_concurrent_connections: !env PS_MAX::number } }', {});
    expect(found).toHaveLength(1);
    expect(found[0]?.path).toBe('api.parameters.max_concurrent_connections');
  });

  it('hints at ::number when a numeric key gets an uncast string', () => {
    const found = problems('api: { parameters: { max_concurrent_connections: !env PS_MAX } }', {
      PS_MAX: '10',
    });
    expect(found).toEqual([
      {
        path: 'api.parameters.max_concurrent_connections',
        message: 'expected number, got string (with !env, add ::number)',
      },
    ]);
  });
});
