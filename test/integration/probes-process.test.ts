import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { Sample } from '../../src/metrics/index.js';
import { ProbeMetric, ProcessProbe } from '../../src/probes/index.js';

const children: ChildProcess[] = [];

function spawnNode(script: string): ChildProcess {
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  children.push(child);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

const valueOf = (samples: Sample[], metric: string) => samples.find((s) => s.metric === metric)?.value;

describe('ProcessProbe on real processes', () => {
  afterEach(async () => {
    await Promise.all(children.splice(0).map(kill));
  });

  it('reads an idle child: CPU seconds, a small CPU share, RSS; then one note when it is killed', async () => {
    const child = spawnNode('setInterval(()=>{},1000)');
    await once(child, 'spawn');
    await sleep(300); // let node start up
    const probe = new ProcessProbe(child.pid ?? -1, 'idle-child');
    const first = await probe.sample(Date.now());
    expect(valueOf(first, ProbeMetric.processCpuSeconds)).toBeGreaterThan(0);
    const rss = valueOf(first, ProbeMetric.processRssBytes) ?? 0;
    expect(rss).toBeGreaterThan(10 * 1024 * 1024);
    expect(rss).toBeLessThan(1024 * 1024 * 1024);
    expect(valueOf(first, ProbeMetric.processRssPeakBytes)).toBeGreaterThanOrEqual(rss);
    expect(first.every((s) => s.tags?.process === 'idle-child')).toBe(true);

    await sleep(500);
    const second = await probe.sample(Date.now());
    const share = valueOf(second, ProbeMetric.processCpuShare);
    expect(share).toBeGreaterThanOrEqual(0);
    expect(share).toBeLessThan(0.2);

    await kill(child);
    expect(await probe.sample(Date.now())).toEqual([]);
    expect(await probe.sample(Date.now())).toEqual([]);
    expect(probe.unavailable()).toEqual([`could not read process idle-child (pid ${child.pid}): it exited`]);
  });

  it('agrees with a busy child’s own CPU figures (measuring the measurer)', async () => {
    // Spins in 5 ms slices and answers "how much CPU have you used?" over IPC between slices.
    const script =
      'const spin=()=>{const u=Date.now()+5;while(Date.now()<u){}setImmediate(spin)};spin();' +
      'process.on("message",()=>{const c=process.cpuUsage();process.send((c.user+c.system)/1e6)})';
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    children.push(child);
    await once(child, 'spawn');
    const ownCpu = async () => {
      const reply = once(child, 'message');
      child.send('cpu');
      return Number((await reply)[0]);
    };
    await sleep(200);
    const probe = new ProcessProbe(child.pid ?? -1, 'busy-child');
    const before = await ownCpu();
    const first = valueOf(await probe.sample(Date.now()), ProbeMetric.processCpuSeconds) ?? NaN;
    await sleep(800);
    const after = await ownCpu();
    const second = await probe.sample(Date.now());
    const probed = (valueOf(second, ProbeMetric.processCpuSeconds) ?? NaN) - first;
    const reported = after - before;
    expect(reported).toBeGreaterThan(0.1); // it did get some CPU, however loaded this machine is
    // /proc counts in 10 ms ticks; each read is at most one IPC round trip (one 5 ms slice) from the child's.
    expect(Math.abs(probed - reported)).toBeLessThan(0.06);
    const share = valueOf(second, ProbeMetric.processCpuShare) ?? NaN;
    expect(share).toBeGreaterThan(0.1);
    expect(share).toBeLessThan(1.2); // one thread spinning, plus a little GC and IPC
  });

  it('agrees with Node’s own figures for this process (measuring the measurer)', async () => {
    const probe = new ProcessProbe(process.pid, 'self');
    const samples = await probe.sample(Date.now());
    const usage = process.cpuUsage();
    const ownCpu = (usage.user + usage.system) / 1e6;
    const ownRss = process.memoryUsage().rss;
    // /proc counts in 10 ms ticks, Node in microseconds; both are read within a millisecond of each other.
    expect(Math.abs((valueOf(samples, ProbeMetric.processCpuSeconds) ?? 0) - ownCpu)).toBeLessThan(0.1);
    expect(Math.abs((valueOf(samples, ProbeMetric.processRssBytes) ?? 0) - ownRss) / ownRss).toBeLessThan(
      0.1,
    );
  });
});
