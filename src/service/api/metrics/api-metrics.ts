import http from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { SYNCSCALE_VERSION } from '../../../version.js';
import type { ReplicationMetrics } from '../../replication/index.js';

export interface StorageSizes {
  replication: number;
  operations: number;
  parameters: number;
}

/** The sync API's counters (service.md §8.2 names). */
export interface ApiMetrics {
  connectionOpened(): void;
  connectionClosed(): void;
  /** Bytes of encoded sync lines, before compression. */
  bytesSynced(bytes: number): void;
  /** Bytes written to the socket (after compression, if any). */
  bytesSent(bytes: number): void;
  opsSynced(count: number): void;
  /** Reports listeners held on process-wide emitters (`syncscale_stream_listeners`): a leak grows it. */
  watchListeners?(read: () => number): void;
}

/**
 * The process's Prometheus registry: `powersync_*` metrics of its mode plus process CPU, memory, heap and
 * event-loop delay from prom-client's default collectors.
 */
export class ServiceMetrics implements ApiMetrics {
  readonly registry = new Registry();
  private readonly connections: Gauge;
  private readonly synced: Counter;
  private readonly sent: Counter;
  private readonly ops: Counter;

  constructor(
    options: { replication?: ReplicationMetrics; storageSizes?: () => Promise<StorageSizes> } = {},
  ) {
    collectDefaultMetrics({ register: this.registry });
    // As the real service's OpenTelemetry exporter: the service's name and version as target_info labels.
    new Gauge({
      name: 'target_info',
      help: 'Target metadata',
      labelNames: ['service_name', 'service_version'],
      registers: [this.registry],
    }).set({ service_name: 'syncscale-reference-service', service_version: SYNCSCALE_VERSION }, 1);
    this.connections = new Gauge({
      name: 'powersync_concurrent_connections',
      help: 'Open sync streams (HTTP and each RSocket stream)',
      registers: [this.registry],
    });
    this.connections.set(0);
    this.synced = new Counter({
      name: 'powersync_data_synced_bytes_total',
      help: 'Uncompressed bytes of sync lines sent',
      registers: [this.registry],
    });
    this.sent = new Counter({
      name: 'powersync_data_sent_bytes_total',
      help: 'Bytes sent after compression',
      registers: [this.registry],
    });
    this.ops = new Counter({
      name: 'powersync_operations_synced_total',
      help: 'Operations sent to clients',
      registers: [this.registry],
    });
    if (options.storageSizes) this.registerStorageGauges(options.storageSizes);
    const replication = options.replication;
    if (replication) {
      const counter = (name: string, help: string, read: () => number) =>
        new Gauge({
          name,
          help,
          registers: [this.registry],
          collect() {
            this.set(read());
          },
        });
      counter('powersync_rows_replicated_total', 'Source rows replicated', () => replication.rows);
      counter(
        'powersync_transactions_replicated_total',
        'Source transactions replicated',
        () => replication.transactions,
      );
      counter('powersync_chunks_replicated_total', 'Storage batches written', () => replication.chunks);
      counter(
        'powersync_data_replicated_bytes_total',
        'Bytes of row data replicated',
        () => replication.bytes,
      );
      new Gauge({
        name: 'powersync_replication_lag_seconds',
        help: 'Source commit to storage commit of the last replicated change',
        registers: [this.registry],
        collect() {
          if (replication.lagSeconds !== null) this.set(replication.lagSeconds);
        },
      });
    }
  }

  private registerStorageGauges(read: () => Promise<StorageSizes>): void {
    // Refreshed at most once a minute, as the real service does: a size query per scrape would be wasteful.
    let cached: { at: number; sizes: Promise<StorageSizes> } | undefined;
    const sizes = () => {
      if (!cached || Date.now() - cached.at > 60_000) cached = { at: Date.now(), sizes: read() };
      return cached.sizes;
    };
    const gauge = (name: string, help: string, pick: (s: StorageSizes) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          this.set(pick(await sizes()));
        },
      });
    gauge(
      'powersync_replication_storage_size_bytes',
      'Bucket storage: current data and source tables',
      (s) => s.replication,
    );
    gauge('powersync_operation_storage_size_bytes', 'Bucket storage: bucket operations', (s) => s.operations);
    gauge('powersync_parameter_storage_size_bytes', 'Bucket storage: parameter index', (s) => s.parameters);
  }

  watchListeners(read: () => number): void {
    new Gauge({
      name: 'syncscale_stream_listeners',
      help: 'Listeners that open streams hold on process-wide emitters (reference service only; a leak grows it)',
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  connectionOpened(): void {
    this.connections.inc();
  }
  connectionClosed(): void {
    this.connections.dec();
  }
  bytesSynced(bytes: number): void {
    this.synced.inc(bytes);
  }
  bytesSent(bytes: number): void {
    this.sent.inc(bytes);
  }
  opsSynced(count: number): void {
    this.ops.inc(count);
  }

  /** Serves `/metrics` on 127.0.0.1 (or the given host) and the given port. */
  async listen(port: number, host = '127.0.0.1'): Promise<http.Server> {
    const server = http.createServer(async (req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': this.registry.contentType });
      res.end(await this.registry.metrics());
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  }
}
