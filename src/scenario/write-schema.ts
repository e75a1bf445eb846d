import { z } from 'zod';
import {
  exactlyOneOf,
  positiveCount,
  positiveDuration,
  positiveRate,
  rate,
  shares,
  someWeight,
  weight,
} from './schema-helpers.js';
import type { KeyChoice, WriteRate, WriteShape } from './types.js';

const RATES = ['constant', 'steps', 'ramp', 'poisson'] as const;
/** Default operation mix: a stable row count, mostly updates (which is what compaction reclaims). */
export const DEFAULT_WRITE_MIX = { insert: 1, update: 2, delete: 1 } as const;

const mix = z
  .strictObject({ insert: weight.default(0), update: weight.default(0), delete: weight.default(0) })
  .refine(someWeight, 'at least one of insert, update, delete must be above 0');

const keys = z.union([z.literal('uniform'), z.strictObject({ zipf: z.number().gt(0).max(10) })], {
  error: 'expected uniform or { zipf: <exponent> }',
});

const fields = z.strictObject({
  constant: rate.optional(),
  steps: z
    .array(z.strictObject({ rate, duration: positiveDuration }))
    .min(1)
    .optional(),
  ramp: z.strictObject({ from: rate, to: rate }).optional(),
  poisson: positiveRate.optional(),
  mix: mix.optional(),
  rows_per_transaction: positiveCount.max(10_000).default(1),
  keys: keys.default('uniform'),
});

/** A phase's `writes`: one rate shape (transactions per second) with its operation mix and key choice. */
export const writeSchema = exactlyOneOf(fields, RATES).transform((value): WriteShape => {
  const [insert = 0, update = 0, del = 0] = ['insert', 'update', 'delete'].map(
    (op) => shares(value.mix ?? DEFAULT_WRITE_MIX).find(([key]) => key === op)?.[1],
  );
  const keyChoice: KeyChoice =
    value.keys === 'uniform' ? { kind: 'uniform' } : { kind: 'zipf', exponent: value.keys.zipf };
  return {
    rate: toRate(value),
    mix: { insert, update, delete: del },
    rowsPerTransaction: value.rows_per_transaction,
    keys: keyChoice,
  };
});

function toRate(value: z.output<typeof fields>): WriteRate {
  if (value.steps) {
    return {
      kind: 'steps',
      steps: value.steps.map((step) => ({ perSecond: step.rate, durationMs: step.duration })),
    };
  }
  if (value.ramp) return { kind: 'ramp', ...value.ramp };
  if (value.poisson !== undefined) return { kind: 'poisson', perSecond: value.poisson };
  return { kind: 'constant', perSecond: value.constant ?? 0 };
}
