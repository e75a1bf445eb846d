import * as jose from 'jose';

/** An HMAC shared secret as configured in `client_auth.jwks.keys` (`kty: oct`). */
export interface MintTokenKey {
  /** The secret, base64url-encoded (the JWK `k` member). */
  k: string;
  /** Sent as the header `kid`; omit to rely on wildcard (no-kid) keys on the server. */
  kid?: string;
  /** Default `HS256`. */
  alg?: 'HS256' | 'HS384' | 'HS512';
}

export interface MintTokenOptions {
  key: MintTokenKey;
  /** The user id. */
  sub: string;
  /** `aud`: one value, or several (the server needs one of them in `client_auth.audience`). */
  audience: string | string[];
  /** `exp − iat`; default 3600. The server rejects more than 86 400. */
  lifetimeSeconds?: number;
  /** `iat`, seconds since the epoch; default now. */
  nowSeconds?: number;
  /** `iss`, when given. */
  issuer?: string;
  /** Extra claims (e.g. `parameters`); `sub`, `aud`, `iat`, `exp` and `iss` from the options take precedence. */
  claims?: Record<string, unknown>;
}

export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

/**
 * Signs a client token the way the upstream test client does (protocol.md §2 "Dev token minting"): header
 * `{alg, kid}`, claims `sub`, `iat`, `exp`, `aud` and optionally `iss`.
 */
export async function mintToken(options: MintTokenOptions): Promise<string> {
  const alg = options.key.alg ?? 'HS256';
  const iat = Math.floor(options.nowSeconds ?? Date.now() / 1000);
  const lifetime = options.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
  if (!Number.isFinite(iat) || !Number.isFinite(lifetime)) {
    throw new TypeError('mintToken: nowSeconds and lifetimeSeconds must be finite numbers');
  }
  const secret = jose.base64url.decode(options.key.k);
  if (secret.byteLength === 0) throw new TypeError('mintToken: the key secret "k" is empty');

  const header: jose.JWTHeaderParameters = { alg };
  if (options.key.kid !== undefined) header.kid = options.key.kid;
  const claims: jose.JWTPayload = {
    ...options.claims,
    sub: options.sub,
    aud: options.audience,
    iat,
    exp: iat + lifetime,
  };
  if (options.issuer !== undefined) claims.iss = options.issuer;
  return new jose.SignJWT(claims).setProtectedHeader(header).sign(secret);
}

/** The token's `exp` (seconds since the epoch), read without verifying; `undefined` if absent or unreadable. */
export function decodeTokenExpiry(token: string): number | undefined {
  try {
    const { exp } = jose.decodeJwt(token);
    return typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined;
  } catch {
    return undefined;
  }
}
