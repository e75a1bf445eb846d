import { seededRandom } from '../analysis/index.js';
import { compareRuns, type CompareOptions, type Outcome } from './compare-runs.js';
import type { GateRun } from './run-set.js';

/**
 * Repeated gate comparisons on recorded per-run figures: each trial draws `k` runs per side without
 * replacement (disjoint when both sides come from one pool), seeded, and records the outcome. Used to
 * measure the gate's false-positive rate (A/A) and power (A/B with a known slowdown) on real data.
 */
export function recordedTrials(
  baselinePool: readonly GateRun[],
  candidatePool: readonly GateRun[],
  options: CompareOptions & { k: number; trials: number; seed: number },
): Outcome[] {
  const random = seededRandom(options.seed);
  const samePool = baselinePool === candidatePool;
  const outcomes: Outcome[] = [];
  for (let t = 0; t < options.trials; t++) {
    const a = shuffle(baselinePool, random);
    const baseline = a.slice(0, options.k);
    const candidate = samePool
      ? a.slice(options.k, 2 * options.k)
      : shuffle(candidatePool, random).slice(0, options.k);
    if (baseline.length < options.k || candidate.length < options.k)
      throw new Error(`pools too small for k = ${options.k}${samePool ? ' per side, disjoint' : ''}`);
    outcomes.push(compareRuns(baseline, candidate, { ...options, seed: options.seed + t }).outcome);
  }
  return outcomes;
}

function shuffle<T>(values: readonly T[], random: () => number): T[] {
  const copy = [...values];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
