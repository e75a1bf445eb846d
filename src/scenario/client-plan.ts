import type { ClientPlan } from './plan-types.js';
import type { ClientShape } from './types.js';

/** Expected concurrent clients of one phase's client shape, placed at `startMs`. */
export function clientPlan(shape: ClientShape, startMs: number, durationMs: number): ClientPlan {
  const endMs = startMs + durationMs;
  const base = { load: shape.load, transports: shape.transports };
  const load = shape.load;
  switch (load.kind) {
    case 'constant':
      return { ...base, ...flat(load.clients, startMs, endMs) };
    case 'ramp':
      return {
        ...base,
        start: load.from,
        end: load.to,
        peak: Math.max(load.from, load.to),
        points: [
          { atMs: startMs, clients: load.from },
          { atMs: endMs, clients: load.to },
        ],
      };
    case 'arrival_rate': {
      // Little's law: concurrency settles at rate × session once the first sessions start ending.
      const fillMs = Math.min(load.sessionMs, durationMs);
      const steady = Math.round((load.perSecond * fillMs) / 1000);
      const points = [
        { atMs: startMs, clients: 0 },
        { atMs: startMs + fillMs, clients: steady },
      ];
      if (fillMs < durationMs) points.push({ atMs: endMs, clients: steady });
      return { ...base, start: 0, end: steady, peak: steady, points, connectsPerSecond: load.perSecond };
    }
    case 'churn':
      return { ...base, ...flat(load.clients, startMs, endMs), connectsPerSecond: load.perSecond };
    case 'reconnect_storm':
      return { ...base, ...flat(load.clients, startMs, endMs), stormAtMs: startMs + load.atMs };
  }
}

function flat(clients: number, startMs: number, endMs: number): Omit<ClientPlan, 'load' | 'transports'> {
  return {
    start: clients,
    end: clients,
    peak: clients,
    points: [
      { atMs: startMs, clients },
      { atMs: endMs, clients },
    ],
  };
}

/** The client count a phase holds steady, when it holds one (constant, churn, reconnect storm). */
export function steadyClients(plan: ClientPlan): number | undefined {
  const kind = plan.load.kind;
  return kind === 'constant' || kind === 'churn' || kind === 'reconnect_storm' ? plan.peak : undefined;
}
