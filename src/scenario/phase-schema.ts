import { z } from 'zod';
import { actionSchema } from './action-schema.js';
import { clientSchema } from './client-schema.js';
import { duration, positiveDuration } from './schema-helpers.js';
import { thresholdSchema } from './threshold-schema.js';
import type { Phase } from './types.js';
import { uploadSchema } from './upload-schema.js';
import { writeSchema } from './write-schema.js';

/** A phase's settle window unless it says otherwise (at most half the phase). */
export const DEFAULT_SETTLE_MS = 2000;

/** One entry of `phases`. */
export const phaseSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][\w.-]*$/, 'expected letters, digits, -, _ or . (it names the phase in reports)'),
    duration: positiveDuration,
    /**
     * The phase's first seconds, while its clients connect: left out of its latencies, gauges and probe
     * readings (counters count them), and the write schedule is not judged in them. `0s` turns it off.
     */
    settle: duration.optional(),
    clients: clientSchema,
    writes: writeSchema.optional(),
    upload: uploadSchema.optional(),
    actions: z.array(actionSchema).default([]),
    thresholds: thresholdSchema,
  })
  .transform((value): Phase => ({
    name: value.name,
    durationMs: value.duration,
    settleMs: Math.min(value.settle ?? DEFAULT_SETTLE_MS, value.duration / 2),
    clients: value.clients,
    writes: value.writes,
    ...(value.upload ? { upload: value.upload } : {}),
    actions: value.actions,
    thresholds: value.thresholds,
  }));
