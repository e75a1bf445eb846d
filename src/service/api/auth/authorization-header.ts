import { ServiceError } from '../../../errors/index.js';

/** `Token <jwt>` or `Bearer <jwt>`: the scheme, exactly one space, then a token without whitespace. */
const AUTHORIZATION = /^(?:Token|Bearer) (\S+)$/;

/**
 * The JWT from an `Authorization` header value (HTTP) or the `token` field of RSocket SETUP metadata.
 * Missing or empty → PSYNC_S2106 "No token provided"; any other shape → PSYNC_S2106 naming the expected one.
 */
export function tokenFromAuthorizationHeader(header: string | undefined): string {
  if (header === undefined || header === '') throw new ServiceError('PSYNC_S2106', 'No token provided');
  const match = typeof header === 'string' ? AUTHORIZATION.exec(header) : null;
  if (match === null) {
    throw new ServiceError(
      'PSYNC_S2106',
      'Authentication required: the authorization must be "Token <jwt>" or "Bearer <jwt>"',
    );
  }
  return match[1]!;
}
