import { describe, expect, it } from 'vitest';
import { labelProcesses } from '../../src/scenario/external-target.js';

describe('external target processes by role', () => {
  it('labels API and replicator processes as the sizing reads them; a unified process counts as both', () => {
    expect(
      labelProcesses([
        { role: 'unified', pid: 10, metricsUrl: 'http://a/metrics' },
        { role: 'api', pid: 11 },
        { role: 'replicator', metricsUrl: 'http://r/metrics' },
        { role: 'compact', command: 'run compact' },
      ]),
    ).toEqual([
      { label: 'api-0', role: 'unified', pid: 10, metricsUrl: 'http://a/metrics' },
      { label: 'replicator-0', role: 'unified', pid: 10, metricsUrl: 'http://a/metrics' },
      { label: 'api-1', role: 'api', pid: 11, metricsUrl: undefined },
      { label: 'replicator-1', role: 'replicator', pid: undefined, metricsUrl: 'http://r/metrics' },
    ]);
  });
});
