import { getEventListeners } from 'node:events';
import type http from 'node:http';
import pg from 'pg';
import type { ServiceConfig } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { normaliseLsn } from '../replication/index.js';
import { SyncConfig } from '../rules/index.js';
import type { Probes } from '../runner/probes.js';
import { createWriteCheckpoint, getSyncRules } from '../storage/index.js';
import { tokenFromAuthorizationHeader, TokenVerifier } from './auth/index.js';
import { CheckpointBroadcaster } from './checkpoints/checkpoint-broadcaster.js';
import { ChecksumCache } from './checkpoints/checksum-cache.js';
import { createApiServer } from './http/api-server.js';
import type { ApiMetrics } from './metrics/api-metrics.js';
import { handleRSocketConnection } from './rsocket/index.js';
import { registeredForShutdown } from './shutdown-registry.js';
import { costKnobFrom, startBaselineCpu } from './sync/cost-knob.js';
import { Semaphore } from './sync/semaphore.js';
import { SharedDataReader } from './sync/shared-data-reader.js';
import { OPS_PER_READ, SyncStream } from './sync/sync-stream.js';
import type { SyncStreamRunner } from './sync/stream-types.js';

export interface SyncApi {
  server: http.Server;
  broadcaster: CheckpointBroadcaster;
  /** Ends every stream (clients reconnect elsewhere) and closes the listener and connections. */
  stop(): Promise<void>;
}

/** Wires the sync API of one process: one checkpoint listener, one checksum cache, one fetch semaphore. */
export async function startSyncApi(options: {
  config: ServiceConfig;
  storage: pg.Pool;
  probes: Probes;
  metrics: ApiMetrics;
  log: Logger;
}): Promise<SyncApi> {
  const { config, storage, log, metrics } = options;
  // Streams wait for shutdown through one registry listener (shutdown-registry.ts), not one listener each.
  const shutdown = new AbortController();
  const verifier = await TokenVerifier.create(config.clientAuth);
  const broadcaster = new CheckpointBroadcaster(config.storage.connectionString, storage, log);
  const checksums = new ChecksumCache(storage);
  const data = new SharedDataReader(storage, new Semaphore(config.api.parameters.maxDataFetchConcurrency));
  // Checksums and ops of the changed buckets are read once, before the streams are told of a checkpoint.
  broadcaster.prepare((update) =>
    checksums.prepare(update.checkpoint.syncRulesId, update.checkpoint.checkpoint, update.changedBuckets),
  );
  broadcaster.prepare((update) =>
    data.prepare(
      update.checkpoint.syncRulesId,
      update.checkpoint.checkpoint,
      update.previous,
      update.changedBuckets,
      OPS_PER_READ,
    ),
  );
  await broadcaster.start();
  // Listeners open streams hold on process-wide emitters: back to its idle value when they close.
  metrics.watchListeners?.(
    () =>
      broadcaster.subscriberCount +
      registeredForShutdown(shutdown.signal) +
      getEventListeners(shutdown.signal, 'abort').length,
  );
  const configs = new Map<number, Promise<SyncConfig>>();
  const syncConfig = (id: number) => {
    let parsed = configs.get(id);
    if (!parsed) {
      parsed = getSyncRules(storage, id).then((record) =>
        SyncConfig.parse(record!.content, { bucketIdPrefix: `${id}#` }),
      );
      configs.set(id, parsed);
    }
    return parsed;
  };
  const runStream: SyncStreamRunner = (ctx) =>
    new SyncStream(
      {
        storage,
        broadcaster,
        checksums,
        data,
        syncConfig,
        maxBucketsPerConnection: config.api.parameters.maxBucketsPerConnection,
        maxParameterQueryResults: config.api.parameters.maxParameterQueryResults,
        onOpsSynced: (count) => metrics.opsSynced(count),
      },
      ctx,
    ).run();

  const sourceUrl = config.replication.connections[0]?.connectionString;
  const source = sourceUrl ? new pg.Pool({ connectionString: sourceUrl, max: 2 }) : undefined;
  source?.on('error', () => undefined);
  source?.on('connect', (client) => client.on('error', () => undefined));
  const authenticate = (authorization: string | undefined) =>
    verifier.verify(tokenFromAuthorizationHeader(authorization));

  let openWebSockets = 0;
  const server = createApiServer({
    authenticate,
    runStream,
    // None known yet: re-read storage before answering PSYNC_S2302, in case the notification is still on its
    // way (replication has just activated the first sync config).
    hasActiveSyncConfig: async () => {
      if (broadcaster.current === null) await broadcaster.refresh();
      return broadcaster.current !== null;
    },
    probes: options.probes,
    metrics,
    maxConcurrentConnections: config.api.parameters.maxConcurrentConnections,
    compression: config.api.compression,
    shutdownSignal: shutdown.signal,
    log,
    async createWriteCheckpoint(userKey) {
      if (!source) throw new Error('No source connection configured for write checkpoints');
      const { rows } = await source.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
      const value = await createWriteCheckpoint(storage, userKey, normaliseLsn(rows[0]!.lsn));
      // A source-side marker past the head, so replication sees a position beyond it promptly.
      await source.query("SELECT pg_logical_emit_message(false, 'powersync', 'ping')");
      return value;
    },
    onWebSocket(ws, socket) {
      openWebSockets++;
      ws.once('close', () => openWebSockets--);
      handleRSocketConnection(ws, {
        socket,
        authenticate,
        runStream,
        admit: () => openWebSockets <= config.api.parameters.maxConcurrentConnections,
        onStreamOpen: () => metrics.connectionOpened(),
        onStreamClose: () => metrics.connectionClosed(),
        shutdownSignal: shutdown.signal,
        log,
      });
    },
  });

  // Test-only: a fixed CPU baseline, as the real service's runtime has (cost-knob.ts).
  const stopBaselineCpu = startBaselineCpu(costKnobFrom(process.env));
  return {
    server,
    broadcaster,
    async stop() {
      stopBaselineCpu?.();
      shutdown.abort();
      await broadcaster.stop();
      await source?.end().catch(() => undefined);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
