import { access, readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Sample } from '../metrics/index.js';
import { describeError, isGone, ProbeMetric, UnavailableNotes, type Probe } from './probe.js';
import { parseProcStat, parseProcStatus, USER_HZ, type ProcStat } from './proc-files.js';

export interface ProcessProbeOptions {
  /** Where /proc is mounted (a fixture directory in tests). Default `/proc`. */
  procRoot?: string;
  /** Clock ticks per second of /proc CPU times. Default 100 (USER_HZ). */
  clockTicks?: number;
  /** Monotonic clock (ms) for CPU share. Default `performance.now`. */
  now?: () => number;
}

/**
 * CPU and memory of one process from `/proc/<pid>/stat` and `/proc/<pid>/status`: `process_cpu_seconds`,
 * `process_cpu_share` (cores used since the previous sample, from the second sample on), `process_rss_bytes`
 * and `process_rss_peak_bytes`, tagged `process: label`. A process that exits, or whose pid is reused by
 * another process, gives one "could not read" note and no further samples.
 */
export class ProcessProbe implements Probe {
  readonly name: string;
  private readonly notes = new UnavailableNotes();
  private readonly dir: string;
  private readonly ticks: number;
  private readonly now: () => number;
  private previous?: { cpuSeconds: number; at: number; startTicks: number };
  private gone = false;

  constructor(
    readonly pid: number,
    readonly label: string,
    options: ProcessProbeOptions = {},
  ) {
    this.name = `process ${label}`;
    this.dir = `${options.procRoot ?? '/proc'}/${pid}`;
    this.ticks = options.clockTicks ?? USER_HZ;
    this.now = options.now ?? (() => performance.now());
  }

  async sample(time: number): Promise<Sample[]> {
    if (this.gone) return [];
    let stat: ProcStat;
    let statusText: string;
    try {
      [stat, statusText] = await Promise.all([
        readFile(`${this.dir}/stat`, 'utf8').then(parseProcStat),
        readFile(`${this.dir}/status`, 'utf8'),
      ]);
    } catch (error) {
      await this.noteUnreadable(error);
      return [];
    }
    const at = this.now();
    if (stat.state === 'Z' || stat.state === 'X') return this.vanish('it exited (zombie, not yet reaped)');
    if (this.previous && stat.startTicks !== this.previous.startTicks) {
      return this.vanish('it exited and the pid now names another process');
    }
    const tags = { process: this.label };
    const cpuSeconds = (stat.utimeTicks + stat.stimeTicks) / this.ticks;
    const samples: Sample[] = [{ metric: ProbeMetric.processCpuSeconds, value: cpuSeconds, time, tags }];
    if (this.previous && at > this.previous.at) {
      const share = (cpuSeconds - this.previous.cpuSeconds) / ((at - this.previous.at) / 1000);
      samples.push({ metric: ProbeMetric.processCpuShare, value: Math.max(0, share), time, tags });
    }
    this.previous = { cpuSeconds, at, startTicks: stat.startTicks };
    const memory = parseProcStatus(statusText);
    if (memory.rssBytes !== undefined) {
      samples.push({ metric: ProbeMetric.processRssBytes, value: memory.rssBytes, time, tags });
    }
    if (memory.rssPeakBytes !== undefined) {
      samples.push({ metric: ProbeMetric.processRssPeakBytes, value: memory.rssPeakBytes, time, tags });
    }
    return samples;
  }

  unavailable(): string[] {
    return this.notes.list();
  }

  private vanish(why: string): Sample[] {
    this.gone = true;
    this.notes.add('gone', `could not read process ${this.label} (pid ${this.pid}): ${why}`);
    return [];
  }

  private async noteUnreadable(error: unknown): Promise<void> {
    if (isGone(error)) {
      const root = this.dir.slice(0, this.dir.lastIndexOf('/'));
      const hasProc = await access(root).then(
        () => true,
        () => false,
      );
      if (!hasProc) {
        this.gone = true;
        this.notes.add(
          'gone',
          `could not read process ${this.label} (pid ${this.pid}): no ${root} on this system`,
        );
        return;
      }
      this.vanish(this.previous ? 'it exited' : 'no such process');
      return;
    }
    this.notes.add(
      'unreadable',
      `could not read ${this.dir}/stat for process ${this.label}: ${describeError(error)}`,
    );
  }
}
