import { describe, expect, it } from 'vitest';
import {
  evaluateThresholds,
  MetricRegistry,
  parseThresholds,
  type Threshold,
  type WindowAggregates,
} from '../../src/metrics/index.js';

function thresholds(record: Record<string, string[]>): Threshold[] {
  const result = parseThresholds(record);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.thresholds;
}

/** A 10 s window: e2e latency 1..1000 ms over ws and 2000 ms ×10 over http, some counters and a gauge. */
function window(): WindowAggregates {
  const state = { now: 0 };
  const registry = new MetricRegistry({ now: () => state.now });
  for (let value = 1; value <= 1000; value++) {
    registry.add({ metric: 'e2e_latency', value, time: 0, tags: { transport: 'ws', region: 'eu' } });
  }
  for (let i = 0; i < 10; i++) {
    registry.add({ metric: 'e2e_latency', value: 2000, time: 0, tags: { transport: 'http' } });
  }
  registry.add({ metric: 'errors', value: 3, time: 0, tags: { code: 'http_429' } });
  registry.add({ metric: 'errors', value: 2, time: 0, tags: { code: 'network' } });
  registry.add({ metric: 'ops_received', value: 5000, time: 0 });
  registry.add({ metric: 'open_streams', value: 80, time: 1 });
  registry.add({ metric: 'open_streams', value: 100, time: 2 });
  registry.add({ metric: 'open_streams', value: 95, time: 3 });
  registry.declare('checksum_failures');
  state.now = 10_000;
  return registry.snapshot().windows[0] as WindowAggregates;
}

function evaluate(record: Record<string, string[]>) {
  return evaluateThresholds(thresholds(record), window());
}

describe('evaluateThresholds', () => {
  it('passes and fails trend thresholds on the series matching the tag filter', () => {
    const results = evaluate({
      'e2e_latency{transport:ws}': [
        'p(99) < 1000',
        'p(99) < 900',
        'avg < 600',
        'max <= 1000',
        'min == 1',
        'med > 499',
        'count == 1000',
      ],
    });
    expect(results.map((r) => [r.threshold.expression, r.status])).toEqual([
      ['p(99) < 1000', 'passed'],
      ['p(99) < 900', 'failed'],
      ['avg < 600', 'passed'],
      ['max <= 1000', 'passed'],
      ['min == 1', 'passed'],
      ['med > 499', 'passed'],
      ['count == 1000', 'passed'],
    ]);
    const failed = results[1];
    expect(failed?.observed).toBeCloseTo(990, -1);
    expect(failed).toMatchObject({ passed: false, n: 1000, series: 1, window: 'start' });
    expect(failed?.reason).toMatch(/^observed 990\.\d+ \(n=1000\), expected < 900$/);
  });

  it('merges every series a filter matches (all tags, or a subset of them)', () => {
    const [all, ws] = evaluate({ e2e_latency: ['max == 2000'], 'e2e_latency{region:eu}': ['max == 1000'] });
    expect(all).toMatchObject({ status: 'passed', observed: 2000, n: 1010, series: 2 });
    expect(ws).toMatchObject({ status: 'passed', observed: 1000, series: 1 });
    // p(99.5) of the merged histogram sees the http stall; the ws series alone does not.
    const [merged] = evaluate({ e2e_latency: ['p(99.5) < 1500'] });
    expect(merged).toMatchObject({ status: 'failed', observed: 2000 });
  });

  it('reads counters (count, rate) and gauges (last, min, max)', () => {
    const results = evaluate({
      errors: ['count == 5', 'rate <= 0.5'],
      'errors{code:http_429}': ['count < 3'],
      ops_received: ['rate >= 500', 'rate > 500'],
      open_streams: ['last == 95', 'min >= 80', 'max != 100'],
    });
    expect(results.map((r) => [r.threshold.key, r.threshold.expression, r.status, r.observed])).toEqual([
      ['errors', 'count == 5', 'passed', 5],
      ['errors', 'rate <= 0.5', 'passed', 0.5],
      ['errors{code:http_429}', 'count < 3', 'failed', 3],
      ['ops_received', 'rate >= 500', 'passed', 500],
      ['ops_received', 'rate > 500', 'failed', 500],
      ['open_streams', 'last == 95', 'passed', 95],
      ['open_streams', 'min >= 80', 'passed', 80],
      ['open_streams', 'max != 100', 'failed', 100],
    ]);
    expect(results[2]?.reason).toBe('observed 3, expected < 3');
  });

  it('fails with "no samples" when nothing matches, whatever the comparison', () => {
    const results = evaluate({
      first_checkpoint: ['p(99) < 1000000'],
      'e2e_latency{transport:rsocket}': ['max >= 0'],
      'errors{code:rejected_setup}': ['count == 0'],
      process_rss_bytes: ['max < 1e12'],
    });
    for (const result of results) {
      expect(result).toMatchObject({
        status: 'no data',
        passed: false,
        observed: null,
        reason: 'no samples',
        series: 0,
      });
    }
  });

  it('has data for a declared counter that was never counted', () => {
    const [result] = evaluate({ checksum_failures: ['count == 0'] });
    expect(result).toMatchObject({ status: 'passed', observed: 0 });
  });

  it('fails, rather than guesses, when the series kind has no such aggregate', () => {
    // Parsed as a trend via a custom kind table; the window holds the metric as a gauge.
    const parsed = parseThresholds({ open_streams: ['p(99) < 10'] }, { kinds: { open_streams: 'trend' } });
    if (!parsed.ok) throw new Error('expected to parse');
    const [result] = evaluateThresholds(parsed.thresholds, window());
    expect(result).toMatchObject({ status: 'failed', passed: false, observed: null });
    expect(result?.reason).toBe('"p(99)" cannot be read from gauge series');
  });

  it('reports no data for a rate over a window with no duration', () => {
    const registry = new MetricRegistry({ now: () => 0 });
    registry.add({ metric: 'errors', value: 1, time: 0 });
    const [result] = evaluateThresholds(thresholds({ errors: ['rate < 1'] }), registry.snapshot().cumulative);
    expect(result).toMatchObject({ status: 'no data', passed: false, observed: null });
  });
});
