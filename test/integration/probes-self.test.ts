import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Sample } from '../../src/metrics/index.js';
import { ProbeMetric, ProbeScheduler, ProcessProbe, saturation, SelfProbe } from '../../src/probes/index.js';

function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: the event loop cannot run
  }
}

const valueOf = (samples: Sample[], metric: string) => samples.find((s) => s.metric === metric)?.value ?? NaN;

describe('SelfProbe', () => {
  it('sees a 200 ms block as event-loop delay and CPU, and a calm interval as neither', async () => {
    const probe = new SelfProbe();
    try {
      await sleep(50);
      // Blocking right after a sample is the case monitorEventLoopDelay's reset() misses.
      const proc = new ProcessProbe(process.pid, 'self-check');
      await proc.sample(Date.now());
      await probe.sample(Date.now()); // resets the histogram and the CPU baseline
      blockFor(200);
      await sleep(30); // let the delayed timer record the stall
      const busy = await probe.sample(Date.now());
      const procShare = valueOf(await proc.sample(Date.now()), ProbeMetric.processCpuShare);
      expect(valueOf(busy, ProbeMetric.selfEventLoopDelayP99)).toBeGreaterThan(150);
      expect(valueOf(busy, ProbeMetric.selfEventLoopDelayMax)).toBeGreaterThan(150);
      expect(valueOf(busy, ProbeMetric.selfEventLoopDelayMax)).toBeLessThan(1000);
      // CPU share agrees with /proc's view of this process over about the same window (10 ms ticks over
      // ~230 ms). The two windows start and end a few calls apart: on a loaded machine (the suite's other
      // files) this process can be descheduled between them, which moves the wall-clock denominators apart
      // by tens of ms; 0.3 of a core still catches a probe that reads nothing or double-counts.
      // No fixed floor: on a loaded machine a 200 ms wall-clock spin may get far less than 200 ms of CPU.
      expect(valueOf(busy, ProbeMetric.selfCpuShare)).toBeGreaterThan(0);
      expect(Math.abs(valueOf(busy, ProbeMetric.selfCpuShare) - procShare)).toBeLessThan(0.3);
      expect(valueOf(busy, ProbeMetric.selfRssBytes)).toBeGreaterThan(10 * 1024 * 1024);
      expect(valueOf(busy, ProbeMetric.selfHeapUsedBytes)).toBeGreaterThan(1024 * 1024);
      expect(busy.every((s) => s.tags?.process === 'generator')).toBe(true);
      const verdict = saturation(busy);
      expect(verdict.saturated).toBe(true);
      expect(verdict.reasons[0]).toMatch(/^generator event-loop delay p99 above 50 ms in 1 of 1 samples/);

      await sleep(300);
      const calm = await probe.sample(Date.now());
      expect(valueOf(calm, ProbeMetric.selfEventLoopDelayP99)).toBeLessThan(50);
      expect(valueOf(calm, ProbeMetric.selfCpuShare)).toBeLessThan(0.5);
      expect(saturation(calm).saturated).toBe(false);
    } finally {
      await probe.close();
    }
    expect(await probe.sample(Date.now())).toEqual([]);
  });

  it('under the scheduler: a blocked generator is flagged and the late tick counted', async () => {
    const samples: Sample[] = [];
    const scheduler = new ProbeScheduler({
      probes: [new SelfProbe({ label: 'worker-1' })],
      sink: { add: (s) => samples.push(s) },
      intervalMs: 100,
    });
    scheduler.start();
    await sleep(150);
    blockFor(250);
    await sleep(250);
    await scheduler.stop();
    expect(scheduler.stats().lateTicks).toBeGreaterThanOrEqual(1);
    const verdict = saturation(samples);
    expect(verdict.saturated).toBe(true);
    expect(verdict.reasons.some((r) => r.startsWith('worker-1 event-loop delay p99 above 50 ms'))).toBe(true);
  });
});
