import { z } from 'zod';
import { validateThresholds } from './validate-thresholds.js';

/**
 * A phase's `thresholds`: `{ 'metric{tag:value}': ['p(99) < 250', …] }`. The values are left to the metrics
 * area's parser (through {@link validateThresholds}), so each problem is reported once, in its words.
 */
export const thresholdSchema = z
  .record(z.string(), z.unknown())
  .superRefine((value, ctx) => {
    for (const problem of validateThresholds(value)) {
      ctx.addIssue({ code: 'custom', message: problem.message, path: [...problem.path], input: value });
    }
  })
  .transform((value) => value as Record<string, string[]>)
  .default({});
