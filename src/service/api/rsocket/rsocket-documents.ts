import { deserialize } from 'bson';
import { isServiceError, ServiceError } from '../../../errors/index.js';
import type { SyncStreamRequest } from '../sync/stream-types.js';

/** SETUP MIME types the service accepts for metadata and data (protocol.md §1.9). */
export type DocumentEncoding = 'bson' | 'json';

/** The encoding of a SETUP MIME type; throws PSYNC_S2004 for anything but application/bson or application/json. */
export function documentEncoding(mime: string): DocumentEncoding {
  const name = mime.split(';', 1)[0]!.trim().toLowerCase();
  if (name === 'application/bson') return 'bson';
  if (name === 'application/json') return 'json';
  throw new ServiceError(
    'PSYNC_S2004',
    `Unsupported media type "${mime}": use application/bson or application/json`,
  );
}

/** Decodes SETUP/REQUEST_STREAM metadata or data; `undefined` when absent or empty. */
export function decodeDocument(bytes: Buffer | undefined, encoding: DocumentEncoding): unknown {
  if (!bytes || bytes.length === 0) return undefined;
  return encoding === 'json' ? JSON.parse(bytes.toString('utf8')) : deserialize(bytes);
}

/** Decodes metadata or data and wraps any decoding failure as PSYNC_S2001. */
export function decodeDocumentOrThrow(
  bytes: Buffer | undefined,
  encoding: DocumentEncoding,
  what: string,
): Record<string, unknown> | undefined {
  let document: unknown;
  try {
    document = decodeDocument(bytes, encoding);
  } catch (error) {
    throw new ServiceError('PSYNC_S2001', `Invalid ${what}: ${messageOf(error)}`);
  }
  if (document !== undefined && !isPlainObject(document)) {
    throw new ServiceError('PSYNC_S2001', `Invalid ${what}: expected a document`);
  }
  return document;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Default request validation: an object; `buckets`, if present, an array of `{name: string, after: string}`. */
export function parseSyncStreamRequest(body: unknown): SyncStreamRequest {
  if (body === undefined) return {};
  if (!isPlainObject(body)) throw validationFailed('the request must be an object');
  const buckets = body.buckets;
  if (buckets !== undefined) {
    const valid =
      Array.isArray(buckets) &&
      buckets.every((b) => isPlainObject(b) && typeof b.name === 'string' && typeof b.after === 'string');
    if (!valid) throw validationFailed('buckets must be an array of {name: string, after: string}');
  }
  return body as SyncStreamRequest;
}

function validationFailed(details: string): ServiceError {
  return new ServiceError('PSYNC_S2001', `Validation failed: ${details}`, { status: 400, details });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The text of an ERROR frame: `[CODE] description`, or `[PSYNC_S2001] Something went wrong\n  <message>`. */
export function errorText(error: unknown): string {
  if (isServiceError(error)) return error.message;
  return `${new ServiceError('PSYNC_S2001').message}\n  ${messageOf(error)}`;
}
