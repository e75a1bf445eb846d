import type http from 'node:http';
import { ServiceError } from '../../../errors/index.js';

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** `{error: {name, code, status, description, details?}}` with the error's status (service.md §10). */
export function sendError(res: http.ServerResponse, error: unknown): void {
  const serviceError =
    error instanceof ServiceError
      ? error
      : new ServiceError('PSYNC_S2001', 'Something went wrong', {
          details: error instanceof Error ? error.message : String(error),
        });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, serviceError.status, serviceError.toJSON());
}

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * Reads a JSON request body (at most 1 MiB). Text that is not JSON is a 400 FST_ERR_CTP_INVALID_JSON_BODY, as
 * the real service's parser answers; JSON of the wrong shape is the route's 400 PSYNC_S2001.
 */
export async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    // Too large: stop buffering but read on (up to a bound), so the client gets the 400 rather than a reset.
    if (size > MAX_DRAIN_BYTES) {
      req.destroy();
      break;
    }
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  }
  if (size > MAX_BODY_BYTES) throw validationError('request body larger than 1 MiB');
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ServiceError('FST_ERR_CTP_INVALID_JSON_BODY', undefined, {
      details: `body is not valid JSON: ${(error as Error).message}`,
    });
  }
}

export function validationError(details: string): ServiceError {
  return new ServiceError('PSYNC_S2001', 'Validation failed', { status: 400, details });
}
