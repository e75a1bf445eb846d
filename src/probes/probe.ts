import type { MetricKindTable, Sample } from '../metrics/index.js';

/**
 * A probe reads one source of resource or lag figures (a process, a cgroup, a metrics endpoint, a database,
 * the load generator itself) and turns each reading into samples. Probes never throw for a source they cannot
 * read: they return no samples and say so once through `unavailable()`, so a run against an external target
 * can report which probes were blind.
 */
export interface Probe {
  /** Short, unique within a run: used in notes and in the scheduler's missed-tick counts. */
  readonly name: string;
  /** Reads the source once. `time` (ms since the epoch) stamps every sample of this reading. */
  sample(time: number): Promise<Sample[]>;
  /** What this probe could not read, each distinct problem once, in the order first seen. */
  unavailable(): string[];
  /** Releases what the probe holds and aborts a reading in flight. Idempotent. */
  close?(): Promise<void>;
}

/** Metric names emitted by probes (units in the name; durations without a unit are milliseconds). */
export const ProbeMetric = {
  /** ProcessProbe: utime + stime of a process, seconds. Tagged `process`. */
  processCpuSeconds: 'process_cpu_seconds',
  /** ProcessProbe: cores used since the previous sample (1 = one core busy). */
  processCpuShare: 'process_cpu_share',
  /** ProcessProbe: resident set (VmRSS) and its high-water mark (VmHWM). */
  processRssBytes: 'process_rss_bytes',
  processRssPeakBytes: 'process_rss_peak_bytes',

  /** CgroupProbe: memory.current, memory.max (when limited), memory.peak (when the kernel has it). */
  cgroupMemoryBytes: 'cgroup_memory_bytes',
  cgroupMemoryLimitBytes: 'cgroup_memory_limit_bytes',
  cgroupMemoryPeakBytes: 'cgroup_memory_peak_bytes',
  /** CgroupProbe: cpu.stat usage_usec in seconds, and cores used since the previous sample. */
  cgroupCpuSeconds: 'cgroup_cpu_seconds',
  cgroupCpuShare: 'cgroup_cpu_share',
  /** CgroupProbe: cpu.max quota / period, when limited. */
  cgroupCpuLimitCores: 'cgroup_cpu_limit_cores',
  /** CgroupProbe: cpu.stat throttled_usec in seconds (cumulative); > 0 growth means the CPU limit bites. */
  cgroupCpuThrottledSeconds: 'cgroup_cpu_throttled_seconds',

  /** PostgresProbe: pg_database_size of the connected database. Tagged `database`. */
  pgDatabaseBytes: 'pg_database_bytes',
  /** PostgresProbe: pg_total_relation_size of a bucket storage table. Tagged `database`, `table`. */
  pgTableBytes: 'pg_table_bytes',
  /** PostgresProbe: WAL written per second since the previous sample. */
  pgWalBytesPerSecond: 'pg_wal_bytes_per_second',
  /** PostgresProbe: WAL a logical slot has not confirmed yet. Tagged `database`, `slot`. */
  pgSlotLagBytes: 'pg_replication_slot_lag_bytes',

  /** SelfProbe: the load generator's event-loop delay over the last interval (ms). Tagged `process`. */
  selfEventLoopDelayP99: 'generator_event_loop_delay_p99',
  selfEventLoopDelayMax: 'generator_event_loop_delay_max',
  /** SelfProbe: cores the generator process used over the last interval. */
  selfCpuShare: 'generator_cpu_share',
  selfRssBytes: 'generator_rss_bytes',
  selfHeapUsedBytes: 'generator_heap_used_bytes',

  /** ProbeScheduler: a tick skipped for a probe whose previous reading was still running. Tagged `probe`. */
  probeMissedTicks: 'probe_missed_ticks',
} as const;

export type ProbeMetricName = (typeof ProbeMetric)[keyof typeof ProbeMetric];

/**
 * Kinds of probe metrics that are not gauges, for `MetricRegistry`'s extra kind table (every other probe
 * figure is a level, or a cumulative total whose rate the analysis derives).
 */
export const PROBE_METRIC_KINDS: MetricKindTable = {
  [ProbeMetric.probeMissedTicks]: 'counter',
};

/** Notes of what a probe could not read, each key recorded once (a vanished process is one note, not 3600). */
export class UnavailableNotes {
  private readonly notes = new Map<string, string>();

  /** Records `message` under `key` unless that key already has a note. Returns true when it was new. */
  add(key: string, message: string): boolean {
    if (this.notes.has(key)) return false;
    this.notes.set(key, message);
    return true;
  }

  has(key: string): boolean {
    return this.notes.has(key);
  }

  list(): string[] {
    return [...this.notes.values()];
  }
}

/** A short reason from anything thrown: the Node error code when there is one, else the message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return error.message;
    return code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/** True for the errors a vanished file or process gives. */
export function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ESRCH';
}
