import { describe, expect, it } from 'vitest';
import { MetricRegistry, TrendSink } from '../../src/metrics/index.js';
import { MetricBatcher } from '../../src/fleet/worker/metric-batcher.js';

describe('merging trends recorded in other threads', () => {
  it('a registry fed merged parts matches one fed every sample', () => {
    const values = Array.from({ length: 3000 }, (_, i) => ((i * 37) % 1000) + 0.5);
    const direct = new MetricRegistry({ now: () => 0 });
    for (const value of values) direct.add({ metric: 'e2e_latency', value, time: 0 });
    const merged = new MetricRegistry({ now: () => 0 });
    for (let worker = 0; worker < 3; worker++) {
      const sink = new TrendSink();
      for (const value of values.slice(worker * 1000, worker * 1000 + 1000)) sink.record(value);
      merged.mergeTrend('e2e_latency', undefined, sink.part());
    }
    const a = direct.snapshot(1000).cumulative.series[0]!.aggregate;
    const b = merged.snapshot(1000).cumulative.series[0]!.aggregate;
    expect(b).toMatchObject({ kind: 'trend', n: 3000 });
    for (const field of ['n', 'min', 'max', 'p50', 'p99'] as const) {
      expect((b as unknown as Record<string, number>)[field], field).toBe(
        (a as unknown as Record<string, number>)[field],
      );
    }
    expect((b as { mean: number }).mean).toBeCloseTo((a as { mean: number }).mean, 9);
  });

  it('a worker batcher ships histograms for trends, sums for counters and last values for gauges', () => {
    const batcher = new MetricBatcher();
    batcher.add({ metric: 'checkpoint_latency', value: 5, time: 1 });
    batcher.add({ metric: 'checkpoint_latency', value: 7, time: 2 });
    batcher.add({ metric: 'bytes_received', value: 100, time: 1, tags: { t: 'x' } });
    batcher.add({ metric: 'bytes_received', value: 50, time: 2, tags: { t: 'x' } });
    batcher.add({ metric: 'open_streams', value: 3, time: 2 });
    const drained = batcher.drain(10);
    expect(drained.trends).toHaveLength(1);
    expect(drained.trends[0]!.part.n).toBe(2);
    expect(drained.samples).toContainEqual({
      metric: 'bytes_received',
      value: 150,
      time: 10,
      tags: { t: 'x' },
    });
    expect(drained.samples).toContainEqual({ metric: 'open_streams', value: 3, time: 2 });
    expect(batcher.drain(20)).toEqual({ trends: [], samples: [] });
  });
});
