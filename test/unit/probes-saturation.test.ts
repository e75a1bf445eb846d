import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/metrics/index.js';
import { ProbeMetric, saturation } from '../../src/probes/index.js';

const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const delay = (i: number, value: number, process = 'generator'): Sample => ({
  metric: ProbeMetric.selfEventLoopDelayP99,
  value,
  time: T0 + i * 1000,
  tags: { process },
});
const cpu = (i: number, value: number, process = 'generator'): Sample => ({
  metric: ProbeMetric.selfCpuShare,
  value,
  time: T0 + i * 1000,
  tags: { process },
});

describe('saturation', () => {
  it('is not saturated with no samples or calm samples', () => {
    expect(saturation([])).toEqual({ saturated: false, reasons: [] });
    const calm = [0, 1, 2, 3, 4].flatMap((i) => [delay(i, 12), cpu(i, 0.4)]);
    expect(saturation(calm)).toEqual({ saturated: false, reasons: [] });
  });

  it('flags event-loop delay p99 above 50 ms, with the worst value and when', () => {
    const verdict = saturation([delay(0, 10), delay(1, 212.04), delay(2, 50), delay(3, 61)]);
    expect(verdict.saturated).toBe(true);
    expect(verdict.reasons).toEqual([
      'generator event-loop delay p99 above 50 ms in 2 of 4 samples (worst 212.0 ms at 2025-01-01T12:00:01.000Z)',
    ]);
  });

  it('needs CPU above 0.9 of a core for 3 consecutive samples', () => {
    const twoAndTwo = [cpu(0, 0.95), cpu(1, 0.99), cpu(2, 0.5), cpu(3, 0.95), cpu(4, 0.97)];
    expect(saturation(twoAndTwo).saturated).toBe(false);
    const three = [cpu(0, 0.5), cpu(1, 0.95), cpu(2, 1.02), cpu(3, 0.93), cpu(4, 0.2)];
    expect(saturation(three)).toEqual({
      saturated: true,
      reasons: [
        'generator CPU above 0.9 of one core for 3 consecutive samples (worst 1.02 cores at 2025-01-01T12:00:02.000Z)',
      ],
    });
    expect(saturation([cpu(0, 0.9), cpu(1, 0.9), cpu(2, 0.9)]).saturated).toBe(false); // above, not at
  });

  it('orders samples by time before looking for runs', () => {
    const shuffled = [cpu(2, 0.95), cpu(0, 0.95), cpu(1, 0.95)];
    expect(saturation(shuffled).saturated).toBe(true);
    const brokenRun = [cpu(2, 0.95), cpu(0, 0.95), cpu(1, 0.1), cpu(3, 0.95)];
    expect(saturation(brokenRun).saturated).toBe(false);
  });

  it('looks at each generator process on its own', () => {
    const interleaved = [cpu(0, 0.95, 'worker-1'), cpu(1, 0.95, 'worker-2'), cpu(2, 0.95, 'worker-1')];
    expect(saturation(interleaved).saturated).toBe(false);
    const both = [delay(0, 80, 'worker-1'), ...[0, 1, 2].map((i) => cpu(i, 0.95, 'worker-2'))];
    const verdict = saturation(both);
    expect(verdict.reasons).toHaveLength(2);
    expect(verdict.reasons[0]).toMatch(/^worker-1 event-loop delay/);
    expect(verdict.reasons[1]).toMatch(/^worker-2 CPU above 0.9 of one core for 3 consecutive/);
  });

  it('takes custom thresholds and ignores other metrics', () => {
    const samples = [delay(0, 30), delay(1, 30), { metric: 'connect_time', value: 9999, time: T0 }];
    expect(saturation(samples).saturated).toBe(false);
    expect(saturation(samples, { eventLoopDelayP99Ms: 20 }).saturated).toBe(true);
    expect(saturation(samples, { eventLoopDelayP99Ms: 20, delayConsecutive: 3 }).saturated).toBe(false);
    expect(saturation([cpu(0, 0.6)], { cpuShare: 0.5, cpuConsecutive: 1 }).saturated).toBe(true);
  });
});
