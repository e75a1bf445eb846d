import { z } from 'zod';
import { parseDuration } from '../service/config/index.js';

const DURATION_HINT = 'expected a duration such as 250ms, 30s, 5m or 1h';

/** A duration string (`30s`, `5m`) → milliseconds, parsed by the one duration parser. */
export const duration = z.string({ error: DURATION_HINT }).transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch {
    ctx.issues.push({
      code: 'custom',
      message: `${DURATION_HINT}, got ${JSON.stringify(text)}`,
      input: text,
    });
    return z.NEVER;
  }
});

/** A duration longer than zero. */
export const positiveDuration = duration.refine((ms) => ms > 0, 'must be longer than 0');

/** A number of clients, users or rows. */
export const count = z.int().min(0);
export const positiveCount = z.int().min(1);
/** Events per second (transactions, arrivals): fractional rates allowed. */
export const rate = z.number().min(0);
export const positiveRate = z.number().gt(0);
/** A relative weight in a mix. */
export const weight = z.number().min(0);

/**
 * Requires exactly one of `keys` in an object whose variants are spelt as keys (`{ constant: 10 }`,
 * `{ ramp: {…} }`). Runs even when a variant's own value is invalid, so both problems are reported.
 */
export function exactlyOneOf<T extends z.ZodType>(schema: T, keys: readonly string[]): T {
  return schema.superRefine(
    (value, ctx) => {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
      const present = keys.filter((key) => (value as Record<string, unknown>)[key] !== undefined);
      if (present.length === 1) return;
      const list = `${keys.slice(0, -1).join(', ')} or ${keys.at(-1) ?? ''}`;
      const message =
        present.length === 0
          ? `one of ${list} is required`
          : `give only one of ${list} (found ${present.join(' and ')})`;
      ctx.addIssue({ code: 'custom', message, input: value });
    },
    { when: () => true },
  );
}

/** Weights in a mix must not all be zero. */
export function someWeight(weights: Record<string, number | undefined>): boolean {
  return Object.values(weights).some((value) => (value ?? 0) > 0);
}

/** Weights → shares summing to 1, in key order. */
export function shares<K extends string>(weights: Partial<Record<K, number>>): Array<[K, number]> {
  const entries = Object.entries(weights) as Array<[K, number | undefined]>;
  const total = entries.reduce((sum, [, value]) => sum + (value ?? 0), 0);
  return entries.filter(([, value]) => (value ?? 0) > 0).map(([key, value]) => [key, (value ?? 0) / total]);
}
