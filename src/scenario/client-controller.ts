import type { Transport } from '../fleet/index.js';

/** A group of clients the controller sizes: an in-process Fleet or a WorkerFleet. */
export interface ClientPool {
  readonly size: number;
  add(count: number, overrides: { transport?: Transport }): unknown;
  remove(count: number, which?: 'newest' | 'oldest'): number;
  /** Rows committed before `ms` are not timed end to end (see `Fleet.measureRowsFrom`). */
  measureRowsFrom?(ms: number): void;
  /** The fleet's clock minus the source database's (see `Fleet.setClockOffset`). */
  setClockOffset?(ms: number): void;
}
import type { ClientShape } from './types.js';

/**
 * Turns a phase's client shape into fleet adds and removes, one step per tick. Clients are spread over the
 * API endpoints round robin (a load balancer) and over transports by their shares.
 */
export class ClientController {
  private readonly sessions: Array<{ fleet: ClientPool; until: number }> = [];
  private nextFleet = 0;
  private transportCursor = 0;
  private stormDone = false;

  constructor(
    private readonly fleets: ClientPool[],
    private readonly shape: ClientShape,
    private readonly durationMs: number,
  ) {}

  /** Connected clients across all fleets. */
  get clients(): number {
    return this.fleets.reduce((sum, fleet) => sum + fleet.size, 0);
  }

  /** Brings the fleet to the shape's target for `elapsedMs` into the phase; `stepMs` is the tick length. */
  tick(elapsedMs: number, stepMs: number): void {
    const load = this.shape.load;
    switch (load.kind) {
      case 'constant':
        return this.resize(load.clients);
      case 'ramp': {
        const progress = Math.min(1, Math.max(0, elapsedMs / this.durationMs));
        return this.resize(Math.round(load.from + (load.to - load.from) * progress));
      }
      case 'churn': {
        this.resize(load.clients);
        const replaced = Math.round((load.perSecond * stepMs) / 1000);
        this.removeOldest(replaced);
        return this.add(replaced);
      }
      case 'reconnect_storm':
        this.resize(load.clients);
        if (!this.stormDone && elapsedMs >= load.atMs) {
          this.stormDone = true;
          const count = this.clients;
          this.removeOldest(count);
          this.add(count);
        }
        return;
      case 'arrival_rate': {
        const now = Date.now();
        while (this.sessions.length > 0 && this.sessions[0]!.until <= now) {
          this.sessions.shift()!.fleet.remove(1);
        }
        const arrivals = Math.round((load.perSecond * stepMs) / 1000);
        for (let i = 0; i < arrivals; i++) {
          const fleet = this.addOne();
          if (fleet) this.sessions.push({ fleet, until: now + load.sessionMs });
        }
        return;
      }
    }
  }

  private resize(target: number): void {
    const current = this.clients;
    if (target > current) this.add(target - current);
    else if (target < current) this.removeOldest(current - target);
  }

  private add(count: number): void {
    for (let i = 0; i < count; i++) this.addOne();
  }

  private addOne(): ClientPool | undefined {
    const fleet = this.fleets[this.nextFleet++ % this.fleets.length];
    if (!fleet) return undefined;
    fleet.add(1, { transport: this.pickTransport() });
    return fleet;
  }

  private removeOldest(count: number): void {
    // The longest-connected go first (churn, storms); spread over the fleets evenly.
    let remaining = count;
    while (remaining > 0 && this.clients > 0) {
      for (const fleet of this.fleets) {
        if (remaining === 0) break;
        remaining -= fleet.remove(1, 'oldest');
      }
    }
  }

  /** Deterministic spread by share: the transport whose share is most under-represented so far. */
  private pickTransport(): Transport {
    const shares = this.shape.transports;
    if (shares.length === 1) return shares[0]!.transport;
    const position = (this.transportCursor++ % 100) / 100;
    let cumulative = 0;
    for (const share of shares) {
      cumulative += share.share;
      if (position < cumulative) return share.transport;
    }
    return shares[shares.length - 1]!.transport;
  }
}
