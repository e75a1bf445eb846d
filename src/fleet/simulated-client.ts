import { randomUUID } from 'node:crypto';
import { MetricName } from '../metrics/index.js';
import { Backoff } from './backoff.js';
import {
  createClientEnvironment,
  type ClientEnvironment,
  type ClientEnvironmentOptions,
} from './client-environment.js';
import { FleetErrorCode } from './error-codes.js';
import type { SyncLine } from './sync-lines.js';
import { LineOutcome, SyncSession } from './sync-session.js';
import { TokenSource } from './token-source.js';
import { openStream } from './transport/open-stream.js';
import type { StreamConnection, StreamHandler } from './transport/stream-transport.js';
import { fetchWriteCheckpoint, FleetRequestError } from './write-checkpoint.js';

/**
 * idle: not started · waiting: for a connect permit · connecting: token, handshake · streaming: stream open ·
 * backoff: waiting to reconnect · stopped: for good.
 */
export type ClientStatus = 'idle' | 'waiting' | 'connecting' | 'streaming' | 'backoff' | 'stopped';

export interface ClientIdentity {
  /** The user (`sub` of the token). */
  userId: string;
  /** Stable per simulated install; keys write checkpoints (`<sub>/<client_id>`). Default a random UUID. */
  clientId?: string;
  /** Aborting stops the client. */
  signal?: AbortSignal;
}

export interface ClientStats {
  status: ClientStatus;
  /** Streams opened (HTTP 200 / first RSocket payload). */
  connects: number;
  reconnects: number;
  checkpointsCompleted: number;
  checksumFailures: number;
  opsReceived: number;
  bytesReceived: number;
  errors: number;
  lastError: string | undefined;
}

/** A failed `connect`/stream attempt whose code is an auth failure: the next attempt gets a new token. */
const AUTH_ERROR = /^PSYNC_S21\d\d$/;

function reconnectNow(client: SimulatedClient): void {
  client.reconnect();
}

/**
 * One simulated device (protocol.md §13 "load-test client"): its own user and token, one sync stream over
 * HTTP (NDJSON or BSON) or RSocket, full checksum validation, resume from its per-bucket positions, jittered
 * backoff on failures, token refresh before expiry, write-checkpoint round trips. Idle, it holds its socket,
 * its bucket positions and checksums, and (over RSocket) one keepalive timer; nothing else runs.
 */
export class SimulatedClient {
  readonly userId: string;
  readonly clientId: string;
  private statusValue: ClientStatus = 'idle';
  private readonly session: SyncSession;
  private readonly tokens: TokenSource;
  private readonly backoff: Backoff;
  private stream: StreamConnection | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private holdsPermit = false;
  private attemptStartedAt = 0;
  /** Last bytes received on the open stream (`performance.now()`). */
  private lastActivityAt = 0;
  private readonly signal: AbortSignal | undefined;
  private connects = 0;
  private reconnects = 0;
  private bytesReceived = 0;
  private errors = 0;
  private lastError: string | undefined;

  /** A client with its own environment (for one-off use; fleets share one environment). */
  static create(options: ClientEnvironmentOptions & ClientIdentity): SimulatedClient {
    return new SimulatedClient(options, createClientEnvironment(options));
  }

  constructor(
    identity: ClientIdentity,
    private readonly env: ClientEnvironment,
  ) {
    this.userId = identity.userId;
    this.clientId = identity.clientId ?? randomUUID();
    this.session = new SyncSession(
      env.metrics,
      env.observer?.({ userId: this.userId, clientId: this.clientId }),
    );
    this.tokens = new TokenSource(env.auth, identity.userId);
    this.backoff = new Backoff(env.backoff, env.random);
    this.signal = identity.signal;
    if (this.signal) {
      if (this.signal.aborted) this.statusValue = 'stopped';
      else this.signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  get status(): ClientStatus {
    return this.statusValue;
  }

  /** True while a stream is open and has completed at least one checkpoint. */
  get synced(): boolean {
    return this.statusValue === 'streaming' && this.session.synced;
  }

  /** Starts syncing (no-op unless idle). */
  start(): void {
    if (this.statusValue === 'idle') this.connect();
  }

  /** Stops for good: no timer, socket or retry remains; pending write-checkpoint waits reject. */
  stop(): void {
    if (this.statusValue === 'stopped') return;
    this.statusValue = 'stopped';
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.closeStream();
    this.releasePermit();
    this.session.stop(new FleetRequestError('stopped', 'The client was stopped'));
    this.signal?.removeEventListener('abort', this.onAbort);
  }

  /** Destroys the current socket as a network failure would (reconnect storms, tests). */
  dropConnection(): void {
    this.stream?.drop();
  }

  /**
   * `GET /write-checkpoint2.json`, then waits for a completed checkpoint carrying that write checkpoint.
   * Resolves with (and records) the round trip in ms; rejects with a FleetRequestError (its `code` counted
   * in `errors`) on failure or after `writeCheckpointTimeoutMs`.
   */
  async requestWriteCheckpoint(): Promise<number> {
    if (this.statusValue === 'stopped') throw new FleetRequestError('stopped', 'The client was stopped');
    const startedAt = performance.now();
    const env = this.env;
    let target: string;
    try {
      const token = await this.tokens.get();
      target = await fetchWriteCheckpoint({
        endpoint: env.endpoint,
        token,
        clientId: this.clientId,
        agent: env.agent,
        userAgent: env.userAgent,
        timeoutMs: env.connectTimeoutMs,
      });
    } catch (error) {
      const code = error instanceof FleetRequestError ? error.code : FleetErrorCode.token;
      this.countError(code);
      throw error;
    }
    return this.session.awaitWriteCheckpoint(target, startedAt, env.writeCheckpointTimeoutMs, () =>
      this.countError(FleetErrorCode.writeCheckpointTimeout),
    );
  }

  /** Bucket → last applied checkpoint id (the `after` of the next request). */
  positions(): Map<string, string> {
    return this.session.state.positions();
  }

  stats(): ClientStats {
    return {
      status: this.statusValue,
      connects: this.connects,
      reconnects: this.reconnects,
      checkpointsCompleted: this.session.checkpointsCompleted,
      checksumFailures: this.session.checksumFailures,
      opsReceived: this.session.opsReceived,
      bytesReceived: this.bytesReceived,
      errors: this.errors,
      lastError: this.lastError,
    };
  }

  /** @internal Timer callback: the backoff delay is over. */
  reconnect(): void {
    this.retryTimer = undefined;
    if (this.statusValue !== 'backoff') return;
    this.reconnects++;
    this.env.metrics.add(MetricName.reconnects, 1);
    this.connect();
  }

  /** @internal Watchdog: an open stream silent for longer than `limitMs` is dropped as `timeout`. */
  checkIdle(now: number, limitMs: number): void {
    if (this.statusValue !== 'streaming' || now - this.lastActivityAt <= limitMs) return;
    this.closeStream();
    this.onFailure(FleetErrorCode.timeout);
  }

  /** @internal Connect-gate callback. */
  onPermit(): void {
    if (this.statusValue !== 'waiting') {
      this.env.gate?.release(); // stopped while queued
      return;
    }
    this.holdsPermit = true;
    this.statusValue = 'connecting';
    this.attemptStartedAt = performance.now();
    this.tokens.get().then(
      (token) => this.open(token),
      (error: unknown) => this.handler.onFailure(FleetErrorCode.token, String(error)),
    );
  }

  private connect(): void {
    this.statusValue = 'waiting';
    if (this.env.gate) this.env.gate.acquire(this);
    else this.onPermit();
  }

  private open(token: string): void {
    if (this.statusValue !== 'connecting') return;
    const env = this.env;
    this.session.streamStarted(this.attemptStartedAt);
    this.stream = openStream(
      env.transport,
      {
        endpoint: env.endpoint,
        token,
        body: {
          buckets: this.session.state.requestBuckets(),
          raw_data: true,
          client_id: this.clientId,
          parameters: env.parameters,
        },
        agent: env.agent,
        userAgent: env.userAgent,
        connectTimeoutMs: env.connectTimeoutMs,
        compression: env.compression,
      },
      this.handler,
    );
  }

  private readonly handler: StreamHandler = {
    onOpen: () => {
      this.lastActivityAt = performance.now();
      this.releasePermit();
      this.statusValue = 'streaming';
      this.connects++;
      this.env.metrics.add(MetricName.connectTime, performance.now() - this.attemptStartedAt);
    },
    onBytes: (count) => {
      this.lastActivityAt = performance.now();
      this.bytesReceived += count;
      this.env.metrics.add(MetricName.bytesReceived, count);
    },
    onLine: (line) => this.onLine(line),
    onFailure: (code) => this.onFailure(code),
  };

  private onLine(line: SyncLine): void {
    const expiresIn = (line as { token_expires_in?: unknown }).token_expires_in;
    if (typeof expiresIn === 'number') {
      if (this.tokens.dueAt(expiresIn)) this.refreshToken();
      return;
    }
    const outcome = this.session.handle(line);
    if (outcome === LineOutcome.Completed) this.backoff.reset();
    else if (outcome === LineOutcome.ChecksumFailed) {
      this.closeStream();
      this.countError(FleetErrorCode.checksum);
      this.scheduleReconnect();
    }
  }

  private onFailure(code: string): void {
    this.stream = undefined;
    this.releasePermit();
    if (this.statusValue === 'stopped') return;
    this.countError(code);
    if (AUTH_ERROR.test(code)) this.tokens.invalidate();
    this.scheduleReconnect();
  }

  /** The token is about to expire: reconnect now with a fresh one (a planned reconnect, not an error). */
  private refreshToken(): void {
    this.closeStream();
    this.tokens.invalidate();
    this.session.beforeReconnect();
    this.statusValue = 'backoff';
    this.reconnect();
  }

  private scheduleReconnect(): void {
    this.session.beforeReconnect();
    this.statusValue = 'backoff';
    this.retryTimer = setTimeout(reconnectNow, this.backoff.next(), this);
  }

  private closeStream(): void {
    this.stream?.close();
    this.stream = undefined;
  }

  private releasePermit(): void {
    if (!this.holdsPermit) return;
    this.holdsPermit = false;
    this.env.gate?.release();
  }

  private countError(code: string): void {
    this.errors++;
    this.lastError = code;
    this.env.metrics.error(code);
  }

  private readonly onAbort = (): void => this.stop();
}
