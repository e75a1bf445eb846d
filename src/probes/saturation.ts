import type { Sample } from '../metrics/index.js';
import { ProbeMetric } from './probe.js';

export interface SaturationThresholds {
  /** Event-loop delay p99 of one interval above this (ms) is saturation. Default 50. */
  eventLoopDelayP99Ms: number;
  /** How many consecutive intervals the delay must exceed it. Default 1: one stalled second already hides stalls. */
  delayConsecutive: number;
  /** CPU share (cores) above this is busy. Default 0.9 of one core. */
  cpuShare: number;
  /** How many consecutive intervals CPU must be busy to count as saturated. Default 3. */
  cpuConsecutive: number;
}

export const DEFAULT_SATURATION_THRESHOLDS: Readonly<SaturationThresholds> = {
  eventLoopDelayP99Ms: 50,
  delayConsecutive: 1,
  cpuShare: 0.9,
  cpuConsecutive: 3,
};

export interface SaturationVerdict {
  saturated: boolean;
  /** One line per rule and generator process that fired, with the worst value and when; empty when not saturated. */
  reasons: string[];
}

/**
 * Was the load generator itself the bottleneck in this window of samples? Reads SelfProbe's
 * `generator_event_loop_delay_p99` and `generator_cpu_share`, per `process` tag, in time order; other
 * samples are ignored. The run orchestrator marks a run invalid with the reasons.
 */
export function saturation(
  samples: Iterable<Sample>,
  thresholds: Partial<SaturationThresholds> = {},
): SaturationVerdict {
  const limits = { ...DEFAULT_SATURATION_THRESHOLDS, ...thresholds };
  const reasons: string[] = [];
  for (const [process, series] of byProcess(samples)) {
    const delay = longestRuns(series.delay, limits.eventLoopDelayP99Ms, limits.delayConsecutive);
    if (delay) {
      reasons.push(
        `${process} event-loop delay p99 above ${limits.eventLoopDelayP99Ms} ms in ${delay.count} of ` +
          `${series.delay.length} samples (worst ${delay.worst.value.toFixed(1)} ms at ${iso(delay.worst.time)})`,
      );
    }
    const cpu = longestRuns(series.cpu, limits.cpuShare, limits.cpuConsecutive);
    if (cpu) {
      reasons.push(
        `${process} CPU above ${limits.cpuShare} of one core for ${cpu.longest} consecutive samples ` +
          `(worst ${cpu.worst.value.toFixed(2)} cores at ${iso(cpu.worst.time)})`,
      );
    }
  }
  return { saturated: reasons.length > 0, reasons };
}

interface Series {
  delay: Sample[];
  cpu: Sample[];
}

function byProcess(samples: Iterable<Sample>): Map<string, Series> {
  const groups = new Map<string, Series>();
  for (const sample of samples) {
    const isDelay = sample.metric === ProbeMetric.selfEventLoopDelayP99;
    if (!isDelay && sample.metric !== ProbeMetric.selfCpuShare) continue;
    const process = sample.tags?.process ?? 'generator';
    const group = groups.get(process) ?? { delay: [], cpu: [] };
    (isDelay ? group.delay : group.cpu).push(sample);
    groups.set(process, group);
  }
  for (const group of groups.values()) {
    group.delay.sort((a, b) => a.time - b.time);
    group.cpu.sort((a, b) => a.time - b.time);
  }
  return groups;
}

/**
 * Runs of consecutive samples above `limit` at least `minRun` long: how many samples they hold, the longest
 * run and the worst sample in them; undefined when there is no such run.
 */
function longestRuns(
  series: Sample[],
  limit: number,
  minRun: number,
): { count: number; longest: number; worst: Sample } | undefined {
  let count = 0;
  let longest = 0;
  let worst: Sample | undefined;
  let run: Sample[] = [];
  const flush = () => {
    if (run.length >= Math.max(1, minRun)) {
      count += run.length;
      longest = Math.max(longest, run.length);
      for (const sample of run) if (!worst || sample.value > worst.value) worst = sample;
    }
    run = [];
  };
  for (const sample of series) {
    if (sample.value > limit) run.push(sample);
    else flush();
  }
  flush();
  return worst ? { count, longest, worst } : undefined;
}

function iso(time: number): string {
  return new Date(time).toISOString();
}
