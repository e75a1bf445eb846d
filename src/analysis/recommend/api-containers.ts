import type { Prediction } from '../fits/fit-types.js';
import type { ObjectiveBound } from './objective-bounds.js';

export type LimitName =
  'connection-cap' | 'memory' | 'cpu' | 'latency' | 'e2e-latency' | 'first-checkpoint-latency';

export interface ApiLimit {
  name: LimitName;
  /** API containers this limit needs (before the HA rule); null when the limit could not be computed. */
  containers: number | null;
  /**
   * The most connections one container takes under this limit, held to the 95 % band's high edge (the safe
   * figure used for sizing); null when unknown or none fit.
   */
  maxConnectionsPerContainer: number | null;
  /**
   * The same limit at the predicted value (central) and at the band's low edge (optimistic). A figure that
   * reached the search's end (100 × the design load) is left out and `openBand` says so: it is where the
   * search stopped, not a limit.
   */
  central?: number;
  optimistic?: number;
  openBand?: boolean;
  /** What the limit compares: e.g. 'predicted RSS high band ≤ 0.7 × 1024 MB'. */
  rule: string;
  note?: string;
}

export interface ApiSizingInput {
  /** Connections to size for (peak × (1 + headroom)). */
  designConnections: number;
  cap: number;
  shape: { cpu: number; memoryMb: number };
  targetUtilisation: number;
  memory?: (connections: number) => Prediction | null;
  cpu?: (connections: number) => Prediction | null;
  latency?: (connections: number) => Prediction | null;
  latencyObjectiveMs?: number;
  ha: { nPlusOne: boolean; minContainers: number };
  /** Why the memory / cpu / latency predictor is missing (a refused fit), for the limit's note. */
  missing?: Partial<Record<LimitName, string>>;
  /** Most connections per process the run measured; limits beyond it are marked extrapolated. */
  measuredMaxPerContainer?: number;
  /** Each latency objective against the measured levels (empirical bounds, fits kept inside them). */
  objectives?: ObjectiveBound[];
  /** Cores one API process can use (one event loop + helpers): the CPU budget is u × min(vCPUs, this). */
  ceiling?: { cores: number; text: string };
}

export interface ApiSizing {
  containers: number;
  /** Containers the binding limit needs before the HA rule. */
  baseContainers: number;
  binding: LimitName;
  /** Containers the HA rule added on top of the binding limit. */
  haAdded: number;
  /** Connections per container at peak with every container up, and with one down. */
  connectionsPerContainer: number;
  connectionsPerContainerOneDown: number;
  limits: ApiLimit[];
}

/**
 * Largest m in [1, upper] with predict(m)[edge] ≤ budget (predictions rise with m); 0 when even 1 fails.
 * `edge` high (default) is the safe limit; value and low give the central and optimistic ones.
 */
export function maxWithin(
  predict: (x: number) => Prediction | null,
  budget: number,
  upper: number,
  edge: 'high' | 'value' | 'low' = 'high',
): number | null {
  const ok = (m: number) => {
    const p = predict(m);
    return p ? p[edge] <= budget : null;
  };
  const first = ok(1);
  if (first === null) return null;
  if (!first) return 0;
  if (ok(upper)) return upper;
  let lo = 1;
  let hi = upper;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) lo = mid;
    else hi = mid;
  }
  return lo;
}

function predictedLimit(
  name: LimitName,
  predict: ((x: number) => Prediction | null) | undefined,
  budget: number | undefined,
  rule: string,
  input: ApiSizingInput,
): ApiLimit {
  const reason = input.missing?.[name];
  if (!predict || budget === undefined)
    return {
      name,
      containers: null,
      maxConnectionsPerContainer: null,
      rule,
      note: reason ?? 'no prediction',
    };
  // Searched up to 100 × the design load: a limit beyond the load still says how much room a container has.
  const upper = Math.max(1, input.designConnections) * 100;
  const m = maxWithin(predict, budget, upper);
  if (m === null)
    return {
      name,
      containers: null,
      maxConnectionsPerContainer: null,
      rule,
      note: reason ?? 'no prediction',
    };
  if (m === 0) {
    // The band's high edge is over budget at one connection: either the shape is too small, or the fit is
    // too uncertain to bound anything. The central estimate decides which, and says so.
    const central = maxWithin(predict, budget, upper, 'value');
    if (!central)
      return {
        name,
        containers: null,
        maxConnectionsPerContainer: 0,
        rule,
        note: 'not even one connection fits this container shape',
      };
    return {
      name,
      containers: Math.ceil(input.designConnections / central),
      maxConnectionsPerContainer: central,
      central,
      rule,
      note: `the 95 % band is too wide to bound it (its high edge exceeds the budget even at one connection): the central estimate is used — run syncscale verify${
        input.measuredMaxPerContainer !== undefined && central > input.measuredMaxPerContainer
          ? `; extrapolated: ${central} connections per container is beyond the ${input.measuredMaxPerContainer} measured`
          : ''
      }`,
    };
  }
  const measured = input.measuredMaxPerContainer;
  const central = maxWithin(predict, budget, upper, 'value') ?? undefined;
  const optimistic = maxWithin(predict, budget, upper, 'low') ?? undefined;
  return {
    name,
    containers: Math.ceil(input.designConnections / m),
    maxConnectionsPerContainer: m,
    ...(central !== undefined && central < upper ? { central } : {}),
    ...(optimistic !== undefined && optimistic < upper ? { optimistic } : {}),
    // The low edge fits at least as many as the central value: the band is open as soon as it is.
    ...(optimistic === upper ? { openBand: true } : {}),
    rule,
    ...(measured !== undefined && m > measured
      ? { note: `extrapolated: ${m} connections per container is beyond the ${measured} measured` }
      : {}),
  };
}

/** How the configured connection cap compares with the measured limit: a warning, never the answer. */
export interface CapCheck {
  cap: number;
  measuredLimit: number | null;
  warning?: string;
}

/**
 * API containers from the measured limits (memory at the container's budget, CPU at target utilisation,
 * checkpoint latency at its objective): the smallest connections-per-container among them binds, then N+1
 * and the minimum count. The configured `max_concurrent_connections` is not a limit here — a recommendation
 * that divides the load by it restates the configuration — but is compared with the measured limit and
 * warned about. Only when no limit could be measured does the cap bind, and the note says so.
 */
export function sizeApiContainers(
  input: ApiSizingInput,
):
  | (ApiSizing & { capCheck: CapCheck; recommendedCap: number | null })
  | { infeasible: string; limits: ApiLimit[] } {
  const u = input.targetUtilisation;
  const measured: ApiLimit[] = [
    predictedLimit(
      'memory',
      input.memory,
      u * input.shape.memoryMb,
      `predicted RSS (95 % band high) ≤ ${u} × ${input.shape.memoryMb} MB`,
      input,
    ),
    predictedLimit(
      'cpu',
      input.cpu,
      u * usableCores(input),
      input.ceiling && input.ceiling.cores < input.shape.cpu
        ? `predicted CPU (95 % band high) ≤ ${u} × ${input.ceiling.cores} cores (${input.ceiling.text}; the shape's ${input.shape.cpu} vCPU are not all usable by one process)`
        : `predicted CPU (95 % band high) ≤ ${u} × ${input.shape.cpu} cores${input.ceiling ? ` (within the ${input.ceiling.text})` : ''}`,
      input,
    ),
    // Without measured levels (a caller with a latency fit only), the fit alone limits, as before.
    ...(input.objectives
      ? input.objectives.map((bound) => objectiveLimit(bound, input))
      : input.latency && input.latencyObjectiveMs !== undefined
        ? [
            predictedLimit(
              'latency',
              input.latency,
              input.latencyObjectiveMs,
              `predicted p99 checkpoint latency (95 % band high) ≤ ${input.latencyObjectiveMs} ms`,
              input,
            ),
          ]
        : []),
  ];
  const infeasible = measured.find((l) => l.maxConnectionsPerContainer === 0);
  if (infeasible) return { infeasible: `${infeasible.name}: ${infeasible.note}`, limits: measured };
  const known = measured.filter((l) => l.maxConnectionsPerContainer !== null);
  const measuredLimit = known.length ? Math.min(...known.map((l) => l.maxConnectionsPerContainer!)) : null;
  const capLimit: ApiLimit = {
    name: 'connection-cap',
    containers: measuredLimit === null ? Math.ceil(input.designConnections / input.cap) : null,
    maxConnectionsPerContainer: input.cap,
    rule: `connections per container ≤ max_concurrent_connections ${input.cap} (configured)`,
    note:
      measuredLimit === null
        ? 'no limit could be measured: the configured cap binds — this restates the configuration, it is not a measurement'
        : 'configured, not measured: compared with the measured limit, not used for sizing',
  };
  const limits = [...measured, capLimit];
  let binding: ApiLimit = capLimit;
  if (measuredLimit !== null) binding = known.find((l) => l.maxConnectionsPerContainer === measuredLimit)!;
  const base = binding.containers ?? 1;
  const withSpare = input.ha.nPlusOne ? base + 1 : base;
  const containers = Math.max(withSpare, input.ha.minContainers);
  return {
    containers,
    baseContainers: base,
    binding: binding.name,
    haAdded: containers - base,
    connectionsPerContainer: Math.ceil(input.designConnections / containers),
    connectionsPerContainerOneDown: Math.ceil(input.designConnections / Math.max(1, containers - 1)),
    limits,
    capCheck: capCheck(input.cap, measuredLimit),
    recommendedCap: measuredLimit,
  };
}

/**
 * An objective's limit: its empirical bound when a level missed it; the checkpoint fit (extrapolated, said
 * so) when every level met it and the fit predicts; otherwise no limit, with the bound's line as the note.
 */
function objectiveLimit(bound: ObjectiveBound, input: ApiSizingInput): ApiLimit {
  const rule = `${bound.label} ≤ ${bound.objectiveMs} ms at the profile's ${bound.peakTxPerSecond} tx/s`;
  const note = [bound.text, ...bound.notes].join('; ');
  if (bound.kind === 'unbounded' && bound.name === 'latency' && input.latency) {
    const fitted = predictedLimit(
      'latency',
      input.latency,
      bound.objectiveMs,
      `predicted p99 checkpoint latency (95 % band high) ≤ ${bound.objectiveMs} ms`,
      input,
    );
    return { ...fitted, note: [fitted.note, note].filter(Boolean).join('; ') };
  }
  if (bound.maxConnections === null)
    return { name: bound.name, containers: null, maxConnectionsPerContainer: null, rule, note };
  if (bound.maxConnections === 0)
    return { name: bound.name, containers: null, maxConnectionsPerContainer: 0, rule, note };
  return {
    name: bound.name,
    containers: Math.ceil(input.designConnections / bound.maxConnections),
    maxConnectionsPerContainer: bound.maxConnections,
    rule,
    note,
  };
}

/** The cores a container's API process can use: its vCPUs, or the process ceiling when lower. */
export function usableCores(input: Pick<ApiSizingInput, 'shape' | 'ceiling'>): number {
  return Math.min(input.shape.cpu, input.ceiling?.cores ?? Infinity);
}

function capCheck(cap: number, measuredLimit: number | null): CapCheck {
  if (measuredLimit === null) return { cap, measuredLimit };
  if (cap < measuredLimit)
    return {
      cap,
      measuredLimit,
      warning: `your cap ${cap} leaves ${Math.round((1 - cap / measuredLimit) * 100)} % of the container unused (measured limit ${measuredLimit} connections)`,
    };
  if (cap > measuredLimit)
    return {
      cap,
      measuredLimit,
      warning: `your cap ${cap} exceeds the measured limit ${measuredLimit} connections per container`,
    };
  return { cap, measuredLimit };
}
