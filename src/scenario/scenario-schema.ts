import { z } from 'zod';
import { STREAM_COMPRESSIONS, type StreamCompression } from '../fleet/index.js';
import { datasetSchema } from './dataset-schema.js';
import { phaseSchema } from './phase-schema.js';
import { positiveDuration } from './schema-helpers.js';
import { targetSchema } from './target-schema.js';

/** Default hard cap on a run: long runs say how long they may take. */
export const DEFAULT_MAX_DURATION = '1h';

/** The scenario file. Output: everything but resolved paths (see `parseScenario`). */
export const scenarioSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9][\w.-]*$/, 'expected letters, digits, -, _ or . (it names the run in reports)'),
  description: z.string().default(''),
  target: targetSchema,
  /** What the clients' HTTP streams accept: `sdk` (as the official SDKs' fetch: gzip, deflate, br), `gzip`, `none`. */
  compression: z.enum(STREAM_COMPRESSIONS as [StreamCompression, ...StreamCompression[]]).default('sdk'),
  dataset: datasetSchema,
  phases: z.array(phaseSchema).min(1),
  limits: z.strictObject({ max_duration: positiveDuration.prefault(DEFAULT_MAX_DURATION) }).prefault({}),
});

export type ParsedScenarioFile = z.output<typeof scenarioSchema>;
