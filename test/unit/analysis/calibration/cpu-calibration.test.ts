import { describe, expect, it } from 'vitest';
import {
  cpuModelDimensions,
  translateCpuPoints,
} from '../../../../src/analysis/calibration/cpu-calibration.js';
import type { Calibration } from '../../../../src/analysis/index.js';
import type { CpuPoint } from '../../../../src/analysis/fits/api-cpu-model.js';

/** CPU levels of a service costing a + b·c + k·c·r, with a little deterministic noise. */
function levels(a: number, b: number, k: number, noise = 0.01): CpuPoint[] {
  const out: CpuPoint[] = [];
  let i = 0;
  for (const c of [250, 500, 1000, 2000])
    for (const r of [10, 50]) {
      const wobble = ((i++ * 7919) % 11) / 10 - 0.5; // in [-0.5, 0.5]
      out.push({
        phase: `c${c}-r${r}`,
        connections: c,
        rate: r,
        cpu: a + b * c + k * c * r + noise * wobble,
      });
    }
  return out;
}

const calibrationOf = (dims: NonNullable<ReturnType<typeof cpuModelDimensions>>): Calibration => ({
  kind: 'syncscale-calibration',
  version: 1,
  createdAt: '',
  reference: { runId: 'ref', service: 'reference' },
  real: { runId: 'real', service: 'real' },
  shape: { scenario: 's', transports: [], compression: 'sdk', syncConfigBuckets: null },
  dimensions: dims.dimensions,
  notEstimated: dims.notEstimated,
  cpuModel: { form: 'rate' },
});

describe('the CPU model carried coefficient by coefficient', () => {
  it('recovers known ratios of every coefficient, each with its interval', () => {
    const dims = cpuModelDimensions(levels(0.05, 4e-5, 2e-6), levels(0.1, 1.2e-4, 3e-6))!;
    const ratio = (name: string) => dims.dimensions.find((d) => d.name === name);
    // A fixed cost adds: the baseline is a difference.
    expect(ratio('api_baseline_cpu')!.difference!.value).toBeCloseTo(0.05, 2);
    expect(ratio('api_cpu_per_connection')!.ratio).toBeCloseTo(3, 0);
    expect(ratio('api_cpu_per_connection_tx')!.ratio).toBeCloseTo(1.5, 1);
    for (const d of dims.dimensions.filter((x) => !x.difference)) {
      expect(d.interval![0]).toBeLessThanOrEqual(d.ratio);
      expect(d.interval![1]).toBeGreaterThanOrEqual(d.ratio);
      expect(d.n).toEqual([8, 8]);
    }
  });

  it('carries a fixed cost the reference does not have as a difference, not a ratio to noise', () => {
    const dims = cpuModelDimensions(levels(0, 4e-5, 2e-6), levels(0.5, 4e-5, 2e-6))!;
    const baseline = dims.dimensions.find((d) => d.name === 'api_baseline_cpu')!;
    expect(baseline.difference!.value).toBeCloseTo(0.5, 1);
    expect(baseline.difference!.interval[0]).toBeGreaterThan(0.4);
    // Translated, the reference's levels land on the real service's.
    const moved = translateCpuPoints(levels(0, 4e-5, 2e-6), calibrationOf(dims))!;
    const real = levels(0.5, 4e-5, 2e-6);
    moved.points.forEach((p, i) => expect(p.cpu).toBeCloseTo(real[i]!.cpu, 1));
    expect(moved.note).toMatch(/api_baseline_cpu \+0\.5\d* cores/);
  });

  it('carries a coefficient with no ratio as a difference when the difference is clear', () => {
    const dims = cpuModelDimensions(levels(0.05, 4e-5, 2e-6), levels(0.1, 8e-5, -1e-6))!;
    const perTx = dims.dimensions.find((d) => d.name === 'api_cpu_per_connection_tx')!;
    expect(perTx.note).toMatch(/carried as a difference .*not positive on both services/);
    expect(perTx.difference!.value).toBeCloseTo(-3e-6, 7);
  });

  it('uses the real run’s own levels when a coefficient cannot be carried either way, and says which', () => {
    // Noise far above the per-connection signal on the real side: no ratio, no clear difference.
    const real = levels(0.3, 1e-5, 1e-6, 0.6);
    const dims = cpuModelDimensions(levels(0.05, 4e-5, 2e-6), real)!;
    const stuck = dims.notEstimated.map((n) => n.name);
    expect(stuck.length).toBeGreaterThan(0);
    const carried = translateCpuPoints(levels(0.05, 4e-5, 2e-6), {
      ...calibrationOf(dims),
      realCpuLevels: real,
    })!;
    expect(carried.points).toEqual(real);
    expect(carried.note).toMatch(
      new RegExp(`CPU from the real run's own levels .*could not carry ${stuck[0]}`),
    );
  });

  it('is not attempted with one write rate: the rate term is not identifiable', () => {
    const oneRate = levels(0.05, 4e-5, 2e-6).filter((p) => p.rate === 10);
    expect(cpuModelDimensions(oneRate, oneRate)).toBeUndefined();
  });
});
