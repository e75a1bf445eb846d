import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  formatSummary,
  loadProfile,
  loadRunResults,
  recommend,
  type CapacityProfile,
  type Recommendations,
} from '../../../../src/analysis/index.js';

const ROOT = path.resolve(__dirname, '../../../..');
const RECORDED = path.join(ROOT, 'test/fixtures/recorded');
const PROFILE = loadProfile(path.join(ROOT, 'scenarios/profile-default.yaml'));
const run = (name: string) => loadRunResults(path.join(RECORDED, name));
const api = (recs: Recommendations) => {
  if ('infeasible' in recs.api) throw new Error(recs.api.infeasible);
  return recs.api;
};
const withShapes = (shapes: CapacityProfile['containers']['shapes']): CapacityProfile => ({
  ...PROFILE,
  containers: { ...PROFILE.containers, shapes },
});

describe('container shapes as a Node process sees them', () => {
  it('a 2-vCPU shape is not credited with two cores: the CPU budget is the process ceiling', () => {
    const a = api(
      recommend(run('real-powersync-1.25/calibrate-valid'), withShapes(PROFILE.containers.shapes.slice(1))),
    );
    expect(a.shape.cpu).toBe(2);
    expect(a.ceiling).toMatchObject({ cores: 1.25, source: 'default' });
    const cpu = a.limits.find((l) => l.name === 'cpu')!;
    expect(cpu.rule).toMatch(/≤ 0\.7 × 1\.25 cores \(process ceiling 1\.25 cores by default/);
    const four = a.shapes.find((s) => s.cpu === 4)!;
    expect(four.usableCpu).toBe(1.25);
    expect(four.why).toMatch(/2\.75 of its 4 vCPU a single API process cannot use/);
  });

  it('with prices, two 1-vCPU containers cheaper than one 2-vCPU container of the same memory win', () => {
    const profile = withShapes([
      { cpu: 1, memory_mb: 2048, price_per_hour: 0.04 },
      { cpu: 2, memory_mb: 2048, price_per_hour: 0.1 },
    ]);
    const recs = recommend(run('reference-service/calibrate'), profile);
    const a = api(recs);
    expect(a.shape).toEqual({ cpu: 1, memoryMb: 2048 });
    expect(a.shapeRule).toMatch(/cheapest total price per hour/);
    const chosen = a.shapes.find((s) => s.chosen)!;
    expect(chosen.costPerMonth).toBeCloseTo(0.04 * a.containers.value! * 730.5, 6);
    const other = a.shapes.find((s) => !s.chosen)!;
    expect(other.why).toMatch(/costs .* more per month/);
    expect(formatSummary(recs)).toMatch(
      /Shape \(chosen\)\s+1 vCPU \/ 2048 MB: \d+ containers, [\d.]+ per month/,
    );
  });

  it('without prices it says so and chooses by the resources a process can use', () => {
    const a = api(recommend(run('reference-service/calibrate'), PROFILE));
    expect(a.shapeRule).toMatch(/no prices in the profile/);
    expect(a.shapes.filter((s) => s.chosen)).toHaveLength(1);
  });
});
