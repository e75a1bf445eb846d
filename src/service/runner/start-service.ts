import type http from 'node:http';
import path from 'node:path';
import type pg from 'pg';
import { ServiceError } from '../../errors/index.js';
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
  probes: Probes;
  engine: ReplicationEngine | undefined;
  storage: pg.Pool;
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
  let engine: ReplicationEngine | undefined;
  let livenessTimer: NodeJS.Timeout | undefined;
  const stop = async () => {
    clearInterval(livenessTimer);
    await engine?.stop();
    if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
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
    let port: number | undefined;
    if (httpProbesEnabled(config.healthcheck.probes, mode)) {
      server = await startProbeServer(probes, config.host, config.port);
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : undefined;
      log.info(`Listening on http://${config.host}:${port}`);
    }
    probes.ready();
    log.info(`Service started in ${mode} mode`);
    return { mode, port, probes, engine, storage, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
