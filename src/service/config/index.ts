export { loadServiceConfig, type LoadServiceConfigOptions } from './load-service-config.js';
export { parseServiceConfig, type ParseServiceConfigOptions } from './parse-service-config.js';
export { ConfigError, formatPath, type ConfigProblem } from './config-error.js';
export { parseDuration } from './duration.js';
export { httpProbesEnabled, resolveProbes } from './probes.js';
export { postgresConnectionString } from './postgres-connection.js';
export type { SyncConfigOverride } from './sync-config.js';
export type {
  ApiParameters,
  ClientAuthConfig,
  EcJwk,
  Jwk,
  LoadedServiceConfig,
  LoggingConfig,
  LogLevel,
  OctJwk,
  OkpJwk,
  PostgresConnection,
  ProbesConfig,
  RsaJwk,
  RunnerMode,
  ServiceConfig,
  SourceConnectionConfig,
  SslMode,
  StorageConfig,
  SyncConfigSource,
  TelemetryConfig,
} from './types.js';
