import crypto from 'node:crypto';
import * as jose from 'jose';
import { ServiceError } from '../../../errors/index.js';
import type { ClientAuthConfig } from '../../config/index.js';
import type { VerifiedToken } from '../sync/stream-types.js';
import { isSupportedAlgorithm, prepareKeys, type PreparedKey, type VerificationKey } from './keys.js';

/** `exp` is checked with this much clock skew allowed (seconds). */
export const CLOCK_TOLERANCE_SECONDS = 60;
/** `token_max_expiration` (hard-coded `1d` in the real service): the largest allowed `exp − iat`. */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400;

export const MALFORMED_TOKEN_MESSAGE = 'Token is not a well-formed JWT. Check the token format.';
export const KEY_NOT_FOUND_MESSAGE =
  'Could not find an appropriate key in the keystore. The key is missing or no key matched the token KID';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function authError(
  code: 'PSYNC_S2101' | 'PSYNC_S2103' | 'PSYNC_S2104' | 'PSYNC_S2105',
  message: string,
  cause?: unknown,
) {
  return new ServiceError(code, message, cause === undefined ? undefined : { cause });
}

function malformed(cause?: unknown): ServiceError {
  return authError('PSYNC_S2101', MALFORMED_TOKEN_MESSAGE, cause);
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** base64url → UTF-8 → JSON object, or a malformed-token error. */
function decodeJsonSegment(segment: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(strictUtf8.decode(jose.base64url.decode(segment)));
  } catch (error) {
    throw malformed(error);
  }
  if (!isJsonObject(parsed)) throw malformed();
  return parsed;
}

/**
 * The `crit` rules `jose` applies to a JWS used as a JWT: only `b64` is understood, and a JWT must not use
 * an unencoded payload (`b64: false`).
 */
function checkCritical(header: Record<string, unknown>): void {
  const { crit } = header;
  if (crit === undefined) return;
  if (
    !Array.isArray(crit) ||
    crit.length === 0 ||
    crit.some((name) => typeof name !== 'string' || name.length === 0)
  ) {
    throw malformed();
  }
  for (const name of crit as string[]) {
    if (name !== 'b64') {
      throw authError('PSYNC_S2101', `Extension Header Parameter "${name}" is not recognized`);
    }
  }
  if (header.b64 !== true) throw malformed();
}

/**
 * Verifies client tokens against the inline `client_auth` keys, implementing protocol.md §2:
 *
 * 1. Well-formed compact JWS with a JSON object header naming a supported `alg` (never `none`).
 * 2. Key selection: a header `kid` picks the key with exactly that `kid` (whose algorithm must then match:
 *    no fallback); without a `kid`, or with one no key has, every wildcard key (no `kid`) whose algorithm
 *    fits is tried in configuration order and the first valid signature wins.
 * 3. Claims, in the order `jose` checks them: JSON object payload; `exp`, `iat`, `sub` present; `iat`/`nbf`/
 *    `exp` numeric; `nbf` and `exp` with 60 s tolerance; then `aud`, lifetime ≤ 24 h, `parameters`.
 *
 * Keys are imported once, in {@link TokenVerifier.create}; `verify` only parses and checks a signature.
 */
export class TokenVerifier {
  readonly #byKid: ReadonlyMap<string, PreparedKey>;
  readonly #wildcards: readonly PreparedKey[];
  readonly #audience: ReadonlySet<string>;
  readonly #knownKeys: string;

  private constructor(keys: readonly PreparedKey[], audience: readonly string[]) {
    const byKid = new Map<string, PreparedKey>();
    for (const key of keys) {
      // Like the real key store, the first key with a given kid wins.
      if (key.kid !== undefined && !byKid.has(key.kid)) byKid.set(key.kid, key);
    }
    this.#byKid = byKid;
    this.#wildcards = keys.filter((key) => key.kid === undefined);
    this.#audience = new Set(audience);
    this.#knownKeys = keys.map((key) => `<${key.description}>`).join(', ') || '(none)';
  }

  /** Imports every key of `auth.jwks` (PSYNC_S3201 if one is unusable). */
  static async create(auth: ClientAuthConfig): Promise<TokenVerifier> {
    return new TokenVerifier(await prepareKeys(auth.jwks.keys), auth.audience);
  }

  /** The configured keys, for startup logs: `<kid: a, alg: HS256, kty: oct>, ...`. */
  get knownKeys(): string {
    return this.#knownKeys;
  }

  /**
   * Verifies `token` (the bare JWT, without `Token `/`Bearer `), as of `nowSeconds` (default: now).
   * Throws a 401 {@link ServiceError}: PSYNC_S2101 (format, algorithm, key, signature, claims, `parameters`),
   * PSYNC_S2103 (expired), PSYNC_S2104 (lifetime over 24 h) or PSYNC_S2105 (`aud`).
   */
  async verify(token: string, nowSeconds: number = Date.now() / 1000): Promise<VerifiedToken> {
    if (typeof token !== 'string') throw malformed();
    const segments = token.split('.');
    if (segments.length !== 3) throw malformed();
    const header = decodeJsonSegment(segments[0]!);
    checkCritical(header);
    const { alg } = header;
    if (typeof alg !== 'string' || alg === '') throw malformed();
    if (!isSupportedAlgorithm(alg)) throw authError('PSYNC_S2101', `Unexpected token algorithm ${alg}`);

    const payloadBytes = await this.#verifySignature(token, segments, alg, header.kid);
    let payload: unknown;
    try {
      payload = JSON.parse(strictUtf8.decode(payloadBytes));
    } catch (error) {
      throw malformed(error);
    }
    if (!isJsonObject(payload)) throw malformed();
    return this.#checkClaims(payload, Math.floor(nowSeconds));
  }

  /** Selects the key (protocol.md §2 "Key selection") and returns the verified payload bytes. */
  async #verifySignature(token: string, segments: string[], alg: string, kid: unknown): Promise<Uint8Array> {
    const exact = typeof kid === 'string' && kid !== '' ? this.#byKid.get(kid) : undefined;
    if (exact !== undefined) {
      const verifier = exact.verifiers.get(alg);
      if (verifier === undefined) throw authError('PSYNC_S2101', `Unexpected token algorithm ${alg}`);
      const payload = await checkSignature(token, segments, alg, verifier);
      if (payload === undefined) throw authError('PSYNC_S2101', 'signature verification failed');
      return payload;
    }
    for (const key of this.#wildcards) {
      const verifier = key.verifiers.get(alg);
      if (verifier === undefined) continue;
      const payload = await checkSignature(token, segments, alg, verifier);
      if (payload !== undefined) return payload;
    }
    throw authError('PSYNC_S2101', KEY_NOT_FOUND_MESSAGE);
  }

  #checkClaims(payload: Record<string, unknown>, now: number): VerifiedToken {
    // jose's presence check runs over the required claims in reverse: exp, iat, sub.
    for (const claim of ['exp', 'iat', 'sub']) {
      if (!Object.hasOwn(payload, claim)) {
        throw authError('PSYNC_S2101', `JWT payload is missing a required claim "${claim}"`);
      }
    }
    const { iat, nbf, exp, sub } = payload;
    if (typeof iat !== 'number') throw authError('PSYNC_S2101', 'JWT "iat" claim must be a number');
    if (nbf !== undefined) {
      if (typeof nbf !== 'number') throw authError('PSYNC_S2101', 'JWT "nbf" claim must be a number');
      if (nbf > now + CLOCK_TOLERANCE_SECONDS) {
        throw authError('PSYNC_S2101', 'JWT is not yet valid ("nbf" claim timestamp check failed)');
      }
    }
    if (typeof exp !== 'number') throw authError('PSYNC_S2101', 'JWT "exp" claim must be a number');
    if (exp <= now - CLOCK_TOLERANCE_SECONDS) throw authError('PSYNC_S2103', 'JWT has expired');
    if (typeof sub !== 'string') throw authError('PSYNC_S2101', 'JWT "sub" claim must be a string');

    const { aud } = payload;
    if (aud === undefined || aud === null) {
      throw authError('PSYNC_S2105', 'JWT payload is missing a required claim "aud"');
    }
    const audiences: unknown[] = Array.isArray(aud) ? aud : [aud];
    if (!audiences.some((value) => typeof value === 'string' && this.#audience.has(value))) {
      throw authError('PSYNC_S2105', `Unexpected "aud" claim value: ${JSON.stringify(aud)}`);
    }

    const lifetime = exp - iat;
    if (lifetime > MAX_TOKEN_LIFETIME_SECONDS) {
      throw authError(
        'PSYNC_S2104',
        `Token must expire in a maximum of ${MAX_TOKEN_LIFETIME_SECONDS} seconds, got ${lifetime}s`,
      );
    }

    // As in the real service, `parameters: null` counts as absent.
    const { parameters } = payload;
    if (parameters !== undefined && parameters !== null && !isJsonObject(parameters)) {
      throw authError('PSYNC_S2101', 'Payload parameters must be an object');
    }

    return { sub, iat, exp, payload };
  }
}

/**
 * The payload bytes when `verifier` validates the token's signature, `undefined` when the signature does not
 * match; malformed segments throw PSYNC_S2101.
 */
async function checkSignature(
  token: string,
  segments: string[],
  alg: string,
  verifier: VerificationKey,
): Promise<Uint8Array | undefined> {
  if (verifier.type === 'ed448') return checkEd448Signature(segments, verifier.key);
  try {
    const { payload } = await jose.compactVerify(token, verifier.key, { algorithms: [alg] });
    return payload;
  } catch (error) {
    if (error instanceof jose.errors.JWSSignatureVerificationFailed) return undefined;
    if (error instanceof jose.errors.JWSInvalid || error instanceof jose.errors.JWTInvalid) {
      throw malformed(error);
    }
    throw authError('PSYNC_S2101', error instanceof Error ? error.message : String(error), error);
  }
}

// The signing input of a compact JWS is ASCII (two base64url segments and a dot).
const ASCII = /^[\x21-\x7e]*$/;

function checkEd448Signature(segments: string[], key: crypto.KeyObject): Uint8Array | undefined {
  const [header, payload, signature] = segments as [string, string, string];
  if (!ASCII.test(header) || !ASCII.test(payload)) throw malformed();
  let signatureBytes: Uint8Array;
  try {
    signatureBytes = jose.base64url.decode(signature);
  } catch (error) {
    throw malformed(error);
  }
  let valid: boolean;
  try {
    valid = crypto.verify(null, Buffer.from(`${header}.${payload}`, 'ascii'), key, signatureBytes);
  } catch {
    valid = false;
  }
  if (!valid) return undefined;
  try {
    return jose.base64url.decode(payload);
  } catch (error) {
    throw malformed(error);
  }
}
