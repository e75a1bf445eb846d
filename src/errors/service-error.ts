import { ErrorCodes, type ErrorCode } from './codes.js';

/** The JSON body the sync service sends for errors: `{error: {name, code, status, description, details?}}`. */
export interface ErrorBody {
  error: { name: string; code: ErrorCode; status: number; description: string; details?: string };
}

/** An error carrying a stable code; rendered as `[CODE] description` in logs and over RSocket. */
export class ServiceError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly description: string;
  readonly details: string | undefined;

  constructor(
    code: ErrorCode,
    description?: string,
    options?: { details?: string; status?: number; cause?: unknown },
  ) {
    const text = description ?? ErrorCodes[code].title;
    super(`[${code}] ${text}`, { cause: options?.cause });
    this.name = 'ServiceError';
    this.code = code;
    this.status = options?.status ?? ErrorCodes[code].status;
    this.description = text;
    this.details = options?.details;
  }

  toJSON(): ErrorBody {
    const error: ErrorBody['error'] = {
      // Fastify's own errors keep Fastify's name, as the real service sends them.
      name: this.code.startsWith('FST_') ? 'FastifyError' : 'ServiceError',
      code: this.code,
      status: this.status,
      description: this.description,
    };
    if (this.details !== undefined) error.details = this.details;
    return { error };
  }
}

export function isServiceError(error: unknown, code?: ErrorCode): error is ServiceError {
  return error instanceof ServiceError && (code === undefined || error.code === code);
}
