import { describe, expect, it } from 'vitest';
import { fitApiCpuModel, type CpuPoint } from '../../../../src/analysis/fits/api-cpu-model.js';

/** Levels like the quickstart's: 250–2,000 connections at 10 and 50 tx/s, with a little noise. */
function levels(cpu: (c: number, r: number) => number): CpuPoint[] {
  const points: CpuPoint[] = [];
  let wobble = 1;
  for (const c of [250, 500, 1000, 2000])
    for (const r of [10, 50]) {
      wobble = -wobble;
      points.push({ phase: `c${c}-w${r}`, connections: c, rate: r, cpu: cpu(c, r) * (1 + 0.02 * wobble) });
    }
  return points;
}

describe('API CPU model against connections and write rate', () => {
  it('fan-out data: the rate form wins on the held-out top level and predicts at the peak rate', () => {
    const truth = (c: number, r: number) => 0.05 + 1e-5 * c + 4e-6 * c * r;
    const { fit, choice } = fitApiCpuModel(levels(truth), 60);
    expect(choice.chosen).toBe('rate');
    expect(choice.reason).toMatch(/held-out top level \(2000 connections\)/);
    const p = fit.predict(1500)!;
    expect(Math.abs(p.value - truth(1500, 60)) / truth(1500, 60)).toBeLessThan(0.1);
    expect(p.high).toBeGreaterThan(p.value);
    expect(choice.extrapolatesInRate).toMatch(/predicted at 60 tx\/s, measured 10–50 tx\/s/);
    // The linear form (10 tx/s levels only, rate ignored) misses the 50 tx/s cost.
    const linear = choice.candidates.find((c) => c.form === 'linear')!;
    expect(linear.heldOutErrorPercent).not.toBeNull();
  });

  it('contention data: the convex form wins when the per-stream cost grows with the streams', () => {
    const truth = (c: number, r: number) => 0.05 + 1e-5 * c + 1e-6 * c * r + 1.5e-7 * c * c;
    const { choice } = fitApiCpuModel(levels(truth), 50);
    expect(choice.chosen).toBe('rate-convex');
  });

  it('one write rate: the rate term is not identifiable and the linear form is used, saying so', () => {
    const points = levels((c) => 0.05 + 2e-4 * c).filter((p) => p.rate === 10);
    const { fit, choice } = fitApiCpuModel(points, 60);
    expect(choice.chosen).toBe('linear');
    expect(choice.candidates.find((c) => c.form === 'rate')!.refused).toMatch(/one write rate/);
    expect(choice.reason).toMatch(/measured at 10 tx\/s, applied unchanged at 60 tx\/s/);
    expect(fit.refused).toBeUndefined();
  });

  it('refuses a model in which CPU does not grow with connections', () => {
    const { fit } = fitApiCpuModel(
      levels(() => 0.3),
      50,
    );
    expect(fit.refused).toMatch(/non-positive slope|does not grow/);
  });
});
