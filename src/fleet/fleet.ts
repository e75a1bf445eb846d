import http from 'node:http';
import https from 'node:https';
import {
  createClientEnvironment,
  type ClientEnvironment,
  type ClientEnvironmentOptions,
} from './client-environment.js';
import { ConnectGate } from './connect-gate.js';
import { onFleetClock } from './fleet-clock.js';
import type { StampFloor } from './pending-stamps.js';
import { SimulatedClient, type ClientStatus } from './simulated-client.js';
import type { Transport } from './transport/stream-transport.js';

export interface FleetOptions extends Omit<ClientEnvironmentOptions, 'agent' | 'gate'> {
  /** User id of the n-th client added (0-based, over the fleet's life); default `user-<n>`. */
  userId?: (index: number) => string;
  /** Client id of the n-th client; default `<prefix>-<n>` with a random prefix per fleet. */
  clientId?: (index: number) => string;
  /** At most this many connection attempts in flight (handshakes, not open streams); default unbounded. */
  maxConcurrentConnects?: number;
  /** Aborting stops every client. */
  signal?: AbortSignal;
}

/**
 * Per-`add` overrides: a different transport, parameters or tags for this batch of clients. Transport-only
 * overrides share one cached environment per transport; any other override creates one for the batch.
 */
export type FleetAddOptions = Partial<
  Pick<ClientEnvironmentOptions, 'transport' | 'parameters' | 'tags' | 'auth' | 'backoff'>
>;

export interface FleetSnapshot {
  clients: number;
  /** Streams open. */
  streaming: number;
  /** Streams open that completed a checkpoint. */
  synced: number;
  /** Waiting for a permit, or handshaking. */
  connecting: number;
  backoff: number;
  /** Connection attempts queued behind `maxConcurrentConnects`. */
  queued: number;
}

/** The fleet's one watchdog tick: drops streams silent for longer than the idle timeout. */
function sweepIdle(clients: Map<number, SimulatedClient>, idleMs: number): void {
  const now = performance.now();
  for (const client of clients.values()) client.checkIdle(now, idleMs);
}

/**
 * Many simulated clients in one process. They share one environment object per `add` batch, one HTTP agent
 * (keep-alive, unbounded sockets), one connect gate and one watchdog timer for silent streams; beyond that an
 * idle fleet runs no timer (HTTP clients none, RSocket clients their 20-s KEEPALIVE).
 */
export class Fleet {
  private readonly clients = new Map<number, SimulatedClient>();
  private readonly base: FleetOptions;
  private readonly defaultEnvironment: ClientEnvironment;
  private readonly byTransport = new Map<Transport, ClientEnvironment>();
  private readonly agent: http.Agent;
  private readonly gate: ConnectGate | undefined;
  private readonly clientPrefix = Math.random().toString(36).slice(2, 8);
  private nextIndex = 0;
  /** The highest index that may still be present. */
  private top = -1;
  private stopped = false;
  private readonly watchdog: NodeJS.Timeout | undefined;
  private readonly onAbort = (): void => this.stopAll();
  private readonly stampFloor: StampFloor = { ms: 0, offsetMs: 0 };

  constructor(options: FleetOptions) {
    this.base = { ...options, stampFloor: this.stampFloor };
    const secure = new URL(options.endpoint).protocol === 'https:';
    const agentOptions = {
      keepAlive: true,
      maxSockets: Infinity,
      maxFreeSockets: 64,
      scheduling: 'lifo' as const,
    };
    this.agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    const limit = options.maxConcurrentConnects;
    this.gate =
      limit !== undefined && Number.isFinite(limit) ? new ConnectGate(Math.max(1, limit)) : undefined;
    this.defaultEnvironment = this.environment({});
    const idleMs = this.defaultEnvironment.idleTimeoutMs;
    if (idleMs > 0) {
      this.watchdog = setInterval(sweepIdle, Math.max(1000, idleMs / 4), this.clients, idleMs).unref();
    }
    if (options.signal?.aborted) this.stopped = true;
    else options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * From now on, rows committed before `ms` (epoch) are not timed end to end: a phase's e2e samples are rows
   * its own writers committed after it began. Rows older than that are counted (`e2e_earlier_rows`).
   */
  measureRowsFrom(ms: number): void {
    this.stampFloor.ms = onFleetClock(ms) - this.stampFloor.offsetMs;
  }

  /**
   * The fleet's clock minus the source database's (`measureClockOffset`): taken out of every end-to-end
   * latency, whose row stamps are the database's clock.
   */
  setClockOffset(offsetMs: number): void {
    this.stampFloor.offsetMs = offsetMs;
  }

  /** Creates and starts `count` clients; returns them. */
  add(count: number, overrides: FleetAddOptions = {}): SimulatedClient[] {
    if (this.stopped) return [];
    const env = this.environmentFor(overrides);
    const added: SimulatedClient[] = [];
    for (let i = 0; i < count; i++) {
      const index = this.nextIndex++;
      this.top = index;
      const client = new SimulatedClient(
        {
          userId: this.base.userId ? this.base.userId(index) : `user-${index}`,
          clientId: this.base.clientId ? this.base.clientId(index) : `${this.clientPrefix}-${index}`,
        },
        env,
      );
      this.clients.set(index, client);
      added.push(client);
      client.start();
    }
    return added;
  }

  /**
   * Stops and forgets `count` clients, the most recently added first (or the oldest); returns how many.
   * Costs O(count), plus (newest first) the gaps left by earlier removals, each skipped once.
   */
  remove(count: number, which: 'newest' | 'oldest' = 'newest'): number {
    let removed = 0;
    if (which === 'oldest') {
      for (const [index, client] of this.clients) {
        if (removed >= count) break;
        client.stop();
        this.clients.delete(index);
        removed++;
      }
      return removed;
    }
    // Indexes above `top` are all gone, so the walk down skips each removal's gap only once.
    while (removed < count && this.clients.size > 0 && this.top >= 0) {
      const client = this.clients.get(this.top);
      if (client) {
        client.stop();
        this.clients.delete(this.top);
        removed++;
      }
      this.top--;
    }
    return removed;
  }

  /** Stops every client and closes the shared agent's idle sockets; the fleet accepts no new clients. */
  stopAll(): void {
    this.stopped = true;
    clearInterval(this.watchdog);
    for (const client of this.clients.values()) client.stop();
    this.clients.clear();
    this.agent.destroy();
    this.base.signal?.removeEventListener('abort', this.onAbort);
  }

  get size(): number {
    return this.clients.size;
  }

  /** The clients, oldest first. */
  list(): IterableIterator<SimulatedClient> {
    return this.clients.values();
  }

  /** Counts by state (one pass over the clients). */
  snapshot(): FleetSnapshot {
    const counts: Record<ClientStatus, number> = {
      idle: 0,
      waiting: 0,
      connecting: 0,
      streaming: 0,
      backoff: 0,
      stopped: 0,
    };
    let synced = 0;
    for (const client of this.clients.values()) {
      counts[client.status]++;
      if (client.synced) synced++;
    }
    return {
      clients: this.clients.size,
      streaming: counts.streaming,
      synced,
      connecting: counts.waiting + counts.connecting + counts.idle,
      backoff: counts.backoff,
      queued: this.gate?.waiting ?? 0,
    };
  }

  /** The default environment, one cached per transport for transport-only overrides, else a new one. */
  private environmentFor(overrides: FleetAddOptions): ClientEnvironment {
    const keys = Object.keys(overrides).filter(
      (key) => overrides[key as keyof FleetAddOptions] !== undefined,
    );
    if (keys.length === 0) return this.defaultEnvironment;
    if (keys.length === 1 && overrides.transport !== undefined) {
      let env = this.byTransport.get(overrides.transport);
      if (!env) {
        env = this.environment({ transport: overrides.transport });
        this.byTransport.set(overrides.transport, env);
      }
      return env;
    }
    return this.environment(overrides);
  }

  private environment(overrides: FleetAddOptions): ClientEnvironment {
    return createClientEnvironment({ ...this.base, ...overrides, agent: this.agent, gate: this.gate });
  }
}
