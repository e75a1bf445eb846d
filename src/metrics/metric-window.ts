import type { MetricAggregate, SeriesAggregate, WindowAggregates } from './aggregates.js';
import { CounterSink } from './counter-sink.js';
import { GaugeSink } from './gauge-sink.js';
import type { MetricKind } from './metric-kind.js';
import type { Sample } from './sample.js';
import { seriesKey, sortedTags, type Tags } from './tags.js';
import { TrendSink, type TrendPart } from './trend-sink.js';

type Sink = TrendSink | CounterSink | GaugeSink;

interface Series {
  metric: string;
  tags: Record<string, string>;
  sink: Sink;
}

/** The live sinks of one window: one per series, chosen by the metric's kind. */
export class MetricWindow {
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly start: number,
  ) {}

  /**
   * Records a sample already checked for its kind; `key` is its `seriesKey`; `expectedIntervalMs` applies to
   * trends only.
   */
  record(key: string, sample: Sample, kind: MetricKind, expectedIntervalMs?: number): void {
    const sink = this.sinkFor(key, sample.metric, sample.tags, kind);
    if (sink instanceof TrendSink) sink.record(sample.value, expectedIntervalMs);
    else if (sink instanceof CounterSink) sink.record(sample.value);
    else sink.record(sample.value, sample.time);
  }

  /** Makes sure a counter series exists (reporting 0 until it is counted). */
  mergeTrend(key: string, metric: string, tags: Tags | undefined, part: TrendPart): void {
    const sink = this.sinkFor(key, metric, tags, 'trend');
    if (sink instanceof TrendSink) sink.merge(part);
  }

  declareCounter(metric: string, tags: Tags | undefined): void {
    this.sinkFor(seriesKey(metric, tags), metric, tags, 'counter');
  }

  aggregates(end: number, open: boolean, rejected: Record<string, number>): WindowAggregates {
    const seconds = (end - this.start) / 1000;
    const series: SeriesAggregate[] = [];
    for (const { metric, tags, sink } of this.series.values()) {
      series.push({ metric, tags: { ...tags }, aggregate: aggregateOf(sink, seconds) });
    }
    series.sort((a, b) => compareSeries(a, b));
    return { name: this.name, start: this.start, end, open, series, rejected: { ...rejected } };
  }

  private sinkFor(key: string, metric: string, tags: Tags | undefined, kind: MetricKind): Sink {
    let series = this.series.get(key);
    if (!series) {
      series = { metric, tags: sortedTags(tags), sink: newSink(kind) };
      this.series.set(key, series);
    }
    return series.sink;
  }
}

function newSink(kind: MetricKind): Sink {
  if (kind === 'trend') return new TrendSink();
  if (kind === 'counter') return new CounterSink();
  return new GaugeSink();
}

function aggregateOf(sink: Sink, seconds: number): MetricAggregate {
  return sink instanceof CounterSink ? sink.aggregate(seconds) : sink.aggregate();
}

function compareSeries(a: SeriesAggregate, b: SeriesAggregate): number {
  if (a.metric !== b.metric) return a.metric < b.metric ? -1 : 1;
  const ta = JSON.stringify(a.tags);
  const tb = JSON.stringify(b.tags);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}
