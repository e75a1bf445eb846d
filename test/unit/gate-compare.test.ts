import { describe, expect, it } from 'vitest';
import {
  compareRuns,
  exitCodeOf,
  GateError,
  gateJunit,
  gateMarkdown,
  gateTerminalText,
  selectMetrics,
  type CompareOptions,
  type GateRun,
} from '../../src/gate/index.js';
import { renderComparePage } from '../../src/report/index.js';
import type { MachineFingerprint } from '../../src/probes/index.js';

const MACHINE: MachineFingerprint = {
  cpuModel: 'Test CPU',
  cores: 2,
  nodeVersion: 'v20.20.2',
  platform: 'linux',
  arch: 'x64',
  totalMemoryBytes: 24 * 2 ** 30,
  cgroup: {},
};

let counter = 0;
function run(values: Record<string, number>, extra: Partial<GateRun> = {}): GateRun {
  counter++;
  return {
    runId: `run-${counter}`,
    source: `mem:${counter}`,
    scenario: { name: 'gate', phases: ['a', 'b'] },
    valid: true,
    reasons: [],
    machine: MACHINE,
    values,
    ...extra,
  };
}

const options = (ids: string[], more: Partial<CompareOptions> = {}): CompareOptions => ({
  delta: 0.05,
  alpha: 0.05,
  level: 0.95,
  metrics: selectMetrics(ids),
  force: false,
  ...more,
});

const runs = (metric: string, values: number[], extra: Partial<GateRun> = {}) =>
  values.map((v) => run({ [metric]: v }, extra));

describe('gate comparison', () => {
  it('a clear slowdown of a higher-is-worse metric is a regression', () => {
    const verdict = compareRuns(
      runs('e2e_p99', [20, 21, 19, 20.5, 22]),
      runs('e2e_p99', [30, 31, 29, 32, 30.5]),
      options(['e2e_p99']),
    );
    expect(verdict.outcome).toBe('regression');
    const m = verdict.metrics[0]!;
    // Ratio of geometric means.
    const gm = (v: number[]) => Math.exp(v.reduce((s, x) => s + Math.log(x), 0) / v.length);
    expect(m.worseRatio).toBeCloseTo(gm([30, 31, 29, 32, 30.5]) / gm([20, 21, 19, 20.5, 22]), 10);
    expect(m.interval![0]).toBeGreaterThan(1.05);
    expect(m.p).toBeLessThan(0.01);
    expect(exitCodeOf(verdict.outcome)).toBe(3);
  });

  it('a throughput drop is a regression for a lower-is-worse metric; a rise is not', () => {
    const worse = compareRuns(
      runs('compaction_ops_per_s', [1000, 1010, 990, 1005, 995]),
      runs('compaction_ops_per_s', [700, 710, 690, 705, 695]),
      options(['compaction_ops_per_s']),
    );
    expect(worse.outcome).toBe('regression');
    expect(worse.metrics[0]!.worseRatio).toBeCloseTo(1000 / 700, 2);
    const better = compareRuns(
      runs('compaction_ops_per_s', [1000, 1010, 990, 1005, 995]),
      runs('compaction_ops_per_s', [1300, 1310, 1290, 1305, 1295]),
      options(['compaction_ops_per_s']),
    );
    expect(better.outcome).toBe('no-regression');
  });

  it('equal, tight runs show no regression; noisy equal runs are inconclusive', () => {
    const tight = compareRuns(
      runs('e2e_p50', [10, 10.1, 9.9, 10, 10.05, 9.95]),
      runs('e2e_p50', [10.02, 9.98, 10.1, 9.9, 10, 10.03]),
      options(['e2e_p50']),
    );
    expect(tight.outcome).toBe('no-regression');
    expect(exitCodeOf(tight.outcome)).toBe(0);
    const noisy = compareRuns(
      runs('e2e_p50', [10, 14, 8, 12, 9]),
      runs('e2e_p50', [11, 8, 13, 10, 15]),
      options(['e2e_p50']),
    );
    expect(noisy.outcome).toBe('inconclusive');
    expect(exitCodeOf(noisy.outcome)).toBe(4);
    expect(noisy.metrics[0]!.reason).toMatch(/reaches 1\.05; these runs detect from ×\d/);
  });

  it('Holm–Bonferroni: a borderline separation that passes alone is held back among many metrics', () => {
    const ids = [
      'e2e_p50',
      'e2e_p99',
      'checkpoint_p99',
      'first_checkpoint_p99',
      'api_rss_per_connection',
      'compaction_ops_per_s',
      'api_cpu_per_connection',
      'replicator_cpu_per_1k_ops',
    ];
    const base = [0, 1, 2].map((i) => run(Object.fromEntries(ids.map((id) => [id, [100, 101, 99][i]!]))));
    // e2e_p50 worse by 15 % (δ = 0): borderline, 0.05 / 8 < p < 0.05.
    const b4 = [...base, run(Object.fromEntries(ids.map((id) => [id, 100.5])))];
    const c4 = [0, 1, 2, 3].map((i) =>
      run(
        Object.fromEntries(
          ids.map((id) => [
            id,
            id === 'e2e_p50' ? [115, 116.15, 113.85, 115.575][i]! : [100, 101, 99, 100.5][i]!,
          ]),
        ),
      ),
    );
    const alone = compareRuns(b4, c4, options(['e2e_p50'], { delta: 0 }));
    expect(alone.metrics[0]!.p).toBeGreaterThan(0.05 / 8);
    expect(alone.metrics[0]!.p).toBeLessThan(0.05);
    expect(alone.outcome).toBe('regression');
    const many = compareRuns(b4, c4, options(ids, { delta: 0 }));
    const e2e = many.metrics.find((m) => m.id === 'e2e_p50')!;
    expect(e2e.pAdjusted).toBeGreaterThan(0.05);
    expect(e2e.outcome).toBe('inconclusive');
  });

  it('names bad input: invalid run (98), too few runs, different scenarios (2)', () => {
    const good = runs('e2e_p50', [10, 11, 12]);
    const invalid = [
      ...runs('e2e_p50', [10, 11]),
      run({ e2e_p50: 12 }, { valid: false, reasons: ['load generator saturated: cpu'] }),
    ];
    const expectError = (fn: () => unknown, code: string, exit: number) => {
      try {
        fn();
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(GateError);
        expect((error as GateError).code).toBe(code);
        expect((error as GateError).exitCode).toBe(exit);
      }
    };
    expectError(() => compareRuns(good, invalid, options(['e2e_p50'])), 'SSCALE_G0004', 98);
    expectError(() => compareRuns(good, good.slice(0, 2), options(['e2e_p50'])), 'SSCALE_G0003', 2);
    const other = runs('e2e_p50', [10, 11, 12], { scenario: { name: 'quickstart', phases: ['a', 'b'] } });
    expectError(() => compareRuns(good, other, options(['e2e_p50'])), 'SSCALE_G0002', 2);
  });

  it('different machines: warns, skips machine-dependent metrics, refuses when nothing is left, --force compares', () => {
    const elsewhere = { ...MACHINE, cpuModel: 'Other CPU', cores: 8 };
    const base = [1, 2, 3].map((i) => run({ e2e_p50: 10 + i, api_rss_per_connection: 12 + i / 10 }));
    const cand = [1, 2, 3].map((i) =>
      run({ e2e_p50: 10 + i, api_rss_per_connection: 12 + i / 10 }, { machine: elsewhere }),
    );
    const mixed = compareRuns(base, cand, options(['e2e_p50', 'api_rss_per_connection']));
    expect(mixed.warnings.join()).toContain('cpuModel Test CPU vs Other CPU');
    expect(mixed.metrics.find((m) => m.id === 'e2e_p50')!.outcome).toBe('skipped');
    expect(mixed.metrics.find((m) => m.id === 'api_rss_per_connection')!.outcome).not.toBe('skipped');
    expect(() => compareRuns(base, cand, options(['e2e_p50']))).toThrow(/SSCALE_G0005/);
    const forced = compareRuns(base, cand, options(['e2e_p50'], { force: true }));
    expect(forced.metrics[0]!.outcome).not.toBe('skipped');
  });

  it('a metric missing from runs is skipped with the reason (inconclusive when named explicitly)', () => {
    const base = runs('e2e_p50', [10, 11, 12]);
    const cand = [run({ e2e_p50: 10 }), run({ e2e_p50: 11 }), run({})];
    const implicit = compareRuns(base, cand, options(['e2e_p50']));
    expect(implicit.metrics[0]!.outcome).toBe('skipped');
    expect(implicit.outcome).toBe('inconclusive');
    const explicit = compareRuns(base, cand, options(['e2e_p50'], { explicitMetrics: true }));
    expect(explicit.metrics[0]!.outcome).toBe('inconclusive');
    expect(explicit.metrics[0]!.reason).toContain('measured in 3 baseline and 2 candidate runs');
  });

  it('renders a terminal table, Markdown, JUnit (one case per metric) and a compare page', async () => {
    const verdict = compareRuns(
      [1, 2, 3, 4, 5].map((i) => run({ e2e_p99: 20 + i / 10, e2e_p50: 10 + i / 100 })),
      [1, 2, 3, 4, 5].map((i) => run({ e2e_p99: 30 + i / 10, e2e_p50: 10 + i / 100 })),
      options(['e2e_p99', 'e2e_p50']),
    );
    expect(gateTerminalText(verdict)).toMatch(/REGRESSION: p99 end-to-end latency/);
    const md = gateMarkdown(verdict);
    expect(md).toContain('| p99 end-to-end latency |');
    expect(md).toContain('REGRESSION');
    const junit = gateJunit(verdict);
    expect(junit.match(/<testcase /g)).toHaveLength(2);
    expect(junit).toContain('failures="1"');
    expect(junit).toMatch(/name="e2e_p99: p99 end-to-end latency"><failure/);
    const html = await renderComparePage(verdict);
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(html).toContain('data-metric="e2e_p50"');
  });
});
