import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CgroupProbe, cgroupPathOf, ProbeMetric } from '../../src/probes/index.js';
import { parseCgroupV2Path, parseCpuMax } from '../../src/probes/cgroup-probe.js';

const cpuStat = (usage: number, throttled: number) =>
  [
    `usage_usec ${usage}`,
    'user_usec 1000',
    'system_usec 500',
    'nr_periods 10',
    'nr_throttled 2',
    `throttled_usec ${throttled}`,
    '',
  ].join('\n');

describe('CgroupProbe on a cgroup v2 fixture directory', () => {
  let dir: string;
  let clock = 0;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'probes-cgroup-'));
    clock = 0;
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads memory, limits, CPU seconds, CPU share and throttling', async () => {
    await writeFile(join(dir, 'memory.current'), '104857600\n');
    await writeFile(join(dir, 'memory.max'), '536870912\n');
    await writeFile(join(dir, 'memory.peak'), '209715200\n');
    await writeFile(join(dir, 'cpu.max'), '200000 100000\n');
    await writeFile(join(dir, 'cpu.stat'), cpuStat(5_000_000, 250_000));
    const probe = new CgroupProbe(dir, { label: 'api-1', now: () => clock });
    const first = await probe.sample(7);
    const value = (samples: typeof first, metric: string) => samples.find((s) => s.metric === metric)?.value;
    expect(value(first, ProbeMetric.cgroupMemoryBytes)).toBe(104857600);
    expect(value(first, ProbeMetric.cgroupMemoryLimitBytes)).toBe(536870912);
    expect(value(first, ProbeMetric.cgroupMemoryPeakBytes)).toBe(209715200);
    expect(value(first, ProbeMetric.cgroupCpuLimitCores)).toBe(2);
    expect(value(first, ProbeMetric.cgroupCpuSeconds)).toBe(5);
    expect(value(first, ProbeMetric.cgroupCpuThrottledSeconds)).toBe(0.25);
    expect(value(first, ProbeMetric.cgroupCpuShare)).toBeUndefined();
    expect(first.every((s) => s.time === 7 && s.tags?.cgroup === 'api-1')).toBe(true);

    await writeFile(join(dir, 'cpu.stat'), cpuStat(6_500_000, 250_000));
    clock = 2000;
    const second = await probe.sample(8);
    expect(value(second, ProbeMetric.cgroupCpuShare)).toBeCloseTo(0.75, 10); // 1.5 s of CPU in 2 s
    expect(probe.unavailable()).toEqual([]);
  });

  it('treats memory.max "max" and cpu.max "max" as no limit, and absent optional files as normal', async () => {
    await writeFile(join(dir, 'memory.current'), '1000\n');
    await writeFile(join(dir, 'memory.max'), 'max\n');
    await writeFile(join(dir, 'cpu.max'), 'max 100000\n');
    await writeFile(join(dir, 'cpu.stat'), cpuStat(1, 0));
    const probe = new CgroupProbe(dir);
    const metrics = (await probe.sample(1)).map((s) => s.metric);
    expect(metrics).toEqual([
      ProbeMetric.cgroupMemoryBytes,
      ProbeMetric.cgroupCpuSeconds,
      ProbeMetric.cgroupCpuThrottledSeconds,
    ]);
    expect(probe.unavailable()).toEqual([]);
    expect(parseCpuMax('50000 100000')).toBe(0.5);
  });

  it('notes each missing file once, and recognises a cgroup v1 directory', async () => {
    const gone = new CgroupProbe(join(dir, 'no-such-group'), { label: 'replicator' });
    expect(await gone.sample(1)).toEqual([]);
    expect(await gone.sample(2)).toEqual([]);
    expect(gone.unavailable()).toHaveLength(2);
    // The files are read concurrently: the notes come in whichever order the reads failed.
    const notes = [...gone.unavailable()].sort();
    expect(notes[0]).toMatch(/could not read cpu.stat of cgroup replicator/);
    expect(notes[1]).toMatch(/could not read memory.current of cgroup replicator .*ENOENT/);

    await writeFile(join(dir, 'memory.usage_in_bytes'), '1000\n');
    const v1 = new CgroupProbe(dir);
    await v1.sample(1);
    expect(v1.unavailable()).toContain(`${dir} is a cgroup v1 directory; only cgroup v2 files are read`);
  });

  it('finds the v2 entry of /proc/<pid>/cgroup', () => {
    expect(parseCgroupV2Path('0::/system.slice/docker-abc.scope\n')).toBe('/system.slice/docker-abc.scope');
    expect(parseCgroupV2Path('4:memory:/x\n1:cpu:/\n0::/\n')).toBe('/');
    expect(parseCgroupV2Path('4:memory:/x\n')).toBeUndefined();
  });
});

// This machine's own cgroup, when it has a readable v2 directory (pure v2 or the `unified` half of a hybrid host).
const own = await cgroupPathOf();

describe.skipIf(own === undefined)(`CgroupProbe on this machine's own cgroup (${own ?? 'none'})`, () => {
  it('reads CPU usage that grows, and notes the files this cgroup lacks', async () => {
    const probe = new CgroupProbe(own ?? '', { label: 'self' });
    const first = await probe.sample(1);
    let spin = 0;
    const until = performance.now() + 50;
    while (performance.now() < until) spin++;
    const second = await probe.sample(2);
    const cpuSeconds = (samples: typeof first) =>
      samples.find((s) => s.metric === ProbeMetric.cgroupCpuSeconds)?.value ?? NaN;
    const cpuReadable = !probe.unavailable().some((note) => note.includes('cpu.stat'));
    if (cpuReadable) {
      expect(cpuSeconds(first)).toBeGreaterThan(0);
      expect(cpuSeconds(second)).toBeGreaterThan(cpuSeconds(first));
      expect(second.some((s) => s.metric === ProbeMetric.cgroupCpuShare)).toBe(true);
    }
    const memoryReadable = first.some((s) => s.metric === ProbeMetric.cgroupMemoryBytes);
    if (!memoryReadable) expect(probe.unavailable().join('\n')).toMatch(/memory.current/);
    expect(spin).toBeGreaterThan(0);
  });
});
