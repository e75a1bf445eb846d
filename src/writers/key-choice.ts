import type { Random } from './random.js';
import { checkZipfExponent, ZipfSampler } from './zipf-sampler.js';

/** How an index is chosen among n candidates (keys or users): uniformly, or Zipf-skewed towards index 0. */
export type KeyChoice = { kind: 'uniform' } | { kind: 'zipf'; s: number };

/** Every candidate equally likely. */
export function uniform(): KeyChoice {
  return { kind: 'uniform' };
}

/** Candidate i (0-based) chosen with probability ∝ 1 / (i + 1)^s: the first few are hot. */
export function zipf(s: number): KeyChoice {
  checkZipfExponent(s);
  return { kind: 'zipf', s };
}

/** Chooses an index in [0, n) for n ≥ 1. */
export type IndexChooser = (n: number) => number;

/** A chooser for `choice` drawing from `random`. */
export function createChooser(choice: KeyChoice, random: Random): IndexChooser {
  if (choice.kind === 'uniform') return (n) => random.int(n);
  const sampler = new ZipfSampler(choice.s, random);
  return (n) => sampler.sample(n) - 1;
}
