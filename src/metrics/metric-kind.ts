import { MetricName, type MetricNameValue } from './sample.js';

/**
 * How a metric's samples are aggregated: `trend` (a latency-like distribution, HDR histogram), `counter`
 * (values summed, with a rate over the window) or `gauge` (a level: last, min and max).
 */
export type MetricKind = 'trend' | 'counter' | 'gauge';

/** The kind of every metric the toolkit's producers emit. Names not in this table are gauges (probe figures). */
export const MetricKinds: Readonly<Record<MetricNameValue, MetricKind>> = {
  [MetricName.connectTime]: 'trend',
  [MetricName.firstCheckpoint]: 'trend',
  [MetricName.checkpointLatency]: 'trend',
  [MetricName.endToEndLatency]: 'trend',
  [MetricName.writeCheckpointLatency]: 'trend',
  [MetricName.writeCommit]: 'trend',
  [MetricName.writeScheduleLag]: 'trend',
  [MetricName.bytesReceived]: 'counter',
  [MetricName.opsReceived]: 'counter',
  [MetricName.checkpointsCompleted]: 'counter',
  [MetricName.checksumFailures]: 'counter',
  [MetricName.endToEndEarlierRows]: 'counter',
  [MetricName.errors]: 'counter',
  [MetricName.reconnects]: 'counter',
  [MetricName.rowsWritten]: 'counter',
  [MetricName.transactions]: 'counter',
  [MetricName.droppedWrites]: 'counter',
  [MetricName.openStreams]: 'gauge',
};

/** Extra or overriding kinds by metric name (for example a probe that emits a trend). */
export type MetricKindTable = Readonly<Record<string, MetricKind>>;

/** The kind of `metric`: from `extra` first, then the known table; anything else is a gauge. */
export function metricKind(metric: string, extra: MetricKindTable = {}): MetricKind {
  if (Object.hasOwn(extra, metric)) return extra[metric] as MetricKind;
  if (Object.hasOwn(MetricKinds, metric)) return MetricKinds[metric as MetricNameValue];
  return 'gauge';
}

/** True when `metric` is in the known table or in `extra`. */
export function isKnownMetric(metric: string, extra: MetricKindTable = {}): boolean {
  return Object.hasOwn(extra, metric) || Object.hasOwn(MetricKinds, metric);
}
