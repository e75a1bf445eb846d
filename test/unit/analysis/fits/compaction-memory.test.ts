import { describe, expect, it } from 'vitest';
import { fitCompactionMemory } from '../../../../src/analysis/index.js';

describe('compaction peak memory', () => {
  const record = (peakRssMb?: number) => ({
    phase: 'compaction',
    result: { opsExamined: 1000, durationMs: 50, trackedRowsPeak: 200, memoryLimitMB: 432, peakRssMb },
  });

  it('reports the compact process peak RSS as a measured value with n = 1', () => {
    const fit = fitCompactionMemory([record(87.5)]);
    expect(fit.refused).toBeUndefined();
    expect(fit.estimates).toContainEqual({ name: 'peak RSS', value: 87.5, unit: 'MB' });
    expect(fit.notes.join(' ')).toContain('n = 1');
  });

  it('refuses when the run did not measure it, and when the run is invalid', () => {
    expect(fitCompactionMemory([record()]).refused).toContain('not measured');
    expect(fitCompactionMemory([record(87.5)], 'generator saturated').refused).toContain('invalid');
  });
});
