import { ServiceError } from '../../errors/index.js';
import { resolvePostgresConnection, type RawPostgresConnection } from './postgres-connection.js';
import { resolveProbes } from './probes.js';
import type { RawServiceConfig } from './schema.js';
import type { PostgresConnection, ServiceConfig, SyncConfigSource } from './types.js';

/** The validated snake_case tree → the typed {@link ServiceConfig} (pure; validation already passed). */
export function toServiceConfig(
  raw: RawServiceConfig,
  syncConfig: SyncConfigSource | undefined,
): ServiceConfig {
  const { api, telemetry, storage } = raw;
  if (storage.type !== 'postgresql') throw new ServiceError('PSYNC_S0001', 'storage type was not validated');
  return {
    host: raw.host,
    port: raw.port,
    replication: {
      connections: raw.replication.connections.map((connection) => {
        if (connection.type !== 'postgresql')
          throw new ServiceError('PSYNC_S0001', 'source type was not validated');
        return {
          ...postgresConnection(connection),
          id: connection.id,
          tag: connection.tag,
          slotNamePrefix: connection.slot_name_prefix,
          maxPoolSize: connection.max_pool_size,
          heartbeatIntervalSeconds: connection.heartbeat_interval_seconds,
        };
      }),
    },
    storage: {
      ...postgresConnection(storage),
      maxPoolSize: storage.max_pool_size,
      defaultStorageVersion: 2,
      batchLimits: {
        maxRecordCount: storage.batch_limits.max_record_count,
        maxEstimatedSize: storage.batch_limits.max_estimated_size,
        maxCurrentDataBatchSize: storage.batch_limits.max_current_data_batch_size,
      },
    },
    syncConfig,
    clientAuth: { jwks: { keys: raw.client_auth.jwks.keys }, audience: raw.client_auth.audience },
    api: {
      tokens: api.tokens,
      compression: api.compression,
      parameters: {
        maxConcurrentConnections: api.parameters.max_concurrent_connections,
        maxDataFetchConcurrency: api.parameters.max_data_fetch_concurrency,
        maxBucketsPerConnection: api.parameters.max_buckets_per_connection,
        maxParameterQueryResults: api.parameters.max_parameter_query_results,
        checkpointRequestRetentionMinutes: api.parameters.checkpoint_request_retention_minutes,
        bucketCountCacheTtlMinutes: api.parameters.bucket_count_cache_ttl_minutes,
      },
    },
    telemetry: {
      prometheusPort: telemetry?.prometheus_port,
      disableTelemetrySharing: telemetry?.disable_telemetry_sharing ?? false,
    },
    migrations: { disableAutoMigration: raw.migrations.disable_auto_migration },
    healthcheck: { probes: resolveProbes(raw.healthcheck?.probes) },
    system: { logging: { level: raw.system.logging.level, format: raw.system.logging.format } },
    metadata: raw.metadata,
    parameters: raw.parameters,
  };
}

function postgresConnection(raw: RawPostgresConnection): PostgresConnection {
  const resolved = resolvePostgresConnection(raw);
  if (Array.isArray(resolved)) throw new ServiceError('PSYNC_S0001', 'connection was not validated');
  return resolved;
}
