import type http from 'node:http';
import path from 'node:path';
import type pg from 'pg';
import { ServiceError } from '../../errors/index.js';
import { ServiceMetrics, startSyncApi, type SyncApi } from '../api/index.js';
import { httpProbesEnabled, type LoadedServiceConfig, type RunnerMode } from '../config/index.js';
import { createLogger, type Logger } from '../logging/index.js';
import { lockTimingFromEnv, ReplicationEngine } from '../replication/index.js';
import { SyncConfig } from '../rules/index.js';
import { assertMigrated, createStoragePool, migrate } from '../storage/index.js';
import { startProbeServer } from './probe-server.js';
import { Probes } from './probes.js';

export interface RunningService {
  mode: RunnerMode;
  /** The bound HTTP port, when this mode listens. */
  port: number | undefined;
  /** The bound Prometheus port, when `telemetry.prometheus_port` is set. */
  metricsPort: number | undefined;
  probes: Probes;
  engine: ReplicationEngine | undefined;
  storage: pg.Pool;
  metrics: ServiceMetrics;
  /** Stops replication (releasing the lock), the listener and the pools. */
  stop(): Promise<void>;
}

export interface StartServiceOptions {
  log?: Logger;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts a runner as the service image does (service.md §6.1): `sync` replicates, `api` serves, `unified`
 * does both. Replicating modes migrate storage first unless `migrations.disable_auto_migration`; `api`
 * never migrates and refuses an outdated schema with a clear message.
 */
export async function startService(
  mode: RunnerMode,
  loaded: LoadedServiceConfig,
  options: StartServiceOptions = {},
): Promise<RunningService> {
  const { config } = loaded;
  const log = options.log ?? createLogger(config.system.logging);
  for (const warning of loaded.warnings) log.warn(warning);
  const replicates = mode !== 'api';

  const source = config.replication.connections[0];
  if (replicates && !source) {
    throw new ServiceError(
      'PSYNC_S3201',
      'replication.connections: a source connection is required to replicate',
    );
  }
  const syncContent = config.syncConfig?.content;
  if (replicates && syncContent === undefined) {
    throw new ServiceError(
      'PSYNC_S2302',
      'No sync config available: set sync_config.path or sync_config.content',
    );
  }
  // Fail at startup, not in the replication loop, on a sync config that does not parse.
  if (syncContent !== undefined) SyncConfig.parse(syncContent, { bucketIdPrefix: '0#' });

  const storage = createStoragePool(config.storage.connectionString, config.storage.maxPoolSize);
  let server: http.Server | undefined;
  let metricsServer: http.Server | undefined;
  let api: SyncApi | undefined;
  let engine: ReplicationEngine | undefined;
  let livenessTimer: NodeJS.Timeout | undefined;
  const stop = async () => {
    clearInterval(livenessTimer);
    // Streams end first (clients reconnect elsewhere), then replication releases its lock.
    await api?.stop();
    await engine?.stop();
    if (server && !api) await new Promise<void>((resolve) => server!.close(() => resolve()));
    if (metricsServer) await new Promise<void>((resolve) => metricsServer!.close(() => resolve()));
    await storage.end().catch(() => undefined);
  };
  try {
    if (replicates && !config.migrations.disableAutoMigration) {
      const result = await migrate(storage, 'up');
      if (result.applied.length > 0) log.info(`Storage migrated: ${result.applied.join(', ')}`);
    } else {
      await assertMigrated(storage);
    }
    const cwd = options.cwd ?? process.cwd();
    const probes = new Probes({
      hasReplication: replicates,
      filesystemDir: config.healthcheck.probes.filesystem ? path.join(cwd, '.probes') : undefined,
    });
    if (replicates) {
      engine = new ReplicationEngine({
        sourceUrl: source!.connectionString,
        storage,
        syncConfigContent: syncContent!,
        evaluatorFor: (stream) => SyncConfig.parse(stream.content, { bucketIdPrefix: `${stream.id}#` }),
        slotNamePrefix: source!.slotNamePrefix,
        timing: lockTimingFromEnv(options.env),
        heartbeatIntervalMs: source!.heartbeatIntervalSeconds * 1000,
        limits: {
          maxRecordCount: config.storage.batchLimits.maxRecordCount,
          maxEstimatedSize: config.storage.batchLimits.maxEstimatedSize,
        },
        log,
        touch: () => probes.touch(),
        errorBackoffMs: Number(options.env?.SYNCSCALE_REPLICATION_RETRY_MS ?? 30_000),
      });
      engine.start();
    } else {
      livenessTimer = setInterval(() => probes.touch(), 5_000).unref();
    }
    const metrics = new ServiceMetrics({
      replication: engine?.metrics,
      storageSizes: () => storageSizes(storage),
    });
    let metricsPort: number | undefined;
    if (config.telemetry.prometheusPort !== undefined) {
      metricsServer = await metrics.listen(config.telemetry.prometheusPort, config.host);
      const address = metricsServer.address();
      metricsPort = typeof address === 'object' && address ? address.port : undefined;
      log.info(`Metrics on http://${config.host}:${metricsPort}/metrics`);
    }
    if (mode !== 'sync') {
      api = await startSyncApi({ config, storage, probes, metrics, log });
      server = api.server;
      await listen(server, config.host, config.port);
    } else if (httpProbesEnabled(config.healthcheck.probes, mode)) {
      server = await startProbeServer(probes, config.host, config.port);
    }
    let port: number | undefined;
    if (server) {
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : undefined;
      log.info(`Listening on http://${config.host}:${port}`);
    }
    probes.ready();
    log.info(`Service started in ${mode} mode`);
    return { mode, port, metricsPort, probes, engine, storage, metrics, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

async function storageSizes(storage: pg.Pool) {
  const { rows } = await storage.query<{ replication: string; operations: string; parameters: string }>(
    `SELECT pg_total_relation_size('powersync.current_data') + pg_total_relation_size('powersync.source_tables')
              AS replication,
            pg_total_relation_size('powersync.bucket_data') + pg_total_relation_size('powersync.bucket_state')
              AS operations,
            pg_total_relation_size('powersync.bucket_parameters') AS parameters`,
  );
  const row = rows[0]!;
  return {
    replication: Number(row.replication),
    operations: Number(row.operations),
    parameters: Number(row.parameters),
  };
}
