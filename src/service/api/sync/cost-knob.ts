import { performance } from 'node:perf_hooks';

/**
 * Test-only cost knobs: make the reference service costlier by a known amount, so a calibration between it
 * and a "real" service can be checked against a true ratio (issue: calibration must recover it). Never set
 * them in a deployment.
 * - SYNCSCALE_FAULT_STREAM_MEMORY_KB: every open sync stream holds this many KB more (resident).
 * - SYNCSCALE_FAULT_CHECKPOINT_CPU_US: every stream spends this many µs of CPU more on every checkpoint.
 * - SYNCSCALE_FAULT_BASELINE_CPU_PERCENT: the API process burns this share of a core all the time (a fixed
 *   baseline, as the real service's runtime has).
 * - SYNCSCALE_FAULT_STREAM_LATENCY_US: every checkpoint reaches the streams this many µs late per open
 *   stream (latency that grows with streams, as on the real service).
 * Shaped like PowerSync 1.25 on this machine class: a large fixed CPU, CPU per stream per checkpoint, memory
 * per stream and latency growing with streams (test/fixtures/recorded/README.md).
 */
export const COST_KNOB_ENV = {
  streamMemoryKb: 'SYNCSCALE_FAULT_STREAM_MEMORY_KB',
  checkpointCpuUs: 'SYNCSCALE_FAULT_CHECKPOINT_CPU_US',
  baselineCpuPercent: 'SYNCSCALE_FAULT_BASELINE_CPU_PERCENT',
  streamLatencyUs: 'SYNCSCALE_FAULT_STREAM_LATENCY_US',
} as const;

export interface CostKnob {
  streamMemoryKb: number;
  checkpointCpuUs: number;
  baselineCpuPercent: number;
  streamLatencyUs: number;
}

/** A test-only knob's value: a positive number, else 0 (off). */
export function knobValue(env: NodeJS.ProcessEnv, name: string): number {
  const value = Number(env[name] ?? 0);
  return Number.isFinite(value) && value > 0 ? value : 0;
}

export function costKnobFrom(env: NodeJS.ProcessEnv): CostKnob {
  return {
    streamMemoryKb: knobValue(env, COST_KNOB_ENV.streamMemoryKb),
    checkpointCpuUs: knobValue(env, COST_KNOB_ENV.checkpointCpuUs),
    baselineCpuPercent: Math.min(90, knobValue(env, COST_KNOB_ENV.baselineCpuPercent)),
    streamLatencyUs: knobValue(env, COST_KNOB_ENV.streamLatencyUs),
  };
}

/**
 * Burns `baselineCpuPercent` of a core: every 20 ms, a busy wait of that share of 20 ms. Returns a stop
 * function; nothing when the knob is off.
 */
export function startBaselineCpu(knob: CostKnob): (() => void) | undefined {
  if (knob.baselineCpuPercent <= 0) return undefined;
  const busyMs = (20 * knob.baselineCpuPercent) / 100;
  const timer = setInterval(() => {
    const until = performance.now() + busyMs;
    while (performance.now() < until) {
      // busy
    }
  }, 20);
  timer.unref();
  return () => clearInterval(timer);
}

/** How late a checkpoint reaches the streams with `streams` open (ms); 0 when the knob is off. */
export function streamLatencyMs(knob: CostKnob, streams: number): number {
  return (knob.streamLatencyUs * streams) / 1000;
}

/** Resident ballast for one stream (filled, so its pages are really used); undefined when off. */
export function streamBallast(knob: CostKnob): Buffer | undefined {
  return knob.streamMemoryKb > 0 ? Buffer.alloc(knob.streamMemoryKb * 1024, 1) : undefined;
}

/** Spends the knob's CPU per checkpoint (a busy wait: CPU time, not sleep). */
export function spendCheckpointCpu(knob: CostKnob): void {
  if (knob.checkpointCpuUs <= 0) return;
  const until = performance.now() + knob.checkpointCpuUs / 1000;
  while (performance.now() < until) {
    // busy
  }
}
