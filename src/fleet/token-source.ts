import { decodeTokenExpiry, mintToken, type MintTokenKey } from '../protocol/index.js';

/** Tokens minted per user from an HS* shared secret (the embedded default, or a target whose key is known). */
export interface MintedTokenAuth {
  key: MintTokenKey;
  /** `aud`; the server needs one value in `client_auth.audience` (real deployments: also the endpoint). */
  audience: string | string[];
  /** `exp − iat`; default 3600 s (the server accepts at most 86 400). */
  lifetimeSeconds?: number;
  /** Extra claims, e.g. `parameters`. */
  claims?: Record<string, unknown>;
}

/** Tokens obtained from the user's own code (a token command, an auth endpoint), one call per refresh. */
export interface ProvidedTokenAuth {
  tokenProvider: (sub: string) => Promise<string> | string;
}

export type ClientAuth = MintedTokenAuth | ProvidedTokenAuth;

/** Refresh when this many seconds of validity or fewer remain (protocol.md §1.4: SDKs refresh at ≤ 30). */
const REFRESH_BEFORE_S = 30;

/**
 * One user's token: minted or provided on demand, reused until it is near expiry. "Near" is 30 s before
 * `exp`, or half the token's lifetime when that is shorter (so a 5-s token is not re-minted in a loop).
 */
export class TokenSource {
  private token: string | undefined;
  private exp = 0;
  private refreshBefore = REFRESH_BEFORE_S;

  constructor(
    private readonly auth: ClientAuth,
    private readonly sub: string,
  ) {}

  /** A token valid for longer than the refresh margin (a new one when the cached one is not). */
  async get(nowSeconds = Date.now() / 1000): Promise<string> {
    if (this.token !== undefined && this.exp - nowSeconds > this.refreshBefore) return this.token;
    const token = await this.obtain();
    if (typeof token !== 'string' || token.length === 0)
      throw new Error('The token provider returned no token');
    const exp = decodeTokenExpiry(token) ?? Infinity;
    const lifetime = exp - nowSeconds;
    this.token = token;
    this.exp = exp;
    this.refreshBefore = Math.min(REFRESH_BEFORE_S, Math.max(0, lifetime / 2));
    return token;
  }

  /** The token last returned by `get`, if any (e.g. for a write-checkpoint request). */
  get current(): string | undefined {
    return this.token;
  }

  /** True when a `token_expires_in` of this many seconds calls for a fresh token and a reconnect. */
  dueAt(expiresInSeconds: number): boolean {
    return expiresInSeconds <= this.refreshBefore;
  }

  /** Forgets the cached token: the next `get` obtains a new one (after an auth error or expiry notice). */
  invalidate(): void {
    this.token = undefined;
    this.exp = 0;
  }

  private obtain(): Promise<string> | string {
    const auth = this.auth;
    if ('tokenProvider' in auth) return auth.tokenProvider(this.sub);
    return mintToken({
      key: auth.key,
      sub: this.sub,
      audience: auth.audience,
      lifetimeSeconds: auth.lifetimeSeconds,
      claims: auth.claims,
    });
  }
}
