import { toMiB } from './format.js';
import {
  LATENCY_METRICS,
  isApiProcess,
  phaseTrend,
  processResources,
  replicationLagMs,
} from './phase-metrics.js';
import type { RunResults } from './run-results.js';

/** Rows the charts plot, each a plain object vega-lite reads by field name. */
export interface ResourcePoint {
  phase: string;
  process: string;
  connections: number;
  writeRate: number;
  load: 'clients only' | 'clients + writes';
  rssMiB?: number;
  heapMiB?: number;
  cpuCores?: number;
}

export interface LatencyPoint {
  phase: string;
  order: number;
  metric: string;
  percentile: 'p50' | 'p99';
  ms: number;
}

/** Per phase and service process: peak RSS and heap, mean CPU, at the phase's client level and write rate. */
export function resourcePoints(results: RunResults): ResourcePoint[] {
  return results.phases.flatMap((phase) =>
    processResources(phase)
      .filter((r) => r.process !== 'generator')
      .map((r) => ({
        phase: phase.name,
        process: r.process,
        connections: phase.targetClients.end,
        writeRate: phase.writes?.achievedRate ?? 0,
        load: phase.writes ? ('clients + writes' as const) : ('clients only' as const),
        rssMiB: r.rss ? toMiB(r.rss.max) : undefined,
        heapMiB: r.heap ? toMiB(r.heap.max) : undefined,
        cpuCores: r.cpuMean,
      })),
  );
}

export function apiPoints(
  points: ResourcePoint[],
  field: 'rssMiB' | 'heapMiB' | 'cpuCores',
): ResourcePoint[] {
  return points.filter((p) => isApiProcess(p.process) && p.connections > 0 && p[field] !== undefined);
}

/** CPU against write rate: every service process in the phases that wrote. */
export function writeCpuPoints(points: ResourcePoint[]): ResourcePoint[] {
  return points.filter((p) => p.load === 'clients + writes' && p.cpuCores !== undefined);
}

export function latencyPoints(results: RunResults): LatencyPoint[] {
  return results.phases.flatMap((phase, order) =>
    LATENCY_METRICS.flatMap((metric) => {
      const trend = phaseTrend(phase, metric);
      if (!trend || trend.n === 0) return [];
      return (['p50', 'p99'] as const)
        .filter((percentile) => trend[percentile] > 0)
        .map((percentile) => ({ phase: phase.name, order, metric, percentile, ms: trend[percentile] }));
    }),
  );
}

export function lagPoints(results: RunResults): Array<{ phase: string; writeRate: number; lagMs: number }> {
  return results.phases.flatMap((phase) => {
    const lagMs = replicationLagMs(phase);
    return phase.writes && lagMs !== undefined
      ? [{ phase: phase.name, writeRate: phase.writes.achievedRate, lagMs }]
      : [];
  });
}

export function compactionPoints(
  results: RunResults,
): Array<{ phase: string; opsExamined: number; durationMs: number }> {
  return results.phases.flatMap((phase) =>
    phase.actions.flatMap((action) => {
      const r = action.result;
      return action.kind === 'compact' &&
        typeof r?.opsExamined === 'number' &&
        typeof r.durationMs === 'number'
        ? [{ phase: phase.name, opsExamined: r.opsExamined, durationMs: r.durationMs }]
        : [];
    }),
  );
}
