import type { SyncStreamRequest } from '../sync/stream-types.js';
import { validationError } from './json-response.js';

/** Validates a `StreamingSyncRequest` (protocol.md §1.2); unknown keys are ignored like the real service. */
export function validateSyncRequest(body: unknown): SyncStreamRequest {
  const problems: string[] = [];
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw validationError('body must be an object');
  const request = body as Record<string, unknown>;
  if (request.buckets !== undefined) {
    if (!Array.isArray(request.buckets)) problems.push('buckets: must be an array');
    else
      request.buckets.forEach((bucket: unknown, i) => {
        const b = bucket as { name?: unknown; after?: unknown } | null;
        if (!b || typeof b.name !== 'string') problems.push(`buckets[${i}].name: must be a string`);
        if (!b || typeof b.after !== 'string' || !/^\d+$/.test(b.after)) {
          problems.push(`buckets[${i}].after: must be a decimal op id string`);
        }
      });
  }
  if (request.client_id !== undefined && typeof request.client_id !== 'string') {
    problems.push('client_id: must be a string');
  }
  const parameters = request.parameters;
  if (
    parameters !== undefined &&
    (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters))
  ) {
    problems.push('parameters: must be an object');
  }
  for (const flag of ['raw_data', 'binary_data', 'include_checksum'] as const) {
    if (request[flag] !== undefined && typeof request[flag] !== 'boolean')
      problems.push(`${flag}: must be a boolean`);
  }
  if (problems.length > 0) throw validationError(JSON.stringify(problems));
  return request as SyncStreamRequest;
}
