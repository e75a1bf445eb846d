import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  httpProbesEnabled,
  parseServiceConfig,
  type ConfigProblem,
  type ServiceConfig,
} from '../../src/service/config/index.js';

const STORAGE = 'storage: { type: postgresql, uri: "postgresql://ps@localhost/storage" }';

function parse(text: string): { config: ServiceConfig; warnings: string[] } {
  return parseServiceConfig(text, { env: {}, baseDir: '/nonexistent' });
}

function problemsOf(text: string): ConfigProblem[] {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

function messages(text: string): string[] {
  return problemsOf(text).map((problem) => `${problem.path}: ${problem.message}`);
}

describe('service config defaults', () => {
  it('fills in every default from a minimal config', () => {
    const { config } = parse(STORAGE);
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 8080,
      replication: { connections: [] },
      syncConfig: undefined,
      clientAuth: { jwks: { keys: [] }, audience: [] },
      api: {
        tokens: [],
        parameters: {
          maxConcurrentConnections: 200,
          maxDataFetchConcurrency: 10,
          maxBucketsPerConnection: 1000,
          maxParameterQueryResults: 1000,
          checkpointRequestRetentionMinutes: 60,
          bucketCountCacheTtlMinutes: 60,
        },
      },
      telemetry: { prometheusPort: undefined, disableTelemetrySharing: false },
      migrations: { disableAutoMigration: false },
      healthcheck: { probes: { legacy: true, http: false, filesystem: true } },
      system: { logging: { level: 'info', format: 'text' } },
      metadata: {},
      parameters: {},
    });
    expect(config.storage).toEqual({
      type: 'postgresql',
      connectionString: 'postgresql://ps@localhost:5432/storage?sslmode=verify-full',
      hostname: 'localhost',
      port: 5432,
      database: 'storage',
      username: 'ps',
      password: undefined,
      sslmode: 'verify-full',
      maxPoolSize: 8,
      defaultStorageVersion: 2,
      batchLimits: { maxRecordCount: 2000, maxEstimatedSize: 5_000_000, maxCurrentDataBatchSize: 50_000_000 },
    });
  });

  it('defaults a source connection', () => {
    const { config } = parse(
      `${STORAGE}\nreplication: { connections: [{ type: postgresql, uri: "postgres://app@src/app" }] }`,
    );
    expect(config.replication.connections).toEqual([
      {
        type: 'postgresql',
        connectionString: 'postgresql://app@src:5432/app?sslmode=verify-full',
        hostname: 'src',
        port: 5432,
        database: 'app',
        username: 'app',
        password: undefined,
        sslmode: 'verify-full',
        id: 'default',
        tag: 'default',
        slotNamePrefix: 'powersync_',
        maxPoolSize: undefined,
        heartbeatIntervalSeconds: 60,
      },
    ]);
  });

  it('accepts JSON, a numeric-string port and explicit values', () => {
    const { config } = parse(
      JSON.stringify({
        host: '0.0.0.0',
        port: '9000',
        storage: {
          type: 'postgresql',
          uri: 'postgresql://u@h/d',
          max_pool_size: 4,
          batch_limits: { max_record_count: 10 },
        },
        api: { tokens: ['t'], parameters: { max_concurrent_connections: 5 } },
        telemetry: { prometheus_port: 9464, disable_telemetry_sharing: true },
        system: { logging: { level: 'debug', format: 'json' } },
        metadata: { region: 'eu' },
        parameters: { a: 1, b: 'x', c: true, d: null },
      }),
    );
    expect(config.host).toBe('0.0.0.0');
    expect(config.port).toBe(9000);
    expect(config.storage.maxPoolSize).toBe(4);
    expect(config.storage.batchLimits).toEqual({
      maxRecordCount: 10,
      maxEstimatedSize: 5_000_000,
      maxCurrentDataBatchSize: 50_000_000,
    });
    expect(config.api.parameters.maxConcurrentConnections).toBe(5);
    expect(config.api.parameters.maxDataFetchConcurrency).toBe(10);
    expect(config.api.tokens).toEqual(['t']);
    expect(config.telemetry).toEqual({ prometheusPort: 9464, disableTelemetrySharing: true });
    expect(config.system.logging).toEqual({ level: 'debug', format: 'json' });
    expect(config.metadata).toEqual({ region: 'eu' });
    expect(config.parameters).toEqual({ a: 1, b: 'x', c: true, d: null });
  });
});

describe('every problem at once, with paths', () => {
  it('collects problems from every section into one ConfigError', () => {
    const text = [
      'port: 70000',
      'colour: blue',
      'replication:',
      '  connections:',
      '    - type: postgresql',
      '      uri: mysql://root@db/app',
      '      heartbeat_interval_seconds: 2',
      '      port: 80',
      'storage: { type: postgresql, hostname: db }',
      'client_auth: { jwks: { keys: [{ kty: oct, k: c2VjcmV0 }] } }',
      'api: { parameters: { max_buckets_per_connection: 0, surprise: 1 } }',
      'telemetry: { prometheus_port: 9464 }',
      'system: { logging: { level: loud } }',
    ].join('\n');
    let error: unknown;
    try {
      parse(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('PSYNC_S3201');
    expect(configError).toBeInstanceOf(Error);
    expect(configError.problems.map((problem) => problem.path)).toEqual([
      'api.parameters.max_buckets_per_connection',
      'api.parameters.surprise',
      'client_auth.jwks.keys[0].alg',
      'colour',
      'port',
      'replication.connections[0].heartbeat_interval_seconds',
      'replication.connections[0].port',
      'replication.connections[0].uri',
      'storage.database',
      'storage.username',
      'system.logging.level',
      'telemetry.disable_telemetry_sharing',
    ]);
    expect(configError.message).toMatch(
      /^\[PSYNC_S3201\] Invalid service configuration \(inline\): 12 problems\n/,
    );
    for (const problem of configError.problems) {
      expect(configError.message).toContain(`\n  - ${problem.path}: ${problem.message}`);
    }
    expect(configError.message).toContain('replication.connections[0].uri: invalid URI (PSYNC_S1109)');
    expect(configError.message).toContain('colour: unknown key');
    expect(configError.message).toContain(
      'system.logging.level: expected "silly" | "debug" | "verbose" | "info"',
    );
  });

  it('names the config source in the message', () => {
    expect(() => parseServiceConfig('port: x', { env: {}, sourceName: '/etc/powersync.yaml' })).toThrow(
      /Invalid service configuration \(\/etc\/powersync\.yaml\)/,
    );
  });

  it('reports YAML syntax errors with their position', () => {
    expect(messages('port: [1')).toEqual([
      expect.stringMatching(/^: YAML syntax error: .* \(line 1, column 9\)/),
    ]);
  });

  it('requires a mapping and a storage section', () => {
    expect(messages('')).toEqual([': the configuration must be a mapping of keys']);
    expect(messages('- a')).toEqual([': the configuration must be a mapping of keys']);
    expect(messages('port: 8080')).toEqual(['storage: required']);
    expect(messages('storage: postgresql')).toEqual(['storage: expected object, got string']);
  });

  it('rejects truly unknown keys at every level', () => {
    expect(
      messages(
        `${STORAGE}\nport_number: 1\nreplication: { connection: [] }\nhealthcheck: { probes: { http: true } }`,
      ),
    ).toEqual([
      'healthcheck.probes.http: unknown key',
      'port_number: unknown key',
      'replication.connection: unknown key',
    ]);
  });

  it('validates ranges and types', () => {
    expect(
      messages(
        `${STORAGE}\nport: -1\napi: { parameters: { max_concurrent_connections: 1.5 } }\nmetadata: { a: 1 }\nmigrations: { disable_auto_migration: "yes" }`,
      ),
    ).toEqual([
      'api.parameters.max_concurrent_connections: expected integer, got 1.5',
      'metadata.a: expected string, got number',
      'migrations.disable_auto_migration: expected boolean, got string (with !env, add ::boolean)',
      'port: must be a port number between 0 and 65535',
    ]);
  });
});

describe('Postgres connections', () => {
  const source = (keys: string) =>
    `${STORAGE}\nreplication: { connections: [{ type: postgresql, ${keys} }] }`;
  const sourceOf = (keys: string) => parse(source(keys)).config.replication.connections[0];

  it('resolves separate keys into a connection string', () => {
    const connection = sourceOf(
      'hostname: db.local, port: 6432, database: app, username: "rep user", password: "p@ss/:w"',
    );
    expect(connection).toMatchObject({
      hostname: 'db.local',
      port: 6432,
      database: 'app',
      username: 'rep user',
    });
    expect(connection?.password).toBe('p@ss/:w');
    expect(connection?.connectionString).toBe(
      'postgresql://rep%20user:p%40ss%2F%3Aw@db.local:6432/app?sslmode=verify-full',
    );
  });

  it('decodes the URI and lets separate keys override its parts', () => {
    const connection = sourceOf(
      'uri: "postgresql://u%40x:s%2Fcret@[::1]:6000/my%20db?sslmode=disable", database: other, sslmode: verify-ca',
    );
    expect(connection).toMatchObject({
      hostname: '::1',
      port: 6000,
      database: 'other',
      username: 'u@x',
      password: 's/cret',
      sslmode: 'verify-ca',
      connectionString: 'postgresql://u%40x:s%2Fcret@[::1]:6000/other?sslmode=verify-ca',
    });
  });

  it('takes sslmode from the URI when the key is absent', () => {
    expect(sourceOf('uri: "postgres://u@h/d?sslmode=disable"')?.sslmode).toBe('disable');
  });

  it('reports the PSYNC_S1105–S1110 meanings with codes', () => {
    expect(problemsOf(source('port: 80'))).toEqual([
      {
        path: 'replication.connections[0].database',
        message: 'database required (PSYNC_S1105)',
        code: 'PSYNC_S1105',
      },
      {
        path: 'replication.connections[0].hostname',
        message: 'hostname required (PSYNC_S1106)',
        code: 'PSYNC_S1106',
      },
      {
        path: 'replication.connections[0].port',
        message: 'invalid port (PSYNC_S1110): 80 is not between 1024 and 65535',
        code: 'PSYNC_S1110',
      },
      {
        path: 'replication.connections[0].username',
        message: 'username required (PSYNC_S1107)',
        code: 'PSYNC_S1107',
      },
    ]);
    expect(messages(source('uri: "postgresql://h"'))).toEqual([
      'replication.connections[0].uri: database required (PSYNC_S1105): neither the URI nor the database key gives one',
      'replication.connections[0].uri: username required (PSYNC_S1107): neither the URI nor the username key gives one',
    ]);
    expect(messages(source('uri: "not a uri"'))).toEqual([
      'replication.connections[0].uri: invalid URI (PSYNC_S1109): not a valid URI',
    ]);
    expect(messages(source('uri: "mongodb://h/d"'))).toEqual([
      'replication.connections[0].uri: invalid URI (PSYNC_S1109): protocol must be postgresql:// or postgres://, not mongodb://',
    ]);
  });

  it('checks the heartbeat interval (5–60 s) and the slot name prefix', () => {
    const keys = 'uri: "postgresql://u@h/d", heartbeat_interval_seconds: 61, slot_name_prefix: "Bad-Prefix"';
    expect(messages(source(keys))).toEqual([
      'replication.connections[0].heartbeat_interval_seconds: invalid heartbeat interval (PSYNC_S1110): must be between 5 and 60 seconds',
      'replication.connections[0].slot_name_prefix: slot names may only contain lower-case letters, digits and _',
    ]);
    const connection = sourceOf(
      'uri: "postgresql://u@h/d", heartbeat_interval_seconds: 5, id: "1", tag: main',
    );
    expect(connection).toMatchObject({ heartbeatIntervalSeconds: 5, id: '1', tag: 'main' });
  });

  it('allows at most one connection, of type postgresql', () => {
    const two = `${STORAGE}\nreplication: { connections: [{ type: postgresql, uri: "postgresql://u@h/d" }, { type: mongodb, uri: "mongodb://h/d" }] }`;
    expect(messages(two)).toEqual([
      'replication.connections: at most one connection is supported (2 given)',
      'replication.connections[1].type: connection type mongodb is not supported by the reference service yet (use postgresql)',
    ]);
    expect(messages(`${STORAGE}\nreplication: { connections: [{ uri: "postgresql://u@h/d" }] }`)).toEqual([
      'replication.connections[0].type: connection type required (postgresql)',
    ]);
  });

  it('explains that MongoDB storage is not supported, and requires a storage type', () => {
    expect(messages('storage: { type: mongodb, uri: "mongodb://localhost/powersync" }')).toEqual([
      'storage.type: storage type mongodb is not supported by the reference service yet (use postgresql)',
    ]);
    expect(messages('storage: { uri: "postgresql://u@h/d" }')).toEqual([
      'storage.type: storage type required (postgresql; mongodb is not supported by the reference service yet)',
    ]);
    expect(messages('storage: { type: sqlite }')[0]).toMatch(/^storage.type: unknown storage type "sqlite"/);
  });
});

describe('client_auth', () => {
  const auth = (keys: string) =>
    `${STORAGE}\nclient_auth: { audience: [syncscale], jwks: { keys: [${keys}] } }`;

  it('accepts the four key types', () => {
    const { config } = parse(
      auth(
        [
          '{ kty: oct, k: c2VjcmV0, alg: HS256 }',
          '{ kty: RSA, kid: r1, n: AQAB, e: AQAB, alg: RS256, x5c: [ignored] }',
          '{ kty: EC, crv: P-521, x: AQAB, y: AQAB }',
          '{ kty: OKP, kid: e1, crv: Ed25519, x: AQAB, alg: EdDSA }',
        ].join(', '),
      ),
    );
    expect(config.clientAuth.audience).toEqual(['syncscale']);
    expect(config.clientAuth.jwks.keys).toEqual([
      { kty: 'oct', k: 'c2VjcmV0', alg: 'HS256' },
      { kty: 'RSA', kid: 'r1', n: 'AQAB', e: 'AQAB', alg: 'RS256' },
      { kty: 'EC', crv: 'P-521', x: 'AQAB', y: 'AQAB' },
      { kty: 'OKP', kid: 'e1', crv: 'Ed25519', x: 'AQAB', alg: 'EdDSA' },
    ]);
  });

  it('requires alg on oct keys and kid on RSA keys, and checks curves and encodings', () => {
    expect(
      messages(
        auth(
          [
            '{ kty: oct, k: c2VjcmV0 }',
            '{ kty: RSA, n: AQAB, e: AQAB }',
            '{ kty: EC, crv: P-512, x: AQAB, y: AQAB }',
            '{ kty: oct, k: "not base64!", alg: HS256 }',
            '{ kty: DSA }',
          ].join(', '),
        ),
      ),
    ).toEqual([
      'client_auth.jwks.keys[0].alg: required',
      'client_auth.jwks.keys[1].kid: required',
      'client_auth.jwks.keys[2].crv: expected "P-256" | "P-384" | "P-521", got "P-512"',
      'client_auth.jwks.keys[3].k: expected a base64url string',
      'client_auth.jwks.keys[4].kty: kty must be one of oct, RSA, EC, OKP',
    ]);
  });
});

describe('healthcheck probes', () => {
  const probes = (block: string) => parse(`${STORAGE}\n${block}`).config.healthcheck.probes;

  it('is legacy without the block: filesystem always, HTTP in api and unified mode', () => {
    const legacy = probes('');
    expect(legacy).toEqual({ legacy: true, http: false, filesystem: true });
    expect(httpProbesEnabled(legacy, 'api')).toBe(true);
    expect(httpProbesEnabled(legacy, 'unified')).toBe(true);
    expect(httpProbesEnabled(legacy, 'sync')).toBe(false);
  });

  it('needs each mechanism enabled explicitly when the block is present', () => {
    const none = probes('healthcheck: { probes: {} }');
    expect(none).toEqual({ legacy: false, http: false, filesystem: false });
    expect(httpProbesEnabled(none, 'unified')).toBe(false);
    const http = probes('healthcheck: { probes: { use_http: true } }');
    expect(httpProbesEnabled(http, 'sync')).toBe(true);
    expect(http.filesystem).toBe(false);
    expect(probes('healthcheck: { probes: { use_filesystem: true } }')).toEqual({
      legacy: false,
      http: false,
      filesystem: true,
    });
    expect(probes('healthcheck: { probes: { use_legacy: true } }')).toEqual({
      legacy: true,
      http: false,
      filesystem: true,
    });
  });
});

describe('keys accepted but not implemented', () => {
  it('warns about each one by path instead of failing', () => {
    const text = [
      'storage:',
      '  type: postgresql',
      '  uri: "postgresql://ps@localhost/storage?sslmode=require"',
      '  object_storage: { type: s3 }',
      '  default_storage_version: 3',
      '  cacert: "-----BEGIN CERTIFICATE-----"',
      'replication:',
      '  connections:',
      '    - type: postgresql',
      '      uri: "postgresql://u@h/d"',
      '      sslmode: verify-ca',
      '      cacert: x',
      '      client_certificate: x',
      '      client_private_key: x',
      '      tls_servername: db',
      '      reject_ip_ranges: [local]',
      '      connect_timeout: 10',
      '      snapshot_socket_timeout: 30',
      '      debug_api: true',
      'client_auth:',
      '  jwks_uri: [https://example.com/jwks.json]',
      '  supabase: true',
      '  supabase_jwt_secret: s',
      '  block_local_jwks: true',
      '  jwks_reject_ip_ranges: [local]',
      'api: { tokens: [admin] }',
      'telemetry: { disable_telemetry_sharing: true, internal_service_endpoint: "https://example.com" }',
      'dev: { demo_auth: true }',
      'connection_report: { enabled: true }',
    ].join('\n');
    const { config, warnings } = parse(text);
    const paths = warnings.map((warning) => warning.split(': ')[0]);
    expect(paths).toEqual([
      'replication.connections[0].cacert',
      'replication.connections[0].client_certificate',
      'replication.connections[0].client_private_key',
      'replication.connections[0].tls_servername',
      'replication.connections[0].reject_ip_ranges',
      'replication.connections[0].connect_timeout',
      'replication.connections[0].sslmode',
      'replication.connections[0].snapshot_socket_timeout',
      'replication.connections[0].debug_api',
      'storage.cacert',
      'storage.uri',
      'storage.object_storage',
      'storage.default_storage_version',
      'client_auth.jwks_uri',
      'client_auth.supabase',
      'client_auth.supabase_jwt_secret',
      'client_auth.block_local_jwks',
      'client_auth.jwks_reject_ip_ranges',
      'api.tokens',
      'telemetry.internal_service_endpoint',
      'dev',
      'connection_report',
      'sync_config',
    ]);
    expect(warnings).toContain(
      'storage.default_storage_version: only storage version 2 is implemented by the reference service; using 2',
    );
    expect(warnings).toContain(
      'replication.connections[0].cacert: accepted but not implemented by the reference service; ignored',
    );
    expect(config.storage.defaultStorageVersion).toBe(2);
    expect(config.storage.sslmode).toBe('verify-full');
    expect(config.replication.connections[0]?.sslmode).toBe('verify-ca');
  });

  it('does not warn for storage version 2 or a supported URI sslmode', () => {
    const text = `storage: { type: postgresql, uri: "postgresql://u@h/d?sslmode=disable", default_storage_version: 2 }\nsync_config: { content: "bucket_definitions: {}" }`;
    expect(parse(text).warnings).toEqual([]);
  });

  it('passes YAML warnings on (unknown tags)', () => {
    const { warnings } = parse(`${STORAGE}\nsync_config: { content: !custom x }`);
    expect(warnings).toEqual([expect.stringMatching(/^YAML: .*!custom/)]);
  });
});
