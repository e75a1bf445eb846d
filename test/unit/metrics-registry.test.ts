import { describe, expect, it } from 'vitest';
import {
  CUMULATIVE_WINDOW,
  MetricName,
  MetricRegistry,
  metricKind,
  type MetricAggregate,
  type SeriesAggregate,
  type WindowAggregates,
} from '../../src/metrics/index.js';

function clock(start = 1_000_000) {
  const state = { now: start };
  return { state, now: () => state.now };
}

function find(window: WindowAggregates, metric: string, tags: Record<string, string> = {}): MetricAggregate {
  const series = window.series.find(
    (s: SeriesAggregate) => s.metric === metric && JSON.stringify(s.tags) === JSON.stringify(tags),
  );
  if (!series) throw new Error(`no series ${metric} ${JSON.stringify(tags)} in ${window.name}`);
  return series.aggregate;
}

describe('metric kinds', () => {
  it('knows every producer metric and defaults unknown names to gauges', () => {
    expect(metricKind(MetricName.endToEndLatency)).toBe('trend');
    expect(metricKind(MetricName.writeScheduleLag)).toBe('trend');
    expect(metricKind(MetricName.droppedWrites)).toBe('counter');
    expect(metricKind(MetricName.bytesReceived)).toBe('counter');
    expect(metricKind(MetricName.openStreams)).toBe('gauge');
    expect(metricKind('process_rss_bytes')).toBe('gauge');
    expect(metricKind('event_loop_delay', { event_loop_delay: 'trend' })).toBe('trend');
    for (const name of Object.values(MetricName))
      expect(['trend', 'counter', 'gauge']).toContain(metricKind(name));
  });
});

describe('MetricRegistry', () => {
  it('keeps one aggregate per (metric, tags) series, chosen by kind', () => {
    const { now } = clock();
    const registry = new MetricRegistry({ now });
    const time = now();
    registry.add({ metric: 'e2e_latency', value: 10, time, tags: { transport: 'ws' } });
    registry.add({ metric: 'e2e_latency', value: 30, time, tags: { transport: 'ws' } });
    registry.add({ metric: 'e2e_latency', value: 50, time, tags: { transport: 'http' } });
    registry.add({ metric: 'bytes_received', value: 100, time });
    registry.add({ metric: 'open_streams', value: 3, time });
    const { cumulative } = registry.snapshot();
    expect(cumulative.series.map((s) => [s.metric, s.tags, s.aggregate.kind])).toEqual([
      ['bytes_received', {}, 'counter'],
      ['e2e_latency', { transport: 'http' }, 'trend'],
      ['e2e_latency', { transport: 'ws' }, 'trend'],
      ['open_streams', {}, 'gauge'],
    ]);
    expect(find(cumulative, 'e2e_latency', { transport: 'ws' })).toMatchObject({ n: 2, min: 10, max: 30 });
  });

  it('treats tags in any order as the same series', () => {
    const registry = new MetricRegistry();
    registry.add({ metric: 'errors', value: 1, time: 0, tags: { code: 'http_429', transport: 'ws' } });
    registry.add({ metric: 'errors', value: 1, time: 0, tags: { transport: 'ws', code: 'http_429' } });
    const { cumulative } = registry.snapshot();
    expect(cumulative.series).toHaveLength(1);
    expect(find(cumulative, 'errors', { code: 'http_429', transport: 'ws' })).toMatchObject({ count: 2 });
  });

  it('gives counters their sum and rate over the window', () => {
    const { state, now } = clock();
    const registry = new MetricRegistry({ now });
    for (let second = 0; second < 10; second++) {
      state.now += 1000;
      registry.add({ metric: 'ops_received', value: 50, time: state.now });
    }
    expect(find(registry.snapshot().cumulative, 'ops_received')).toEqual({
      kind: 'counter',
      count: 500,
      rate: 50,
    });
    state.now += 10_000; // nothing counted for 10 s more: the rate halves
    expect(find(registry.snapshot().cumulative, 'ops_received')).toEqual({
      kind: 'counter',
      count: 500,
      rate: 25,
    });
  });

  it('reports a null rate for a window with no duration', () => {
    const registry = new MetricRegistry({ now: () => 5 });
    registry.add({ metric: 'reconnects', value: 2, time: 5 });
    expect(find(registry.snapshot().cumulative, 'reconnects')).toEqual({
      kind: 'counter',
      count: 2,
      rate: null,
    });
  });

  it('gives gauges their last value, min and max', () => {
    const registry = new MetricRegistry();
    for (const [time, value] of [
      [1, 5],
      [2, 9],
      [3, 2],
      [4, 4],
    ] as const) {
      registry.add({ metric: 'open_streams', value, time });
    }
    expect(find(registry.snapshot().cumulative, 'open_streams')).toEqual({
      kind: 'gauge',
      last: 4,
      lastTime: 4,
      min: 2,
      max: 9,
    });
  });

  it('starts a window at each phase boundary and keeps the cumulative', () => {
    const { state, now } = clock(0);
    const registry = new MetricRegistry({ now, firstWindow: 'setup' });
    registry.add({ metric: 'connect_time', value: 5, time: 0 });
    state.now = 10_000;
    const setup = registry.beginWindow('warmup');
    expect(setup).toMatchObject({ name: 'setup', start: 0, end: 10_000, open: false });
    registry.add({ metric: 'connect_time', value: 7, time: 10_000 });
    registry.add({ metric: 'transactions', value: 20, time: 10_000 });
    state.now = 20_000;
    registry.beginWindow('steady');
    registry.add({ metric: 'connect_time', value: 9, time: 20_000 });
    state.now = 25_000;

    const snapshot = registry.snapshot();
    expect(snapshot.windows.map((w) => [w.name, w.start, w.end, w.open])).toEqual([
      ['setup', 0, 10_000, false],
      ['warmup', 10_000, 20_000, false],
      ['steady', 20_000, 25_000, true],
    ]);
    expect(find(snapshot.windows[0] as WindowAggregates, 'connect_time')).toMatchObject({ n: 1, max: 5 });
    expect(find(snapshot.windows[1] as WindowAggregates, 'transactions')).toEqual({
      kind: 'counter',
      count: 20,
      rate: 2,
    });
    expect((snapshot.windows[2] as WindowAggregates).series.map((s) => s.metric)).toEqual(['connect_time']);
    expect(snapshot.cumulative).toMatchObject({ name: CUMULATIVE_WINDOW, start: 0, end: 25_000 });
    expect(find(snapshot.cumulative, 'connect_time')).toMatchObject({ n: 3, min: 5, max: 9 });
    expect(find(snapshot.cumulative, 'transactions')).toEqual({ kind: 'counter', count: 20, rate: 0.8 });
  });

  it('applies the configured expected interval to trends only, and can change it per phase', () => {
    const registry = new MetricRegistry({ expectedIntervalsMs: { write_commit: 10 } });
    registry.add({ metric: 'write_commit', value: 100, time: 0 });
    registry.add({ metric: 'checkpoint_latency', value: 100, time: 0 });
    registry.setExpectedInterval('write_commit', 50);
    registry.add({ metric: 'write_commit', value: 100, time: 0 });
    registry.setExpectedInterval('write_commit', undefined);
    registry.add({ metric: 'write_commit', value: 100, time: 0 });
    const { cumulative } = registry.snapshot();
    // 100 ms at 10 ms adds 90, 80, …, 10 (9 values); at 50 ms it adds 50 (1); once cleared, nothing.
    expect(find(cumulative, 'write_commit')).toMatchObject({ n: 3, synthetic: 10 });
    expect(find(cumulative, 'checkpoint_latency')).toMatchObject({ n: 1, synthetic: 0 });
    expect(() => registry.setExpectedInterval('write_commit', 0)).toThrow(RangeError);
  });

  it('refuses non-finite values, and negative trend and counter values, counting them per window', () => {
    const registry = new MetricRegistry({ now: () => 0 });
    registry.add({ metric: 'e2e_latency', value: -3, time: 0 });
    registry.add({ metric: 'e2e_latency', value: Number.NaN, time: 0 });
    registry.add({ metric: 'errors', value: -1, time: 0 });
    registry.add({ metric: 'open_streams', value: Number.POSITIVE_INFINITY, time: 0 });
    registry.add({ metric: 'pg_slot_lag_bytes', value: -5, time: 0 }); // gauges may go negative
    const closed = registry.beginWindow('next');
    expect(closed.rejected).toEqual({ e2e_latency: 2, errors: 1, open_streams: 1 });
    expect(closed.series.map((s) => s.metric)).toEqual(['pg_slot_lag_bytes']);
    const snapshot = registry.snapshot();
    expect(snapshot.windows[1]?.rejected).toEqual({});
    expect(snapshot.cumulative.rejected).toEqual({ e2e_latency: 2, errors: 1, open_streams: 1 });
  });

  it('declares counter series that report 0 in every window until counted', () => {
    const { state, now } = clock(0);
    const registry = new MetricRegistry({ now });
    expect(registry.declare('checksum_failures')).toBe(true);
    expect(registry.declare('errors', { code: 'http_429' })).toBe(true);
    expect(registry.declare('e2e_latency')).toBe(false);
    state.now = 1000;
    registry.beginWindow('phase 2');
    registry.add({ metric: 'errors', value: 1, time: 1000, tags: { code: 'http_429' } });
    state.now = 2000;
    const snapshot = registry.snapshot();
    for (const window of snapshot.windows) {
      expect(find(window, 'checksum_failures')).toEqual({ kind: 'counter', count: 0, rate: 0 });
    }
    expect(find(snapshot.windows[1] as WindowAggregates, 'errors', { code: 'http_429' })).toMatchObject({
      count: 1,
    });
    expect(snapshot.cumulative.series.some((s) => s.metric === 'e2e_latency')).toBe(false);
  });

  it('keeps no samples: the aggregate of a series does not grow with its number of samples', () => {
    const registry = new MetricRegistry();
    const record = (count: number) => {
      for (let i = 0; i < count; i++)
        registry.add({ metric: 'checkpoint_latency', value: (i % 1000) + 1, time: i });
    };
    record(1000);
    const before = registry.snapshot().cumulative.series[0]?.aggregate;
    record(200_000);
    const after = registry.snapshot().cumulative.series[0]?.aggregate;
    expect(after).toMatchObject({ n: 201_000 });
    // Same values, more counts: the encoded histogram stays about the same size.
    expect((after as { histogram: string }).histogram.length).toBeLessThan(
      (before as { histogram: string }).histogram.length * 2,
    );
  });
});
