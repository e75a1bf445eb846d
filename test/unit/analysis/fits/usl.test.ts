import { describe, expect, it } from 'vitest';
import { fitUsl } from '../../../../src/analysis/index.js';

describe('Universal Scalability Law fit', () => {
  const usl = (n: number) => 20 * (1 + 0.02 * (n - 1) + 0.0001 * n * (n - 1));

  it('recovers σ and κ from exact data, and the load where throughput peaks', () => {
    const fit = fitUsl([1, 50, 100, 200, 400].map((x) => ({ x, y: usl(x) })))!;
    expect(fit.r1).toBeCloseTo(20, 6);
    expect(fit.sigma).toBeCloseTo(0.02, 6);
    expect(fit.kappa).toBeCloseTo(0.0001, 8);
    expect(fit.peakConnections).toBeCloseTo(Math.sqrt(0.98 / 0.0001), 3);
    expect(fit.predict(300)).toBeCloseTo(usl(300), 6);
  });

  it('recovers them within tolerance from noisy data', () => {
    const noise = [1.03, 0.98, 1.02, 0.99, 1.01, 0.97];
    const fit = fitUsl([1, 25, 50, 100, 200, 400].map((x, i) => ({ x, y: usl(x) * noise[i]! })))!;
    expect(fit.kappa).toBeGreaterThan(0.00007);
    expect(fit.kappa).toBeLessThan(0.00013);
    expect(fit.r2).toBeGreaterThan(0.99);
  });

  it('refuses fewer than 4 levels', () => {
    expect(fitUsl([1, 10, 100].map((x) => ({ x, y: usl(x) })))).toBeUndefined();
  });
});
