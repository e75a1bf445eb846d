/**
 * The validated, defaulted service configuration. Field names are the YAML keys in camelCase
 * (`heartbeat_interval_seconds` → `heartbeatIntervalSeconds`); JWKs keep their standard member names.
 */
export interface ServiceConfig {
  /** Listen address of the API (reference-service extension; default `127.0.0.1`). */
  host: string;
  /** API port (default 8080; 0 picks a free port). */
  port: number;
  replication: { connections: SourceConnectionConfig[] };
  storage: StorageConfig;
  /** The sync config to deploy, or undefined when none is configured. */
  syncConfig: SyncConfigSource | undefined;
  clientAuth: ClientAuthConfig;
  /** `compression`: gzip for sync streams when the client accepts it (reference-service extension, default true). */
  api: { parameters: ApiParameters; tokens: string[]; compression: boolean };
  telemetry: TelemetryConfig;
  migrations: { disableAutoMigration: boolean };
  healthcheck: { probes: ProbesConfig };
  system: { logging: LoggingConfig };
  metadata: Record<string, string>;
  parameters: Record<string, string | number | boolean | null>;
}

export type SslMode = 'verify-full' | 'verify-ca' | 'disable';

/** A Postgres connection with `uri` and the separate keys merged (separate keys win). */
export interface PostgresConnection {
  type: 'postgresql';
  /** `postgresql://user:password@host:port/database?sslmode=…`, ready for `pg`. */
  connectionString: string;
  hostname: string;
  port: number;
  database: string;
  username: string;
  password: string | undefined;
  sslmode: SslMode;
}

/** `replication.connections[n]`. */
export interface SourceConnectionConfig extends PostgresConnection {
  /** Default `default`. */
  id: string;
  /** Default `default`. */
  tag: string;
  /** Default `powersync_`. */
  slotNamePrefix: string;
  maxPoolSize: number | undefined;
  /** 5–60, default 60. */
  heartbeatIntervalSeconds: number;
}

/** `storage` (Postgres bucket storage only). */
export interface StorageConfig extends PostgresConnection {
  /** Default 8. */
  maxPoolSize: number;
  /** Always 2 for the reference service. */
  defaultStorageVersion: number;
  batchLimits: {
    /** Default 2000. */
    maxRecordCount: number;
    /** Bytes, default 5 MB. */
    maxEstimatedSize: number;
    /** Bytes, default 50 MB. */
    maxCurrentDataBatchSize: number;
  };
}

/** The sync config text and where it came from. */
export interface SyncConfigSource {
  content: string;
  /** Absolute path of the file it was read from; undefined for inline or base64 content. */
  path?: string;
  /** `sync_config.exit_on_error`, default true. */
  exitOnError: boolean;
}

export interface OctJwk {
  kty: 'oct';
  kid?: string;
  k: string;
  alg: 'HS256' | 'HS384' | 'HS512';
  use?: string;
}
export interface RsaJwk {
  kty: 'RSA';
  kid: string;
  n: string;
  e: string;
  alg?: 'RS256' | 'RS384' | 'RS512';
  use?: string;
}
export interface EcJwk {
  kty: 'EC';
  kid?: string;
  crv: 'P-256' | 'P-384' | 'P-521';
  x: string;
  y: string;
  alg?: 'ES256' | 'ES384' | 'ES512';
  use?: string;
}
export interface OkpJwk {
  kty: 'OKP';
  kid?: string;
  crv: 'Ed25519' | 'Ed448';
  x: string;
  alg?: 'EdDSA';
  use?: string;
}
/** A public (or shared-secret) JSON Web Key as accepted by `jose`'s `importJWK`. */
export type Jwk = OctJwk | RsaJwk | EcJwk | OkpJwk;

export interface ClientAuthConfig {
  jwks: { keys: Jwk[] };
  /** Accepted `aud` values. */
  audience: string[];
}

/** `api.parameters` (service.md §7). */
export interface ApiParameters {
  maxConcurrentConnections: number;
  maxDataFetchConcurrency: number;
  maxBucketsPerConnection: number;
  maxParameterQueryResults: number;
  checkpointRequestRetentionMinutes: number;
  bucketCountCacheTtlMinutes: number;
}

export interface TelemetryConfig {
  /** Prometheus exporter port; undefined = no exporter. */
  prometheusPort: number | undefined;
  disableTelemetrySharing: boolean;
}

/**
 * Effective probe mechanisms (service.md §8.1). `legacy` (no `healthcheck.probes` block, or `use_legacy:
 * true`) means filesystem probes always plus HTTP probes in `api`/`unified` mode: use
 * {@link httpProbesEnabled} to decide for a runner mode.
 */
export interface ProbesConfig {
  legacy: boolean;
  /** HTTP probes explicitly enabled (`use_http: true`). */
  http: boolean;
  filesystem: boolean;
}

export type LogLevel = 'silly' | 'debug' | 'verbose' | 'info' | 'warn' | 'error';

export interface LoggingConfig {
  /** Default `info`. */
  level: LogLevel;
  /** Default `text`. */
  format: 'json' | 'text';
}

export type RunnerMode = 'api' | 'sync' | 'unified';

/** What {@link loadServiceConfig} and {@link parseServiceConfig} return. */
export interface LoadedServiceConfig {
  config: ServiceConfig;
  /** Keys accepted but not implemented by the reference service, deprecations, YAML warnings. */
  warnings: string[];
  /** Where the configuration came from: a file path, `env:POWERSYNC_CONFIG_B64`, `option:configBase64`... */
  source: string;
}
