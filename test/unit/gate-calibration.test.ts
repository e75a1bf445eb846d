import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GATE_METRICS, recordedTrials, type GateRun } from '../../src/gate/index.js';

/**
 * The gate's statistics on per-run figures recorded from real runs of scenarios/gate.yaml on this machine
 * class (`npm run bench:gate-record`): 10 runs each of the same build with the test-only checkpoint delay
 * at 0, 2 and 8 ms (2 ms ≈ +31 % of the baseline's p50 end-to-end latency, 8 ms ≈ +120 %).
 */
const recorded = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../fixtures/gate/recorded-runs.json'), 'utf8'),
) as { runs: Record<string, GateRun[]> };
const base = recorded.runs['0']!;
const options = { delta: 0.05, alpha: 0.05, level: 0.95, metrics: GATE_METRICS, force: false };
const count = (outcomes: string[], outcome: string) => outcomes.filter((o) => o === outcome).length;

describe('gate calibration on recorded runs', () => {
  it('A/A: the same build against itself is called a regression in at most 1 of 20 comparisons', () => {
    const outcomes = recordedTrials(base, base, { ...options, k: 5, trials: 20, seed: 11 });
    expect(count(outcomes, 'regression')).toBeLessThanOrEqual(1);
  });

  it('power: a +31 % checkpoint slowdown is a regression in at least 18 of 20 trials at k = 5', () => {
    const outcomes = recordedTrials(base, recorded.runs['2']!, { ...options, k: 5, trials: 20, seed: 12 });
    expect(count(outcomes, 'regression')).toBeGreaterThanOrEqual(18);
  });

  it('few runs: at k = 3 the +31 % slowdown is still called in most trials, A/A in at most 2 of 20', () => {
    const slow = recordedTrials(base, recorded.runs['2']!, { ...options, k: 3, trials: 20, seed: 16 });
    expect(count(slow, 'regression')).toBeGreaterThanOrEqual(14);
    const same = recordedTrials(base, base, { ...options, k: 3, trials: 20, seed: 17 });
    expect(count(same, 'regression')).toBeLessThanOrEqual(2);
  });

  it('power on few runs: a doubling is a regression at k = 3, where a rank test floors at p = 1/20', () => {
    const outcomes = recordedTrials(base, recorded.runs['8']!, { ...options, k: 3, trials: 20, seed: 15 });
    expect(count(outcomes, 'regression')).toBe(20);
  });

  it('power: a doubling (+120 %) is a regression every time', () => {
    const outcomes = recordedTrials(base, recorded.runs['8']!, { ...options, k: 5, trials: 5, seed: 13 });
    expect(count(outcomes, 'regression')).toBe(5);
  });

  it('the slowdown is found in the metric it affects, not spread over the others', () => {
    const outcomes = recordedTrials(base, recorded.runs['8']!, {
      ...options,
      metrics: GATE_METRICS.filter((m) => m.id === 'e2e_p50'),
      k: 5,
      trials: 5,
      seed: 14,
    });
    expect(count(outcomes, 'regression')).toBe(5);
  });
});

/** 20 runs of one build (recorded after the service's gzip members; `npm run bench:gate-record -- --runs 20 --delays 0`). */
const sameBuild = (
  JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/gate/recorded-aa.json'), 'utf8')) as {
    runs: Record<string, GateRun[]>;
  }
).runs['0']!;

describe('gate equivalence on recorded runs of one build', () => {
  it('with k large enough, an identical build ends "no regression", not "inconclusive"', () => {
    // API RSS per connection moves ±9 % run to run here: at k = 10 its interval fits within δ = 10 %.
    const rss = GATE_METRICS.filter((m) => m.id === 'api_rss_per_connection');
    const outcomes = recordedTrials(sameBuild, sameBuild, {
      ...options,
      delta: 0.1,
      metrics: rss,
      k: 10,
      trials: 10,
      seed: 21,
    });
    expect(count(outcomes, 'no-regression')).toBeGreaterThanOrEqual(9);
    expect(count(outcomes, 'regression')).toBe(0);
  });

  it('k = 10 A/A over every metric raises no false alarm', () => {
    const outcomes = recordedTrials(sameBuild, sameBuild, { ...options, k: 10, trials: 10, seed: 22 });
    expect(count(outcomes, 'regression')).toBe(0);
  });
});
