import type { Prediction } from './fit-types.js';

export type LimitName = 'connection-cap' | 'memory' | 'cpu' | 'latency';

export interface ApiLimit {
  name: LimitName;
  /** API containers this limit needs (before the HA rule); null when the limit could not be computed. */
  containers: number | null;
  /** The most connections one container takes under this limit; null when unknown or none fit. */
  maxConnectionsPerContainer: number | null;
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

/** Largest m in [1, upper] with predict(m).high ≤ budget (predictions rise with m); 0 when even 1 fails. */
export function maxWithin(
  predict: (x: number) => Prediction | null,
  budget: number,
  upper: number,
): number | null {
  const ok = (m: number) => {
    const p = predict(m);
    return p ? p.high <= budget : null;
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
  const m = maxWithin(predict, budget, Math.max(1, input.designConnections));
  if (m === null)
    return {
      name,
      containers: null,
      maxConnectionsPerContainer: null,
      rule,
      note: reason ?? 'no prediction',
    };
  if (m === 0)
    return {
      name,
      containers: null,
      maxConnectionsPerContainer: 0,
      rule,
      note: 'not even one connection fits this container shape',
    };
  const measured = input.measuredMaxPerContainer;
  return {
    name,
    containers: Math.ceil(input.designConnections / m),
    maxConnectionsPerContainer: m,
    rule,
    ...(measured !== undefined && m > measured
      ? { note: `extrapolated: ${m} connections per container is beyond the ${measured} measured` }
      : {}),
  };
}

/** API containers = max of the limits, then N+1 and the minimum count; names the binding limit. */
export function sizeApiContainers(
  input: ApiSizingInput,
): ApiSizing | { infeasible: string; limits: ApiLimit[] } {
  const u = input.targetUtilisation;
  const limits: ApiLimit[] = [
    {
      name: 'connection-cap',
      containers: Math.ceil(input.designConnections / input.cap),
      maxConnectionsPerContainer: input.cap,
      rule: `connections per container ≤ max_concurrent_connections ${input.cap}`,
    },
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
      u * input.shape.cpu,
      `predicted CPU (95 % band high) ≤ ${u} × ${input.shape.cpu} cores`,
      input,
    ),
    predictedLimit(
      'latency',
      input.latency,
      input.latencyObjectiveMs,
      `predicted p99 checkpoint latency (95 % band high) ≤ ${input.latencyObjectiveMs ?? '(no objective)'} ms`,
      input,
    ),
  ];
  const infeasible = limits.find((l) => l.maxConnectionsPerContainer === 0);
  if (infeasible) return { infeasible: `${infeasible.name}: ${infeasible.note}`, limits };
  let binding = limits[0]!;
  for (const limit of limits) if ((limit.containers ?? 0) > (binding.containers ?? 0)) binding = limit;
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
  };
}
