import type { SeriesAggregate, WindowAggregates } from './aggregates.js';
import { mergeAggregates } from './merge-aggregates.js';
import { seriesKey } from './tags.js';

/**
 * One phase's window from several load generators (a coordinator and its shards) as one: trends pooled
 * (HDR histograms merged, percentiles recomputed), counters summed, gauges combined (min, max, the latest
 * last). A load generator's own gauges (`generator_*`) are kept apart, tagged with the generator they came
 * from, so one saturated shard stays visible.
 */
export function mergeWindows(
  parts: ReadonlyArray<{ source: string; window: WindowAggregates }>,
): WindowAggregates {
  const first = parts[0];
  if (!first) throw new Error('mergeWindows: nothing to merge');
  const groups = new Map<string, SeriesAggregate[]>();
  const rejected: Record<string, number> = {};
  for (const { source, window } of parts) {
    for (const s of window.series) {
      const tags = s.metric.startsWith('generator_') ? { ...s.tags, generator: source } : s.tags;
      const key = seriesKey(s.metric, tags);
      const group = groups.get(key) ?? [];
      group.push({ ...s, tags });
      groups.set(key, group);
    }
    for (const [metric, n] of Object.entries(window.rejected)) rejected[metric] = (rejected[metric] ?? 0) + n;
  }
  const series: SeriesAggregate[] = [];
  for (const group of groups.values()) {
    const kinds = new Set(group.map((s) => s.aggregate.kind));
    if (kinds.size > 1) continue; // one metric recorded as two kinds: not mergeable, left out
    // Counters sum counts and rates, trends pool histograms, gauges combine extremes and the latest value.
    const aggregate = mergeAggregates(group.map((s) => s.aggregate));
    series.push({ metric: group[0]!.metric, tags: group[0]!.tags, aggregate });
  }
  return {
    name: first.window.name,
    start: Math.min(...parts.map((p) => p.window.start)),
    end: Math.max(...parts.map((p) => p.window.end)),
    open: parts.some((p) => p.window.open),
    series,
    rejected,
  };
}
