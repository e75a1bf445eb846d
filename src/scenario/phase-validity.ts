import type { Sample } from '../metrics/index.js';
import { saturation } from '../probes/index.js';
import type { WriteSummary } from '../writers/index.js';

/** Whether one phase measured the service, with the reasons it did not and notes on what was not judged. */
export interface PhaseValidity {
  valid: boolean;
  reasons: string[];
  notes: string[];
}

/** The run as a whole: invalid only when nothing that was asked can be judged. */
export interface RunValidity {
  valid: boolean;
  reasons: string[];
  /** Phases left out of fits and thresholds, with their reasons. */
  invalidPhases: Array<{ name: string; reasons: string[] }>;
}

/** Consecutive one-second generator samples above a limit that count as saturation (one GC pause is not). */
const SATURATION_CONSECUTIVE = 3;

interface PhaseSpan {
  name: string;
  start: number;
  end: number;
  writes: WriteSummary | null;
  thresholds: ReadonlyArray<unknown>;
}

/**
 * A phase is invalid when its load generator was the bottleneck: the writers behind their schedule with a
 * connection free, or the generator's event loop or CPU saturated for several consecutive seconds within
 * the phase. Source backpressure is a note (the source did not keep up), not a reason.
 */
export function judgePhase(phase: PhaseSpan, generatorSamples: readonly Sample[]): PhaseValidity {
  const reasons: string[] = [];
  const notes: string[] = [];
  const writes = phase.writes;
  if (writes) {
    if (writes.behindSchedule) reasons.push(`writers: ${writes.reason}`);
    else if (writes.sourceBackpressure)
      notes.push(`writers: ${writes.sourceBackpressure}; not sized as a sustained write level`);
    else if (!writes.judged) notes.push(`writers: ${writes.reason}`);
  }
  const inPhase = generatorSamples.filter((s) => s.time >= phase.start && s.time <= phase.end);
  const verdict = saturation(inPhase, {
    delayConsecutive: SATURATION_CONSECUTIVE,
    cpuConsecutive: SATURATION_CONSECUTIVE,
  });
  if (verdict.saturated) reasons.push(...verdict.reasons.map((r) => `load generator saturated: ${r}`));
  const seconds = new Set(inPhase.map((s) => Math.floor(s.time / 1000))).size;
  if (seconds < SATURATION_CONSECUTIVE)
    notes.push(`generator saturation not judged: ${seconds} probe samples (needs ${SATURATION_CONSECUTIVE})`);
  return { valid: reasons.length === 0, reasons, notes };
}

/**
 * The run's validity from its phases': invalid when a phase that carries thresholds is invalid (its verdict
 * cannot be trusted), when no phase is valid, or for a run-level reason (e.g. the deadline). Otherwise valid,
 * with the invalid phases named: fits and the gate leave them out.
 */
export function judgeRun(
  phases: ReadonlyArray<PhaseSpan & { validity: PhaseValidity }>,
  runReasons: readonly string[],
): RunValidity {
  const reasons = [...runReasons];
  const invalidPhases = phases
    .filter((p) => !p.validity.valid)
    .map((p) => ({ name: p.name, reasons: p.validity.reasons }));
  for (const p of phases) {
    if (!p.validity.valid && p.thresholds.length > 0)
      reasons.push(`phase ${p.name} has thresholds and is invalid: ${p.validity.reasons.join('; ')}`);
  }
  if (phases.length > 0 && invalidPhases.length === phases.length)
    reasons.push(
      `no valid phase: ${invalidPhases.map((p) => `${p.name} (${p.reasons.join('; ')})`).join('; ')}`,
    );
  return { valid: reasons.length === 0, reasons, invalidPhases };
}
