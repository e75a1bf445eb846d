import {
  mergeAggregates,
  type CounterAggregate,
  type GaugeAggregate,
  type MetricAggregate,
  type TrendAggregate,
} from '../metrics/index.js';
import type { PhaseResult } from './run-results.js';

/** The latency trends every report shows per phase, in this order. */
export const LATENCY_METRICS = [
  'checkpoint_latency',
  'e2e_latency',
  'first_checkpoint',
  'write_commit',
] as const;

/** One process's resources over a phase (gauges sampled every second by the probes). */
export interface ProcessResources {
  process: string;
  rss?: GaugeAggregate;
  heap?: GaugeAggregate;
  /** Highest one-second CPU share (1 = one core). */
  cpuMax?: number;
  /** Mean cores over the phase: the rise of the process's CPU seconds ÷ the phase's duration. */
  cpuMean?: number;
}

/**
 * The trend of a metric in a phase, over all its series that belong to this phase (series tagged with
 * another phase's name are left out). Several series merge their histograms; percentiles are never averaged.
 */
export function phaseTrend(phase: PhaseResult, metric: string): TrendAggregate | undefined {
  const trends = seriesOf(phase, metric).filter((a): a is TrendAggregate => a.kind === 'trend');
  if (trends.length <= 1) return trends[0];
  try {
    return mergeAggregates(trends) as TrendAggregate;
  } catch {
    return trends.reduce((best, t) => (t.n > best.n ? t : best));
  }
}

/** The sum of a counter over its series in the phase; undefined when the phase never recorded it. */
export function phaseCount(phase: PhaseResult, metric: string): number | undefined {
  const counters = seriesOf(phase, metric).filter((a): a is CounterAggregate => a.kind === 'counter');
  return counters.length === 0 ? undefined : counters.reduce((sum, c) => sum + c.count, 0);
}

/** The gauge of a metric for one process in the phase. */
export function processGauge(
  phase: PhaseResult,
  metric: string,
  process: string,
): GaugeAggregate | undefined {
  const series = phase.series.find((s) => s.metric === metric && s.tags.process === process);
  return series?.aggregate.kind === 'gauge' ? series.aggregate : undefined;
}

/** Service processes (api-N, replicator-N) seen by the probes in the phase, sorted. */
export function serviceProcesses(phase: PhaseResult): string[] {
  const names = new Set<string>();
  for (const s of phase.series) {
    if (s.metric === 'process_rss_bytes' && s.tags.process) names.add(s.tags.process);
  }
  return [...names].sort();
}

export function isApiProcess(name: string): boolean {
  return name.startsWith('api');
}

export function processResources(phase: PhaseResult): ProcessResources[] {
  // Gauges cover the phase after its settle window.
  const seconds = (phase.end - (phase.settle?.measuredFrom ?? phase.start)) / 1000;
  const rows: ProcessResources[] = serviceProcesses(phase).map((process) => {
    const cpuSeconds =
      processGauge(phase, 'process_cpu_seconds', process) ??
      processGauge(phase, 'process_cpu_seconds_total', process);
    return {
      process,
      rss: processGauge(phase, 'process_rss_bytes', process),
      heap: processGauge(phase, 'nodejs_heap_size_used_bytes', process),
      cpuMax: processGauge(phase, 'process_cpu_share', process)?.max,
      cpuMean: cpuSeconds && seconds > 0 ? (cpuSeconds.max - cpuSeconds.min) / seconds : undefined,
    };
  });
  const generatorRss = processGauge(phase, 'generator_rss_bytes', 'generator');
  if (generatorRss) {
    rows.push({
      process: 'generator',
      rss: generatorRss,
      heap: processGauge(phase, 'generator_heap_used_bytes', 'generator'),
      cpuMax: processGauge(phase, 'generator_cpu_share', 'generator')?.max,
    });
  }
  return rows;
}

/** Connections the API processes reported (highest in the phase, summed over API processes). */
export function measuredConnections(phase: PhaseResult): number | undefined {
  let total: number | undefined;
  for (const s of phase.series) {
    if (s.metric !== 'powersync_concurrent_connections' || s.aggregate.kind !== 'gauge') continue;
    if (!isApiProcess(s.tags.process ?? '')) continue;
    total = (total ?? 0) + s.aggregate.max;
  }
  return total;
}

/** Highest replication lag in the phase over replicator processes, in milliseconds. */
export function replicationLagMs(phase: PhaseResult): number | undefined {
  const lags = phase.series
    .filter((s) => s.metric === 'powersync_replication_lag_seconds' && s.aggregate.kind === 'gauge')
    .map((s) => (s.aggregate as GaugeAggregate).max * 1000);
  return lags.length === 0 ? undefined : Math.max(...lags);
}

function seriesOf(phase: PhaseResult, metric: string): MetricAggregate[] {
  return phase.series
    .filter((s) => s.metric === metric && (s.tags.phase === undefined || s.tags.phase === phase.name))
    .map((s) => s.aggregate);
}
