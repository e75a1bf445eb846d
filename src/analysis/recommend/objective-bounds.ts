import { formatNumber } from '../fits/linear-fit.js';
import type { LatencyLevel, LatencyMetric } from '../levels/levels.js';

/** One latency objective of the profile against the measured levels. */
export interface ObjectiveBound {
  /** The limit's name in the sizing. */
  name: 'latency' | 'e2e-latency' | 'first-checkpoint-latency';
  label: string;
  metric: LatencyMetric;
  objectiveMs: number;
  /** The profile's peak write rate the bound is meant for. */
  peakTxPerSecond: number;
  /** The highest level that met the objective below the first that missed it, and that first miss. */
  met?: LevelRef;
  missed?: LevelRef;
  /**
   * Connections per API container the objective allows: from the measured levels (`empirical`), a fit placed
   * inside the measured bracket (`fit-in-bracket`), 0 when even the lowest level missed it (`below-lowest`);
   * null when no level missed it (`unbounded`: no bound measured) or nothing was measured.
   */
  maxConnections: number | null;
  kind: 'empirical' | 'fit-in-bracket' | 'unbounded' | 'below-lowest' | 'not-measured';
  /** One line: "e2e p99 ≤ 2,000 ms: met at 250 (1,356 ms), exceeded at 500 (2,228 ms) → ≤ 250–500 per container". */
  text: string;
  notes: string[];
}

export interface LevelRef {
  phase: string;
  connections: number;
  p99Ms: number;
  writeRate: number;
}

const LABELS: Record<ObjectiveBound['name'], string> = {
  latency: 'checkpoint p99',
  'e2e-latency': 'e2e p99',
  'first-checkpoint-latency': 'first checkpoint p99',
};

/**
 * The bound an objective puts on connections per container, from the levels measured. A level that missed it
 * at a write rate at or below the peak bounds it from above (it misses at the peak too); a level that met it
 * counts at its own rate, preferably at or above the peak. A fit may place the limit inside the bracket
 * [highest met, first missed), never beyond it; a refused fit never drops the bound.
 */
export function objectiveBound(
  name: ObjectiveBound['name'],
  metric: LatencyMetric,
  objectiveMs: number,
  levels: readonly LatencyLevel[],
  peakTxPerSecond: number,
  fitLimit?: number | null,
): ObjectiveBound {
  const label = LABELS[name];
  const base = { name, label, metric, objectiveMs, peakTxPerSecond };
  const measured = levels
    .filter((l) => l.p99[metric] !== undefined && l.connections > 0)
    .map((l) => ({
      phase: l.phase,
      connections: l.connections,
      p99Ms: l.p99[metric]!,
      writeRate: l.writeRate,
    }));
  const head = `${label} ≤ ${formatNumber(objectiveMs)} ms`;
  if (measured.length === 0)
    return {
      ...base,
      maxConnections: null,
      kind: 'not-measured',
      text: `${head}: not measured (no level with ${metric} samples)`,
      notes: [],
    };
  const notes: string[] = [];
  const misses = measured
    .filter((l) => l.p99Ms > objectiveMs && l.writeRate <= peakTxPerSecond)
    .sort((a, b) => a.connections - b.connections);
  const missed = misses[0];
  const below = measured.filter(
    (l) => l.p99Ms <= objectiveMs && (!missed || l.connections < missed.connections),
  );
  const atPeak = below.filter((l) => l.writeRate >= peakTxPerSecond);
  const pool = atPeak.length > 0 ? atPeak : below;
  const met = pool.sort((a, b) => b.connections - a.connections || a.p99Ms - b.p99Ms)[0];
  if (met && met.writeRate < peakTxPerSecond)
    notes.push(
      `met at ${formatNumber(met.writeRate)} tx/s only, below the peak ${formatNumber(peakTxPerSecond)} tx/s: the bound may be optimistic (measure the peak rate at this level)`,
    );
  const at = (l: LevelRef) =>
    `${formatNumber(l.connections)} (${formatNumber(l.p99Ms)} ms at ${formatNumber(l.writeRate)} tx/s)`;
  if (!missed) {
    const top = measured.sort((a, b) => b.connections - a.connections)[0]!;
    return {
      ...base,
      ...(met ? { met } : {}),
      maxConnections: null,
      kind: 'unbounded',
      text: `${head}: met at every level measured, up to ${at(top)}: no bound measured; beyond ${formatNumber(top.connections)} per container is extrapolated until verified`,
      notes,
    };
  }
  if (!met)
    return {
      ...base,
      missed,
      maxConnections: 0,
      kind: 'below-lowest',
      text: `${head}: exceeded already at the lowest level measured, ${at(missed)}: measure lower levels`,
      notes,
    };
  let limit = met.connections;
  let kind: ObjectiveBound['kind'] = 'empirical';
  if (fitLimit !== undefined && fitLimit !== null && fitLimit > met.connections) {
    limit = Math.min(fitLimit, missed.connections - 1);
    kind = 'fit-in-bracket';
  }
  return {
    ...base,
    met,
    missed,
    maxConnections: limit,
    kind,
    text: `${head}: met at ${at(met)}, exceeded at ${at(missed)} → ≤ ${formatNumber(met.connections)}–${formatNumber(missed.connections)} per container${kind === 'fit-in-bracket' ? `; the fit places it at ${formatNumber(limit)}` : ''}`,
    notes,
  };
}
