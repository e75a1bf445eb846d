import { metricKind, seriesKey, TrendSink, type Sample, type SampleSink } from '../../metrics/index.js';
import type { FromWorker } from './worker-messages.js';

interface Batch {
  metric: string;
  tags?: Record<string, string>;
  trend?: TrendSink;
  sum?: number;
  last?: Sample;
}

/** Aggregates a worker's samples between flushes: a histogram per trend series, sums, last gauge values. */
export class MetricBatcher implements SampleSink {
  private batches = new Map<string, Batch>();

  add(sample: Sample): void {
    const key = seriesKey(sample.metric, sample.tags);
    let batch = this.batches.get(key);
    if (!batch) {
      batch = { metric: sample.metric, tags: sample.tags };
      this.batches.set(key, batch);
    }
    const kind = metricKind(sample.metric);
    if (kind === 'trend') (batch.trend ??= new TrendSink()).record(sample.value);
    else if (kind === 'counter') batch.sum = (batch.sum ?? 0) + sample.value;
    else batch.last = sample;
  }

  /** Everything since the previous drain, and a fresh start. */
  drain(now: number): Pick<FromWorker, 'trends' | 'samples'> {
    const trends: FromWorker['trends'] = [];
    const samples: Sample[] = [];
    for (const batch of this.batches.values()) {
      const tags = batch.tags;
      if (batch.trend)
        trends.push({ metric: batch.metric, ...(tags ? { tags } : {}), part: batch.trend.part() });
      if (batch.sum !== undefined)
        samples.push({ metric: batch.metric, value: batch.sum, time: now, ...(tags ? { tags } : {}) });
      if (batch.last) samples.push(batch.last);
    }
    this.batches = new Map();
    return { trends, samples };
  }
}
