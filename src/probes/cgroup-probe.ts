import { access, readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import type { Sample } from '../metrics/index.js';
import { describeError, isGone, ProbeMetric, UnavailableNotes, type Probe } from './probe.js';

export interface CgroupProbeOptions {
  /** `cgroup` tag of the samples. Default: the path. */
  label?: string;
  /** Monotonic clock (ms) for CPU share. Default `performance.now`. */
  now?: () => number;
}

/** The cgroup v2 files the probe reads; each may be absent (older kernels have no memory.peak). */
const FILES = ['memory.current', 'memory.max', 'memory.peak', 'cpu.stat', 'cpu.max'] as const;
type CgroupFile = (typeof FILES)[number];
/** Absent on some kernels or at the root cgroup; their absence is not worth a note when the rest is there. */
const OPTIONAL: ReadonlySet<CgroupFile> = new Set(['memory.peak', 'memory.max', 'cpu.max']);

/**
 * Memory and CPU of a container from its cgroup v2 directory (`/sys/fs/cgroup/<group>`): `cgroup_memory_bytes`
 * (memory.current), `cgroup_memory_limit_bytes` and `cgroup_memory_peak_bytes` when present,
 * `cgroup_cpu_seconds` and `cgroup_cpu_share` (cores, from the second sample on) from cpu.stat,
 * `cgroup_cpu_throttled_seconds`, and `cgroup_cpu_limit_cores` from cpu.max. Files it cannot read are noted
 * once each; a cgroup v1 directory is recognised and said to be unsupported.
 */
export class CgroupProbe implements Probe {
  readonly name: string;
  private readonly notes = new UnavailableNotes();
  private readonly tags: { cgroup: string };
  private readonly now: () => number;
  private previous?: { cpuSeconds: number; at: number };

  constructor(
    readonly path: string,
    options: CgroupProbeOptions = {},
  ) {
    const label = options.label ?? path;
    this.name = `cgroup ${label}`;
    this.tags = { cgroup: label };
    this.now = options.now ?? (() => performance.now());
  }

  async sample(time: number): Promise<Sample[]> {
    const files = await this.readAll();
    const at = this.now();
    const samples: Sample[] = [];
    const add = (metric: string, value: number | undefined) => {
      if (value !== undefined && Number.isFinite(value))
        samples.push({ metric, value, time, tags: this.tags });
    };
    add(ProbeMetric.cgroupMemoryBytes, parseBytes(files.get('memory.current')));
    add(ProbeMetric.cgroupMemoryLimitBytes, parseBytes(files.get('memory.max')));
    add(ProbeMetric.cgroupMemoryPeakBytes, parseBytes(files.get('memory.peak')));
    add(ProbeMetric.cgroupCpuLimitCores, parseCpuMax(files.get('cpu.max')));
    const stat = files.get('cpu.stat');
    if (stat !== undefined) {
      const fields = parseCpuStat(stat);
      const usage = fields.get('usage_usec');
      if (usage !== undefined) {
        const cpuSeconds = usage / 1e6;
        add(ProbeMetric.cgroupCpuSeconds, cpuSeconds);
        if (this.previous && at > this.previous.at) {
          add(
            ProbeMetric.cgroupCpuShare,
            Math.max(0, (cpuSeconds - this.previous.cpuSeconds) / ((at - this.previous.at) / 1000)),
          );
        }
        this.previous = { cpuSeconds, at };
      }
      const throttled = fields.get('throttled_usec');
      if (throttled !== undefined) add(ProbeMetric.cgroupCpuThrottledSeconds, throttled / 1e6);
    }
    return samples;
  }

  unavailable(): string[] {
    return this.notes.list();
  }

  private async readAll(): Promise<Map<CgroupFile, string>> {
    const texts = new Map<CgroupFile, string>();
    await Promise.all(
      FILES.map(async (file) => {
        try {
          texts.set(file, await readFile(`${this.path}/${file}`, 'utf8'));
        } catch (error) {
          if (OPTIONAL.has(file) && isGone(error)) return;
          this.notes.add(
            file,
            `could not read ${file} of cgroup ${this.tags.cgroup} at ${this.path}: ${describeError(error)}`,
          );
        }
      }),
    );
    if (!texts.has('memory.current') && !this.notes.has('v1')) {
      const v1 = await access(`${this.path}/memory.usage_in_bytes`).then(
        () => true,
        () => false,
      );
      if (v1) this.notes.add('v1', `${this.path} is a cgroup v1 directory; only cgroup v2 files are read`);
    }
    return texts;
  }
}

/** A byte count file (`memory.current`, `memory.max`); `max` (no limit) and junk give undefined. */
export function parseBytes(text: string | undefined): number | undefined {
  const trimmed = text?.trim();
  return trimmed && /^\d+$/.test(trimmed) ? Number(trimmed) : undefined;
}

/** `cpu.max` is `<quota> <period>` or `max <period>`; the limit in cores, undefined when unlimited. */
export function parseCpuMax(text: string | undefined): number | undefined {
  const [quota, period] = text?.trim().split(/\s+/) ?? [];
  const q = parseBytes(quota);
  const p = parseBytes(period);
  return q !== undefined && p ? q / p : undefined;
}

/** `cpu.stat` lines `key value`. */
export function parseCpuStat(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^\d+$/.test(value)) fields.set(key, Number(value));
  }
  return fields;
}

/**
 * The cgroup v2 directory of a process (`0::/path` in `/proc/<pid>/cgroup`), under `/sys/fs/cgroup` or, on a
 * hybrid v1/v2 host, `/sys/fs/cgroup/unified`; undefined when there is none.
 */
export async function cgroupPathOf(
  pid: number | 'self' = 'self',
  root = '/sys/fs/cgroup',
): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  const relative = parseCgroupV2Path(text);
  if (relative === undefined) return undefined;
  const suffix = relative === '/' ? '' : relative;
  for (const base of [root, `${root}/unified`]) {
    const dir = `${base}${suffix}`;
    const ok = await access(`${dir}/cgroup.controllers`).then(
      () => true,
      () => false,
    );
    if (ok) return dir;
  }
  return undefined;
}

/** The v2 entry (`0::/path`) of a `/proc/<pid>/cgroup` file. */
export function parseCgroupV2Path(text: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith('0::'));
  return line?.slice(3).trim() || undefined;
}
