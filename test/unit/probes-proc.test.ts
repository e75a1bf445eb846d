import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseProcStat, parseProcStatus, ProbeMetric, ProcessProbe } from '../../src/probes/index.js';

/** A /proc/<pid>/stat line; fields 14, 15 and 22 are utime, stime and starttime. */
function statLine(opts: {
  comm?: string;
  state?: string;
  utime: number;
  stime: number;
  start?: number;
}): string {
  const { comm = 'node', state = 'S', utime, stime, start = 98765 } = opts;
  const after = [
    state,
    1,
    4242,
    4242,
    0,
    -1,
    4194560,
    1000,
    0,
    0,
    0,
    utime,
    stime,
    0,
    0,
    20,
    0,
    11,
    0,
    start,
  ];
  return `4242 (${comm}) ${after.join(' ')} 1084563456 12000 18446744073709551615 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n`;
}

const STATUS = [
  'Name:\tnode',
  'State:\tS (sleeping)',
  'VmPeak:\t 1200000 kB',
  'VmHWM:\t   81234 kB',
  'VmRSS:\t   65536 kB',
  'Threads:\t11',
  '',
].join('\n');

describe('/proc parsing', () => {
  it('finds utime, stime and starttime after a comm holding spaces and parentheses', () => {
    const stat = parseProcStat(statLine({ comm: 'my (weird) ) proc', utime: 250, stime: 130 }));
    expect(stat).toEqual({
      pid: 4242,
      comm: 'my (weird) ) proc',
      state: 'S',
      utimeTicks: 250,
      stimeTicks: 130,
      startTicks: 98765,
    });
  });

  it('parses this process’s own stat', async () => {
    const stat = parseProcStat(await readFile('/proc/self/stat', 'utf8'));
    expect(stat.pid).toBe(process.pid);
    expect(stat.utimeTicks + stat.stimeTicks).toBeGreaterThan(0);
  });

  it('rejects a truncated stat line', () => {
    expect(() => parseProcStat('4242 (node) S 1 2 3')).toThrow(/field 14/);
    expect(() => parseProcStat('garbage')).toThrow(/no \(comm\)/);
  });

  it('reads VmRSS and VmHWM in bytes, and nothing for a kernel thread', () => {
    expect(parseProcStatus(STATUS)).toEqual({ rssBytes: 65536 * 1024, rssPeakBytes: 81234 * 1024 });
    expect(parseProcStatus('Name:\tkthreadd\nState:\tS (sleeping)\n')).toEqual({});
  });
});

describe('ProcessProbe on a fixture /proc', () => {
  let root: string;
  let clock = 0;
  const now = () => clock;
  const write = async (stat: string, status = STATUS) => {
    await mkdir(join(root, '4242'), { recursive: true });
    await writeFile(join(root, '4242', 'stat'), stat);
    await writeFile(join(root, '4242', 'status'), status);
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'probes-proc-'));
    clock = 0;
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('emits CPU seconds, then CPU share in cores, and RSS with its peak, tagged with the label', async () => {
    const probe = new ProcessProbe(4242, 'api', { procRoot: root, now });
    await write(statLine({ utime: 250, stime: 130 }));
    const first = await probe.sample(1000);
    expect(first).toEqual([
      { metric: ProbeMetric.processCpuSeconds, value: 3.8, time: 1000, tags: { process: 'api' } },
      { metric: ProbeMetric.processRssBytes, value: 65536 * 1024, time: 1000, tags: { process: 'api' } },
      { metric: ProbeMetric.processRssPeakBytes, value: 81234 * 1024, time: 1000, tags: { process: 'api' } },
    ]);
    // 150 ticks = 1.5 CPU seconds over 1 s of wall time: 1.5 cores.
    await write(statLine({ utime: 350, stime: 180 }));
    clock = 1000;
    const second = await probe.sample(2000);
    expect(second.find((s) => s.metric === ProbeMetric.processCpuShare)?.value).toBeCloseTo(1.5, 10);
    expect(second.find((s) => s.metric === ProbeMetric.processCpuSeconds)?.value).toBeCloseTo(5.3, 10);
    expect(probe.unavailable()).toEqual([]);
  });

  it('notes a vanished process once and keeps returning nothing', async () => {
    const probe = new ProcessProbe(4242, 'replicator', { procRoot: root, now });
    await write(statLine({ utime: 1, stime: 1 }));
    expect(await probe.sample(1)).toHaveLength(3);
    await rm(join(root, '4242'), { recursive: true });
    expect(await probe.sample(2)).toEqual([]);
    expect(await probe.sample(3)).toEqual([]);
    expect(probe.unavailable()).toEqual(['could not read process replicator (pid 4242): it exited']);
  });

  it('treats a reused pid and a zombie as gone', async () => {
    const reused = new ProcessProbe(4242, 'api', { procRoot: root, now });
    await write(statLine({ utime: 1, stime: 1, start: 100 }));
    await reused.sample(1);
    await write(statLine({ utime: 1, stime: 1, start: 200 }));
    expect(await reused.sample(2)).toEqual([]);
    expect(reused.unavailable()[0]).toMatch(/pid now names another process/);

    const zombie = new ProcessProbe(4242, 'api', { procRoot: root, now });
    await write(statLine({ state: 'Z', utime: 1, stime: 1 }), 'Name:\tnode\n');
    expect(await zombie.sample(1)).toEqual([]);
    expect(zombie.unavailable()[0]).toMatch(/zombie/);
  });

  it('says so when the pid never existed, and when there is no /proc at all', async () => {
    const missing = new ProcessProbe(999999, 'api', { procRoot: root });
    expect(await missing.sample(1)).toEqual([]);
    expect(missing.unavailable()).toEqual(['could not read process api (pid 999999): no such process']);

    const noProc = new ProcessProbe(1, 'api', { procRoot: join(root, 'nowhere') });
    expect(await noProc.sample(1)).toEqual([]);
    expect(noProc.unavailable()[0]).toMatch(/no .*nowhere on this system/);
  });
});
