import { compactions, connectionLevels, theilSen, writeLevels, type RunResults } from '../analysis/index.js';

/** Which way is worse: a latency that rises is a regression; a throughput that falls is. */
export type Worse = 'higher' | 'lower';

/**
 * One statistic computed once per run (never pooled across runs). `machineDependent` figures (times, CPU)
 * only compare between runs from the same machine class; memory per connection compares anywhere.
 */
export interface GateMetric {
  id: string;
  label: string;
  unit: string;
  worse: Worse;
  machineDependent: boolean;
  /** What the figure measures, for gate.md and `gate --help`. */
  measures: string;
  /** Compared when no metrics are named; an off-by-default metric is compared only when named. */
  byDefault: boolean;
  /**
   * Typical run-to-run noise of the per-run figure: the standard deviation of its logarithm, from 10 runs
   * of scenarios/gate.yaml per setting on a 2-core machine (1.48 × the relative MAD; README). The gate's
   * test leans on it when a side has only a few runs.
   */
  typicalNoise: number;
  /** The run's value, or a reason it has none. */
  of(run: RunResults): number | { unavailable: string };
}

const KB = 1024;

/** Whole-run trend aggregates (results.json `cumulative`), read loosely: older runs may lack them. */
function cumulativeTrend(
  run: RunResults,
  metric: string,
): { n: number; p50: number; p99: number } | undefined {
  const cumulative = (run as { cumulative?: { series?: unknown[] } }).cumulative;
  for (const entry of cumulative?.series ?? []) {
    const s = entry as { metric?: string; tags?: object; aggregate?: Record<string, unknown> };
    if (s.metric !== metric || Object.keys(s.tags ?? {}).length > 0) continue;
    const a = s.aggregate;
    if (a?.kind === 'trend' && typeof a.p50 === 'number' && typeof a.p99 === 'number' && Number(a.n) > 0)
      return { n: Number(a.n), p50: a.p50, p99: a.p99 };
  }
  return undefined;
}

function trendMetric(
  id: string,
  label: string,
  metric: string,
  quantile: 'p50' | 'p99',
  measures: string,
  typicalNoise: number,
  byDefault = true,
): GateMetric {
  return {
    id,
    label,
    unit: 'ms',
    worse: 'higher',
    machineDependent: true,
    measures,
    typicalNoise,
    byDefault,
    of(run) {
      const trend = cumulativeTrend(run, metric);
      return trend ? trend[quantile] : { unavailable: `no ${metric} samples in the run` };
    },
  };
}

/** Theil–Sen slope of a per-API-process quantity against its connections over the idle levels. */
function perConnectionSlope(
  run: RunResults,
  value: (point: ReturnType<typeof connectionLevels>[number]['api'][number]) => number | undefined,
): number | { unavailable: string } {
  const points = connectionLevels(run).flatMap((level) =>
    level.api.flatMap((p) => {
      const y = value(p);
      return y === undefined ? [] : [{ x: p.connections, y }];
    }),
  );
  const xs = new Set(points.map((p) => p.x));
  if (xs.size < 2) return { unavailable: `needs ≥ 2 connection levels, found ${xs.size}` };
  const line = theilSen(points);
  return line ? line.slope : { unavailable: 'no slope' };
}

/** The gate's metrics, in report order. */
export const GATE_METRICS: readonly GateMetric[] = [
  trendMetric(
    'checkpoint_p99',
    'p99 checkpoint latency',
    'checkpoint_latency',
    'p99',
    "a client's time from a checkpoint line to its checkpoint_complete (downloading one checkpoint's data); sub-millisecond with small checkpoints as in gate.yaml, so compared only when named",
    0.1,
    false,
  ),
  trendMetric(
    'e2e_p50',
    'p50 end-to-end latency',
    'e2e_latency',
    'p50',
    'source commit to the row at a client (the stamped column), median over the run',
    0.12,
  ),
  trendMetric(
    'e2e_p99',
    'p99 end-to-end latency',
    'e2e_latency',
    'p99',
    'source commit to the row at a client, 99th percentile over the run (noisier than p50)',
    0.33,
  ),
  trendMetric(
    'first_checkpoint_p99',
    'p99 first checkpoint',
    'first_checkpoint',
    'p99',
    'connect to the first checkpoint_complete (initial sync of a client), 99th percentile',
    0.21,
  ),
  {
    id: 'api_rss_per_connection',
    label: 'API RSS per connection',
    unit: 'KB',
    worse: 'higher',
    machineDependent: false,
    measures: 'slope of API process RSS against its connections over the connection levels',
    byDefault: true,
    typicalNoise: 0.18,
    of: (run) => {
      const slope = perConnectionSlope(run, (p) => p.rssMb);
      return typeof slope === 'number' ? slope * KB : slope;
    },
  },
  {
    id: 'api_cpu_per_connection',
    label: 'API CPU per 1,000 connections',
    unit: 'cores',
    worse: 'higher',
    machineDependent: true,
    measures:
      'slope of API process CPU against its connections at the connection levels’ write rate: the fan-out cost (gate.yaml writes 40 tx/s at every connection level; idle levels measure nothing)',
    byDefault: true,
    typicalNoise: 0.3,
    of: (run) => {
      const slope = perConnectionSlope(run, (p) => p.cpuCores);
      return typeof slope === 'number' ? slope * 1000 : slope;
    },
  },
  {
    id: 'replicator_cpu_per_1k_ops',
    label: 'replicator CPU per 1,000 rows/s',
    unit: 'cores',
    worse: 'higher',
    machineDependent: true,
    measures: 'replicator process CPU per replicated row, median over the write levels',
    byDefault: true,
    typicalNoise: 0.075,
    of: (run) => {
      const levels = writeLevels(run).filter(
        (l) => l.replicatorCpuCores !== undefined && l.rowsPerSecond > 0,
      );
      if (levels.length === 0) return { unavailable: 'no write level with replicator CPU' };
      // Cost per row: the level-wise ratio, median across levels (robust with one or two levels).
      const perRow = levels.map((l) => l.replicatorCpuCores! / l.rowsPerSecond).sort((a, b) => a - b);
      return perRow[Math.floor((perRow.length - 1) / 2)]! * 1000;
    },
  },
  {
    id: 'compaction_ops_per_s',
    label: 'compaction ops examined per second',
    unit: 'ops/s',
    worse: 'lower',
    machineDependent: true,
    measures: 'operations the compact job examined per second of its run',
    byDefault: true,
    typicalNoise: 0.12,
    of: (run) => {
      const rates = compactions(run)
        .filter((c) => c.result.durationMs > 0)
        .map((c) => (c.result.opsExamined / c.result.durationMs) * 1000);
      return rates.length ? rates[0]! : { unavailable: 'no compaction in the run' };
    },
  },
];

export class UnknownMetricError extends Error {
  override name = 'UnknownMetricError';
}

/** The metrics named (all when none), or an error naming the unknown ones and the known ones. */
export function selectMetrics(ids: readonly string[] | undefined): GateMetric[] {
  if (!ids || ids.length === 0) return GATE_METRICS.filter((m) => m.byDefault);
  const unknown = ids.filter((id) => !GATE_METRICS.some((m) => m.id === id));
  if (unknown.length)
    throw new UnknownMetricError(
      `unknown gate metric ${unknown.join(', ')}; known: ${GATE_METRICS.map((m) => m.id).join(', ')}`,
    );
  return ids.map((id) => GATE_METRICS.find((m) => m.id === id)!);
}
