import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  MetricRegistry,
  phaseAggregates,
  settleWindowName,
  type WindowAggregates,
} from '../../src/metrics/index.js';
import {
  backlogLines,
  exclusionLines,
  exclusionSummary,
  parseRunResults,
  sizingLimitLines,
} from '../../src/report/index.js';

const RECORDED = path.resolve(__dirname, '../fixtures/recorded');

function window(
  name: string,
  start: number,
  end: number,
  series: WindowAggregates['series'],
): WindowAggregates {
  return { name, start, end, open: false, series, rejected: {} };
}

const trend = (n: number) => ({
  kind: 'trend' as const,
  n,
  synthetic: 0,
  min: 1,
  max: 1,
  mean: 1,
  stdev: 0,
  p50: 1,
  p90: 1,
  p95: 1,
  p99: 1,
  p999: 1,
  histogram: '',
});

describe('a phase with a settle window', () => {
  const settle = window(settleWindowName('steady'), 0, 2_000, [
    { metric: 'e2e_latency', tags: {}, aggregate: trend(7) },
    { metric: 'errors', tags: { code: 'network' }, aggregate: { kind: 'counter', count: 2, rate: 1 } },
    { metric: 'checksum_failures', tags: {}, aggregate: { kind: 'counter', count: 1, rate: 0.5 } },
  ]);
  const measured = window('steady', 2_000, 10_000, [
    { metric: 'e2e_latency', tags: {}, aggregate: trend(40) },
    { metric: 'errors', tags: { code: 'network' }, aggregate: { kind: 'counter', count: 3, rate: 0.375 } },
  ]);

  it('keeps trends of the measured window and counts counters over the whole phase', () => {
    const phase = phaseAggregates([settle, measured], 'steady')!;
    const series = (metric: string) => phase.aggregates.series.find((s) => s.metric === metric)?.aggregate;
    expect(series('e2e_latency')).toMatchObject({ kind: 'trend', n: 40 });
    // An error or checksum failure while settling still counts against the phase.
    expect(series('errors')).toEqual({ kind: 'counter', count: 5, rate: 0.5 });
    expect(series('checksum_failures')).toEqual({ kind: 'counter', count: 1, rate: 0.1 });
    expect(phase.aggregates.start).toBe(2_000);
    expect(phase.settle).toEqual({ start: 0, measuredFrom: 2_000, excludedSamples: { e2e_latency: 7 } });
  });

  it('keeps the connect trends (connect time, first checkpoint) over the whole phase: they are what settling holds', () => {
    let now = 0;
    const registry = new MetricRegistry({ now: () => now });
    registry.beginWindow(settleWindowName('connect'), 0);
    for (const ms of [100, 200, 300]) registry.add({ metric: 'first_checkpoint', value: ms, time: now });
    registry.add({ metric: 'checkpoint_latency', value: 50, time: now });
    now = 2_000;
    registry.beginWindow('connect', now);
    registry.add({ metric: 'first_checkpoint', value: 400, time: now });
    registry.add({ metric: 'checkpoint_latency', value: 5, time: now });
    now = 6_000;
    const phase = phaseAggregates(registry.snapshot().windows, 'connect')!;
    const trend = (metric: string) => phase.aggregates.series.find((s) => s.metric === metric)?.aggregate;
    expect(trend('first_checkpoint')).toMatchObject({ kind: 'trend', n: 4, max: 400 });
    expect(trend('checkpoint_latency')).toMatchObject({ kind: 'trend', n: 1, max: 5 });
    expect(phase.settle?.excludedSamples).toEqual({ checkpoint_latency: 1 });
  });

  it('is the measured window as is when the phase has no settle window', () => {
    expect(phaseAggregates([measured], 'steady')).toEqual({ aggregates: measured });
    expect(phaseAggregates([settle], 'other')).toBeUndefined();
  });

  it('says what each phase left out, and sums it for the terminal', () => {
    const results = parseRunResults({
      runId: 'r',
      scenario: { name: 's' },
      validity: { valid: true, reasons: [] },
      phases: [
        {
          name: 'steady',
          start: 0,
          end: 10_000,
          targetClients: { start: 5, end: 5 },
          actions: [
            {
              kind: 'large_transaction',
              atMs: 500,
              durationMs: 900,
              result: { rows: 2000, caughtUp: true, caughtUpMs: 500 },
            },
            {
              kind: 'restart',
              process: 'replicator',
              atMs: 3000,
              durationMs: 300,
              result: { caughtUp: false, note: 'not caught up with x by the end of the phase' },
            },
          ],
          settle: { start: 0, measuredFrom: 2_000, excludedSamples: { e2e_latency: 7 } },
          aggregates: {
            series: [
              { metric: 'e2e_earlier_rows', tags: {}, aggregate: { kind: 'counter', count: 4, rate: 0.4 } },
            ],
          },
        },
      ],
    });
    expect(exclusionLines(results)).toEqual([
      "Each phase's first 2.0 s (its settle window) is left out of its latencies and probe readings; counters, connect time and first checkpoint count the whole phase.",
      'steady: 7 e2e_latency, 4 rows committed before the phase (not timed)',
    ]);
    expect(exclusionSummary(results)).toBe(
      "Left out: each phase's settle window left out of its latencies and probe readings (7 e2e samples); 4 rows committed before their phase not timed",
    );
    expect(backlogLines(results)).toEqual([
      'steady: one transaction of 2000 rows replicated in 0.5 s (4000 rows/s)',
      'steady: restart replicator: not caught up with x by the end of the phase',
    ]);
  });
});

describe('probe notes that limit the sizing', () => {
  it('groups what the recorded real run could not measure, by quantity, and leaves out what was read another way', () => {
    const json = JSON.parse(
      fs.readFileSync(path.join(RECORDED, 'real-powersync-1.25/grid/results.json'), 'utf8'),
    );
    // RSS and CPU came from /proc, not from metrics: not limits. The heap was not measured at all.
    expect(sizingLimitLines(parseRunResults(json))).toEqual([
      'heap not measured for api-0, replicator-0: no heap size is recommended (heap not measured)',
    ]);
  });
});
