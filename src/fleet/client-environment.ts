import type http from 'node:http';
import type { SampleSink } from '../metrics/index.js';
import type { BackoffOptions } from './backoff.js';
import { ClientMetrics } from './client-metrics.js';
import type { ConnectGate } from './connect-gate.js';
import type { StampFloor } from './pending-stamps.js';
import type { SyncObserverFactory } from './sync-observer.js';
import type { ClientAuth } from './token-source.js';
import type { StreamCompression, Transport } from './transport/stream-transport.js';

/** Settings shared by a group of simulated clients (everything but the user). */
export interface ClientEnvironmentOptions {
  /** Base URL of the sync service, e.g. `http://127.0.0.1:8080`. */
  endpoint: string | URL;
  auth: ClientAuth;
  /** Where samples go. */
  sink: SampleSink;
  /** Default `http-ndjson`. */
  transport?: Transport;
  /** Tags on every sample (e.g. `{phase: 'ramp'}`); keep the set small. */
  tags?: Record<string, string>;
  /** Client parameters of the sync request (`request.parameters()`); default `{}`. */
  parameters?: Record<string, unknown>;
  /** Shared HTTP agent; default Node's global agent. */
  agent?: http.Agent;
  /** Bounds concurrent connection attempts; default unbounded. */
  gate?: ConnectGate;
  backoff?: BackoffOptions;
  /** Response headers (HTTP) or first payload (WebSocket) within this time; default 30 s. */
  connectTimeoutMs?: number;
  /**
   * A stream silent for this long is treated as dead (`timeout`) and reconnected; default 60 s (servers send
   * `token_expires_in` every ~20 s over HTTP and echo the 20-s KEEPALIVE over RSocket); 0 = off. Checked by
   * a fleet's one shared watchdog timer, not per client; a standalone client does not check it.
   */
  idleTimeoutMs?: number;
  /** How long `requestWriteCheckpoint()` waits for the checkpoint carrying it; default 60 s. */
  writeCheckpointTimeoutMs?: number;
  /** Default `syncscale-fleet/0.1`. */
  userAgent?: string;
  /** For tests: the jitter source. */
  random?: () => number;
  /** Sees every client's ops (drills); default none, so clients keep no row data. */
  observer?: SyncObserverFactory;
  /** What HTTP streams accept: `sdk` (default, gzip, deflate, br as the SDKs' fetch), `gzip` or `none`. */
  compression?: StreamCompression;
  /** Rows committed before `stampFloor.ms` are not timed end to end; default: every stamped row is. */
  stampFloor?: StampFloor;
}

/** The resolved, shared form: one object per group, referenced (not copied) by each client. */
export interface ClientEnvironment {
  readonly endpoint: URL;
  readonly auth: ClientAuth;
  readonly metrics: ClientMetrics;
  readonly transport: Transport;
  readonly parameters: Record<string, unknown>;
  readonly agent: http.Agent | undefined;
  readonly gate: ConnectGate | undefined;
  readonly backoff: BackoffOptions;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly writeCheckpointTimeoutMs: number;
  readonly userAgent: string;
  readonly random: () => number;
  readonly observer: SyncObserverFactory | undefined;
  readonly compression: StreamCompression;
}

export function createClientEnvironment(options: ClientEnvironmentOptions): ClientEnvironment {
  const endpoint = new URL(options.endpoint);
  if (endpoint.protocol !== 'http:' && endpoint.protocol !== 'https:') {
    throw new TypeError(`The endpoint must be an http(s) URL, got ${endpoint.href}`);
  }
  return {
    endpoint,
    auth: options.auth,
    metrics: new ClientMetrics(options.sink, options.tags, options.stampFloor),
    transport: options.transport ?? 'http-ndjson',
    parameters: options.parameters ?? {},
    agent: options.agent,
    gate: options.gate,
    backoff: options.backoff ?? {},
    connectTimeoutMs: options.connectTimeoutMs ?? 30_000,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    writeCheckpointTimeoutMs: options.writeCheckpointTimeoutMs ?? 60_000,
    userAgent: options.userAgent ?? 'syncscale-fleet/0.1',
    random: options.random ?? Math.random,
    observer: options.observer,
    compression: options.compression ?? 'sdk',
  };
}
