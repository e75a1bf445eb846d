import { z } from 'zod';
import { exactlyOneOf, positiveCount, positiveRate } from './schema-helpers.js';
import type { UploadShape } from './types.js';

/** The example backend's body: one todo per request, for a user of the dataset, stamped by the backend. */
export const DEFAULT_UPLOAD_BODY = '{"id":"{{id}}","owner_id":"{{user}}","payload":"{{payload}}"}';

const fields = z.strictObject({
  /** Requests per second over all connections (open loop: autocannon's overallRate). */
  rate: positiveRate,
  connections: positiveCount.max(1000).default(10),
  /** `example`: the tiny backend in fixtures/backend, started by the run against the source database. */
  backend: z.literal('example').optional(),
  /** The application's own upload endpoint (it writes to the source database). */
  url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }).optional(),
  method: z.enum(['POST', 'PUT', 'PATCH']).default('POST'),
  /** Request body; {{id}}, {{user}}, {{payload}}, {{now}} are filled per request. */
  body: z.string().min(1).default(DEFAULT_UPLOAD_BODY),
  headers: z.record(z.string(), z.string()).default({}),
});

/** A phase's `upload`: client writes sent to an application backend with autocannon, which writes the rows. */
export const uploadSchema = exactlyOneOf(fields, ['backend', 'url'] as const).transform(
  (value): UploadShape => ({
    perSecond: value.rate,
    connections: value.connections,
    target: value.url ? { kind: 'url', url: value.url } : { kind: 'example' },
    method: value.method,
    body: value.body,
    headers: value.headers,
  }),
);
