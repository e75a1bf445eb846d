import {
  sizeApiContainers,
  type ApiLimit,
  type ApiSizing,
  type CapCheck,
  type LimitName,
} from './api-containers.js';
import type { Fit } from '../fits/fit-types.js';
import type { RunFits } from '../fits/fit-run.js';
import type { ConnectionLevel, LatencyLevel } from '../levels/levels.js';
import { maxWithin } from './api-containers.js';
import { objectiveBound, type ObjectiveBound } from './objective-bounds.js';
import { formatNumber } from '../fits/linear-fit.js';
import type { CapacityProfile } from './profile.js';
import { fromFit, quantity, type Quantity } from './quantity.js';

/** Share of container memory given to the V8 old space (the operations guide: 800 MB of 1 GB). */
export const HEAP_SHARE = 0.8;
/** The heap limit must exceed the predicted heap high band by this factor (room for GC and bursts). */
export const HEAP_MARGIN = 1.5;

export interface HeapCheck {
  maxOldSpaceSizeMb: number;
  nodeOptions: string;
  predictedHeapMb: Quantity;
  margin: number;
  /** null: no heap was measured (the service exports no heap metric), so nothing is said either way. */
  sufficient: boolean | null;
  flag?: string;
}

export interface ApiRecommendation {
  containers: Quantity;
  baseContainers: number;
  binding: LimitName;
  haAdded: number;
  shape: { cpu: number; memoryMb: number };
  connectionsPerContainer: number;
  connectionsPerContainerOneDown: number;
  designConnections: number;
  limits: ApiLimit[];
  /** The configured cap against the measured limit (a warning when they differ). */
  capCheck: CapCheck;
  /** `max_concurrent_connections` to configure: the binding measured limit; null when none was measured. */
  recommendedCap: number | null;
  heap: HeapCheck;
  /** Each latency objective against the measured levels: the bound, the levels it rests on, its kind. */
  objectives: ObjectiveBound[];
  /** Shapes that could not carry the load at all, with why. */
  rejectedShapes: { cpu: number; memoryMb: number; reason: string }[];
}

/** The heap limit for a container and whether it covers the predicted heap at its load with the margin. */
export function checkHeap(memoryMb: number, heapAtLoad: Quantity): HeapCheck {
  const maxOldSpaceSizeMb = Math.floor(HEAP_SHARE * memoryMb);
  if (heapAtLoad.value === null && heapAtLoad.evidence.source === 'not-measured')
    return {
      maxOldSpaceSizeMb,
      nodeOptions: `--max-old-space-size=${maxOldSpaceSizeMb}`,
      predictedHeapMb: heapAtLoad,
      margin: HEAP_MARGIN,
      sufficient: null,
      flag: heapAtLoad.note ?? 'not measured',
    };
  const needed = (heapAtLoad.high ?? heapAtLoad.value ?? 0) * HEAP_MARGIN;
  const sufficient = heapAtLoad.value !== null && needed <= maxOldSpaceSizeMb;
  return {
    maxOldSpaceSizeMb,
    nodeOptions: `--max-old-space-size=${maxOldSpaceSizeMb}`,
    predictedHeapMb: heapAtLoad,
    margin: HEAP_MARGIN,
    sufficient,
    ...(sufficient
      ? {}
      : {
          flag:
            heapAtLoad.value === null
              ? 'heap at this load could not be predicted'
              : `too small: ${maxOldSpaceSizeMb} MB < ${HEAP_MARGIN} × predicted heap ${formatNumber(needed / HEAP_MARGIN)} MB`,
        }),
  };
}

/** Heap used at `connections`: the heap fit, else the highest heap measured when within the measured range. */
export function heapAt(fit: Fit, levels: readonly ConnectionLevel[], connections: number): Quantity {
  const p = fit.predict(connections);
  if (p) return quantity(p.value, 'MB', fromFit(fit), [], { low: p.low, high: p.high });
  const measured = levels.flatMap((l) =>
    l.api.flatMap((a) => (a.heapMb === undefined ? [] : [{ c: a.connections, heap: a.heapMb }])),
  );
  if (measured.length === 0)
    return quantity(null, 'MB', { ...fromFit(fit), source: 'not-measured' }, [], {
      note: 'not measured: the service exports no heap metric (nodejs_heap_size_used_bytes); the heap limit above is the operations guide’s share of memory, unchecked',
    });
  const maxMeasured = Math.max(0, ...measured.map((m) => m.c));
  const peak = Math.max(0, ...measured.map((m) => m.heap));
  return quantity(peak, 'MB', { ...fromFit(fit), source: 'measured' }, [
    `heap fit refused; the highest heap measured (${measured.length} points up to ${maxMeasured} connections) is used as a flat estimate`,
    ...(connections > maxMeasured
      ? [`extrapolated: ${connections} connections is beyond the measured ${maxMeasured}`]
      : []),
  ]);
}

const missingReason = (fit: Fit) => (fit.refused ? `${fit.kind} fit refused: ${fit.refused}` : undefined);

/** Each objective the profile names, against the measured levels. */
export function objectiveBounds(
  profile: CapacityProfile,
  fits: RunFits,
  latency: readonly LatencyLevel[],
  designConnections: number,
): ObjectiveBound[] {
  const peak = profile.writes.peak_tx_per_second;
  const o = profile.objectives;
  const bounds: ObjectiveBound[] = [];
  if (o.checkpoint_latency_p99_ms !== undefined) {
    const fitLimit = fits.apiLatency.refused
      ? null
      : maxWithin(fits.apiLatency.predict, o.checkpoint_latency_p99_ms, Math.max(1, designConnections) * 100);
    bounds.push(
      objectiveBound('latency', 'checkpoint_latency', o.checkpoint_latency_p99_ms, latency, peak, fitLimit),
    );
  }
  if (o.e2e_latency_p99_ms !== undefined)
    bounds.push(objectiveBound('e2e-latency', 'e2e_latency', o.e2e_latency_p99_ms, latency, peak));
  if (o.first_checkpoint_p99_ms !== undefined)
    bounds.push(
      objectiveBound(
        'first-checkpoint-latency',
        'first_checkpoint',
        o.first_checkpoint_p99_ms,
        latency,
        peak,
      ),
    );
  return bounds;
}

export function recommendApi(
  profile: CapacityProfile,
  fits: RunFits,
  levels: readonly ConnectionLevel[],
  designConnections: number,
  latency: readonly LatencyLevel[] = [],
): ApiRecommendation | { infeasible: string } {
  const objectives = objectiveBounds(profile, fits, latency, designConnections);
  const rejectedShapes: ApiRecommendation['rejectedShapes'] = [];
  let best:
    | {
        sizing: ApiSizing & { capCheck: CapCheck; recommendedCap: number | null };
        shape: { cpu: number; memoryMb: number };
      }
    | undefined;
  for (const s of profile.containers.shapes) {
    const shape = { cpu: s.cpu, memoryMb: s.memory_mb };
    const sizing = sizeApiContainers({
      designConnections,
      cap: profile.api.max_concurrent_connections,
      shape,
      targetUtilisation: profile.utilisation.target,
      memory: fits.apiMemory.predict,
      cpu: fits.apiCpuPerConnection.predict,
      latency: fits.apiLatency.refused ? undefined : fits.apiLatency.predict,
      latencyObjectiveMs: profile.objectives.checkpoint_latency_p99_ms,
      objectives,
      ha: {
        nPlusOne: profile.high_availability.n_plus_one,
        minContainers: profile.high_availability.min_api_containers,
      },
      measuredMaxPerContainer: Math.max(0, ...levels.flatMap((l) => l.api.map((a) => a.connections))),
      missing: {
        memory: missingReason(fits.apiMemory),
        cpu: missingReason(fits.apiCpuPerConnection),
        latency: profile.objectives.checkpoint_latency_p99_ms
          ? missingReason(fits.apiLatency)
          : 'no checkpoint latency objective in the profile',
      },
    });
    if ('infeasible' in sizing) {
      rejectedShapes.push({ ...shape, reason: sizing.infeasible });
      continue;
    }
    if (!best || cost(sizing, shape) < cost(best.sizing, best.shape)) best = { sizing, shape };
  }
  if (!best)
    return {
      infeasible: `no container shape on offer carries the load: ${rejectedShapes.map((r) => r.reason).join('; ')}`,
    };
  const { sizing, shape } = best;
  const heap = checkHeap(shape.memoryMb, heapAt(fits.apiHeap, levels, sizing.connectionsPerContainerOneDown));
  const bindingLimit = sizing.limits.find((l) => l.name === sizing.binding)!;
  return {
    containers: quantity(sizing.containers, 'containers', bindingEvidence(sizing.binding, fits), [
      `design load ${designConnections} connections = peak × (1 + headroom ${profile.utilisation.headroom})`,
      `binding limit: ${sizing.binding} (${bindingLimit.rule}) needs ${sizing.baseContainers}`,
      `high availability: ${profile.high_availability.n_plus_one ? 'N+1' : 'no spare'}, at least ${profile.high_availability.min_api_containers} (added ${sizing.haAdded})`,
      'shape chosen: least total memory, then least total CPU, among the shapes on offer',
    ]),
    baseContainers: sizing.baseContainers,
    binding: sizing.binding,
    haAdded: sizing.haAdded,
    shape,
    connectionsPerContainer: sizing.connectionsPerContainer,
    connectionsPerContainerOneDown: sizing.connectionsPerContainerOneDown,
    designConnections,
    limits: sizing.limits,
    capCheck: sizing.capCheck,
    recommendedCap: sizing.recommendedCap,
    heap,
    objectives,
    rejectedShapes,
  };
}

const cost = (s: ApiSizing, shape: { cpu: number; memoryMb: number }) =>
  s.containers * shape.memoryMb * 1000 + s.containers * shape.cpu;

function bindingEvidence(binding: LimitName, fits: RunFits) {
  if (binding === 'memory') return fromFit(fits.apiMemory);
  if (binding === 'cpu') return fromFit(fits.apiCpuPerConnection);
  if (binding === 'latency') return fromFit(fits.apiLatency);
  if (binding === 'e2e-latency' || binding === 'first-checkpoint-latency')
    return { source: 'measured' as const };
  return { source: 'profile' as const };
}
