import { performance } from 'node:perf_hooks';

/**
 * Test-only cost knobs: make the reference service costlier by a known amount, so a calibration between it
 * and a "real" service can be checked against a true ratio (issue: calibration must recover it). Never set
 * them in a deployment.
 * - SYNCSCALE_FAULT_STREAM_MEMORY_KB: every open sync stream holds this many KB more (resident).
 * - SYNCSCALE_FAULT_CHECKPOINT_CPU_US: every stream spends this many µs of CPU more on every checkpoint.
 */
export const COST_KNOB_ENV = {
  streamMemoryKb: 'SYNCSCALE_FAULT_STREAM_MEMORY_KB',
  checkpointCpuUs: 'SYNCSCALE_FAULT_CHECKPOINT_CPU_US',
} as const;

export interface CostKnob {
  streamMemoryKb: number;
  checkpointCpuUs: number;
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
  };
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
