import type { CounterAggregate, GaugeAggregate, MetricAggregate, TrendAggregate } from './aggregates.js';
import { createHistogram, decodeHistogram } from './histogram.js';
import { combineMoments, momentsOf, summarizeTrend } from './trend-summary.js';

/**
 * Merges aggregates of one kind taken over the same window (several series of a metric, or one series from
 * several worker threads) into one. Trends merge their histograms (percentiles are recomputed, never
 * averaged; mean and stdev combine exactly); counters sum counts and rates; a gauge's `last` is the latest sample's. Throws on an empty list or
 * mixed kinds.
 */
export function mergeAggregates(aggregates: readonly MetricAggregate[]): MetricAggregate {
  const first = aggregates[0];
  if (!first) throw new Error('mergeAggregates: nothing to merge');
  if (aggregates.some((aggregate) => aggregate.kind !== first.kind)) {
    throw new Error(`mergeAggregates: mixed kinds (${aggregates.map((a) => a.kind).join(', ')})`);
  }
  switch (first.kind) {
    case 'trend':
      return mergeTrends(aggregates as TrendAggregate[]);
    case 'counter':
      return mergeCounters(aggregates as CounterAggregate[]);
    case 'gauge':
      return mergeGauges(aggregates as GaugeAggregate[]);
  }
}

function mergeTrends(trends: readonly TrendAggregate[]): TrendAggregate {
  const histogram = createHistogram();
  for (const trend of trends) histogram.add(decodeHistogram(trend.histogram));
  return summarizeTrend(histogram, combineMoments(trends.map(momentsOf)));
}

function mergeCounters(counters: readonly CounterAggregate[]): CounterAggregate {
  let count = 0;
  let rate: number | null = 0;
  for (const counter of counters) {
    count += counter.count;
    rate = rate === null || counter.rate === null ? null : rate + counter.rate;
  }
  return { kind: 'counter', count, rate };
}

function mergeGauges(gauges: readonly GaugeAggregate[]): GaugeAggregate {
  const latest = gauges.reduce((a, b) => (b.lastTime > a.lastTime ? b : a));
  return {
    kind: 'gauge',
    last: latest.last,
    lastTime: latest.lastTime,
    min: gauges.reduce((least, gauge) => Math.min(least, gauge.min), Infinity),
    max: gauges.reduce((most, gauge) => Math.max(most, gauge.max), -Infinity),
  };
}
