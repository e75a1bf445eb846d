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
import { processCeiling, type ProcessCeiling } from './process-ceiling.js';
import { usableCores } from './api-containers.js';

/** Hours in an average month (365.25 × 24 / 12), for monthly costs. */
export const HOURS_PER_MONTH = 730.5;

/** One shape on offer, as the sizing sees it: what it needs, what it costs, and why it won or lost. */
export interface ShapeOption {
  cpu: number;
  memoryMb: number;
  /** vCPUs one API process can use in it (min of its vCPUs and the process ceiling). */
  usableCpu: number;
  containers: number | null;
  binding?: LimitName;
  pricePerHour?: number;
  costPerHour?: number;
  costPerMonth?: number;
  chosen: boolean;
  /** Why it was chosen, or why it lost (infeasible, more containers, cost, cores a process cannot use). */
  why: string;
}
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
  /** The cores one API process can use, and where that figure came from. */
  ceiling: ProcessCeiling;
  /** Every shape on offer with its container count, cost and why it won or lost. */
  shapes: ShapeOption[];
  /** How the shape was chosen: by price, or (no prices) by the resources the process can use. */
  shapeRule: string;
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
  const ceiling = processCeiling(latency);
  const priced = profile.containers.shapes.every((s) => s.price_per_hour !== undefined);
  const options: Array<{
    option: ShapeOption;
    sizing?: ApiSizing & { capCheck: CapCheck; recommendedCap: number | null };
  }> = [];
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
      ceiling,
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
    const usable = usableCores({ shape, ceiling });
    const price = s.price_per_hour;
    if ('infeasible' in sizing) {
      rejectedShapes.push({ ...shape, reason: sizing.infeasible });
      options.push({
        option: {
          ...shape,
          usableCpu: usable,
          containers: null,
          ...(price !== undefined ? { pricePerHour: price } : {}),
          chosen: false,
          why: `infeasible: ${sizing.infeasible}`,
        },
      });
      continue;
    }
    const costPerHour = price !== undefined ? price * sizing.containers : undefined;
    options.push({
      option: {
        ...shape,
        usableCpu: usable,
        containers: sizing.containers,
        binding: sizing.binding,
        ...(price !== undefined
          ? { pricePerHour: price, costPerHour: costPerHour!, costPerMonth: costPerHour! * HOURS_PER_MONTH }
          : {}),
        chosen: false,
        why: '',
      },
      sizing,
    });
    if (
      !best ||
      better(sizing, shape, best.sizing, best.shape, priced ? profile.containers.shapes : undefined, ceiling)
    )
      best = { sizing, shape };
  }
  if (!best)
    return {
      infeasible: `no container shape on offer carries the load: ${[...new Set(rejectedShapes.map((r) => r.reason))].join('; ')}`,
    };
  const { sizing, shape } = best;
  const shapes = explainShapes(options, shape, sizing, priced);
  const shapeRule = priced
    ? 'cheapest total price per hour among the shapes that meet every limit (fewer containers on a tie)'
    : 'no prices in the profile: least total memory, then least total vCPU a single API process can use, then least total vCPU';
  const heap = checkHeap(shape.memoryMb, heapAt(fits.apiHeap, levels, sizing.connectionsPerContainerOneDown));
  const bindingLimit = sizing.limits.find((l) => l.name === sizing.binding)!;
  return {
    containers: quantity(sizing.containers, 'containers', bindingEvidence(sizing.binding, fits), [
      `design load ${designConnections} connections = peak × (1 + headroom ${profile.utilisation.headroom})`,
      `binding limit: ${sizing.binding} (${bindingLimit.rule}) needs ${sizing.baseContainers}`,
      `high availability: ${profile.high_availability.n_plus_one ? 'N+1' : 'no spare'}, at least ${profile.high_availability.min_api_containers} (added ${sizing.haAdded})`,
      `shape chosen: ${shapeRule}`,
      ceiling.text,
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
    ceiling,
    shapes,
    shapeRule,
    rejectedShapes,
  };
}

type Shape = { cpu: number; memoryMb: number };

/** Is sizing a (on shape sa) preferable to sizing b (on sb)? By price when every shape has one. */
function better(
  a: ApiSizing,
  sa: Shape,
  b: ApiSizing,
  sb: Shape,
  priced: CapacityProfile['containers']['shapes'] | undefined,
  ceiling: ProcessCeiling,
): boolean {
  if (priced) {
    const price = (s: Shape) =>
      priced.find((p) => p.cpu === s.cpu && p.memory_mb === s.memoryMb)!.price_per_hour!;
    const ca = a.containers * price(sa);
    const cb = b.containers * price(sb);
    if (ca !== cb) return ca < cb;
    return a.containers < b.containers;
  }
  const key = (s: ApiSizing, shape: Shape) => [
    s.containers * shape.memoryMb,
    s.containers * usableCores({ shape, ceiling }),
    s.containers * shape.cpu,
  ];
  const ka = key(a, sa);
  const kb = key(b, sb);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i]! < kb[i]!;
  return false;
}

/** Marks the chosen shape and says why each other one lost. */
function explainShapes(
  options: Array<{ option: ShapeOption; sizing?: ApiSizing }>,
  chosen: Shape,
  chosenSizing: ApiSizing,
  priced: boolean,
): ShapeOption[] {
  const chosenOption = options.find(
    (o) => o.option.cpu === chosen.cpu && o.option.memoryMb === chosen.memoryMb,
  )!.option;
  return options.map(({ option, sizing }) => {
    if (option === chosenOption)
      return {
        ...option,
        chosen: true,
        why: priced ? 'cheapest that meets every limit' : 'least resources that meet every limit',
      };
    if (!sizing) return option;
    const reasons: string[] = [];
    if (sizing.containers > chosenSizing.containers)
      reasons.push(
        `needs ${sizing.containers} containers (binds: ${sizing.binding}) against ${chosenSizing.containers}`,
      );
    if (option.cpu > option.usableCpu)
      reasons.push(
        `${formatNumber(option.cpu - option.usableCpu)} of its ${option.cpu} vCPU a single API process cannot use`,
      );
    if (
      priced &&
      option.costPerHour !== undefined &&
      chosenOption.costPerHour !== undefined &&
      option.costPerHour > chosenOption.costPerHour
    )
      reasons.push(
        `costs ${formatNumber((option.costPerHour - chosenOption.costPerHour) * HOURS_PER_MONTH)} more per month`,
      );
    if (sizing.haAdded > 0 && sizing.baseContainers < chosenSizing.baseContainers)
      reasons.push(`the HA rule adds ${sizing.haAdded}`);
    if (!priced && reasons.length === 0)
      reasons.push(
        `more memory or vCPU in total (${sizing.containers} × ${option.memoryMb} MB / ${option.cpu} vCPU)`,
      );
    return { ...option, why: reasons.join('; ') || 'more expensive' };
  });
}

function bindingEvidence(binding: LimitName, fits: RunFits) {
  if (binding === 'memory') return fromFit(fits.apiMemory);
  if (binding === 'cpu') return fromFit(fits.apiCpuPerConnection);
  if (binding === 'latency') return fromFit(fits.apiLatency);
  if (binding === 'e2e-latency' || binding === 'first-checkpoint-latency')
    return { source: 'measured' as const };
  return { source: 'profile' as const };
}
