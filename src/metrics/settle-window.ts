import type { CounterAggregate, SeriesAggregate, TrendAggregate, WindowAggregates } from './aggregates.js';
import { mergeAggregates } from './merge-aggregates.js';
import { MetricName } from './sample.js';
import { seriesKey } from './tags.js';

/**
 * Trends that time the connecting itself, which is what a settle window holds: they count over the whole
 * phase (a connect phase's first checkpoints all happen in its first seconds).
 */
const WHOLE_PHASE_TRENDS: ReadonlySet<string> = new Set([MetricName.connectTime, MetricName.firstCheckpoint]);

/**
 * A phase's first seconds are a settle window: clients of a new level are still connecting, writers of a new
 * rate still spreading out. The registry holds them in a window of their own, named here, so the phase's
 * latencies, gauges and probe readings start after it. Counters are not left out: an error or checksum
 * failure while settling still counts against the phase; nor are the connect trends (connect time, first
 * checkpoint), which time what the settle window holds.
 */
export function settleWindowName(phase: string): string {
  return `${phase} (settle)`;
}

/** What the settle window held, said beside the phase's figures. */
export interface SettleSummary {
  /** When the phase began and when its measured window began (epoch ms). */
  start: number;
  measuredFrom: number;
  /** Trend samples left out of the phase's figures, by metric (e.g. `e2e_latency: 12`). */
  excludedSamples: Record<string, number>;
}

/**
 * The phase's aggregates: trends and gauges of its measured window; counters summed over the settle window
 * and the measured one, with their rate over the whole phase. Without a settle window, the measured one as is.
 */
export function phaseAggregates(
  windows: readonly WindowAggregates[],
  phase: string,
): { aggregates: WindowAggregates; settle?: SettleSummary } | undefined {
  const measured = windows.find((w) => w.name === phase);
  if (!measured) return undefined;
  const settle = windows.find((w) => w.name === settleWindowName(phase));
  if (!settle) return { aggregates: measured };
  const seconds = (measured.end - settle.start) / 1000;
  const counters = new Map<string, SeriesAggregate>();
  const wholeTrends = new Map<string, SeriesAggregate>();
  const series: SeriesAggregate[] = [];
  for (const s of measured.series) {
    if (s.aggregate.kind === 'trend' && WHOLE_PHASE_TRENDS.has(s.metric)) {
      const whole = { ...s };
      wholeTrends.set(seriesKey(s.metric, s.tags), whole);
      series.push(whole);
      continue;
    }
    if (s.aggregate.kind !== 'counter') {
      series.push(s);
      continue;
    }
    const whole = { ...s, aggregate: { ...s.aggregate } };
    counters.set(seriesKey(s.metric, s.tags), whole);
    series.push(whole);
  }
  const excludedSamples: Record<string, number> = {};
  for (const s of settle.series) {
    if (s.aggregate.kind === 'trend' && WHOLE_PHASE_TRENDS.has(s.metric)) {
      const key = seriesKey(s.metric, s.tags);
      const whole = wholeTrends.get(key);
      if (whole) whole.aggregate = mergeAggregates([s.aggregate, whole.aggregate]) as TrendAggregate;
      else {
        const added = { ...s };
        wholeTrends.set(key, added);
        series.push(added);
      }
      continue;
    }
    if (s.aggregate.kind === 'trend') {
      if (s.aggregate.n > 0) excludedSamples[s.metric] = (excludedSamples[s.metric] ?? 0) + s.aggregate.n;
      continue;
    }
    if (s.aggregate.kind !== 'counter') continue;
    const key = seriesKey(s.metric, s.tags);
    let whole = counters.get(key);
    if (!whole) {
      whole = { ...s, aggregate: { kind: 'counter', count: 0, rate: null } };
      counters.set(key, whole);
      series.push(whole);
    }
    (whole.aggregate as CounterAggregate).count += s.aggregate.count;
  }
  for (const whole of counters.values()) {
    const counter = whole.aggregate as CounterAggregate;
    counter.rate = seconds > 0 ? counter.count / seconds : null;
  }
  return {
    aggregates: { ...measured, series, rejected: mergeCounts(settle.rejected, measured.rejected) },
    settle: { start: settle.start, measuredFrom: measured.start, excludedSamples },
  };
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}
