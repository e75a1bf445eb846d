import crypto from 'node:crypto';
import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { ServiceError, type ErrorCode } from '../../src/errors/index.js';
import { mintToken } from '../../src/protocol/index.js';
import {
  KEY_NOT_FOUND_MESSAGE,
  MALFORMED_TOKEN_MESSAGE,
  TokenVerifier,
  tokenFromAuthorizationHeader,
} from '../../src/service/api/auth/index.js';
import type { ClientAuthConfig, Jwk } from '../../src/service/config/index.js';

const NOW = 1_700_000_000;
const AUDIENCE = 'powersync-test';

const secretA = Buffer.alloc(32, 'a');
const secretB = Buffer.alloc(32, 'b');
const kA = jose.base64url.encode(secretA);
const kB = jose.base64url.encode(secretB);

function auth(keys: Jwk[], audience: string[] = [AUDIENCE]): ClientAuthConfig {
  return { jwks: { keys }, audience };
}

const claims = (extra: Record<string, unknown> = {}): jose.JWTPayload => ({
  sub: 'user-1',
  iat: NOW,
  exp: NOW + 300,
  aud: AUDIENCE,
  ...extra,
});

/** Signs an arbitrary claim set (no defaults added) with an arbitrary protected header. */
function sign(
  payload: Record<string, unknown>,
  header: jose.JWTHeaderParameters,
  key: Uint8Array | jose.CryptoKey,
): Promise<string> {
  return new jose.SignJWT(payload).setProtectedHeader(header).sign(key);
}

/** Signs raw payload bytes (for payloads that are not JSON objects). */
function signRaw(payload: string, header: jose.CompactJWSHeaderParameters, key: Uint8Array): Promise<string> {
  return new jose.CompactSign(new TextEncoder().encode(payload)).setProtectedHeader(header).sign(key);
}

const b64json = (value: unknown) => jose.base64url.encode(JSON.stringify(value));

async function expectAuthError(promise: Promise<unknown>, code: ErrorCode, description?: string | RegExp) {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(ServiceError);
  const serviceError = error as ServiceError;
  expect(serviceError.code).toBe(code);
  expect(serviceError.status).toBe(401);
  if (typeof description === 'string') expect(serviceError.description).toBe(description);
  else if (description) expect(serviceError.description).toMatch(description);
}

async function hsVerifier(options: { audience?: string[] } = {}) {
  return TokenVerifier.create(
    auth([{ kty: 'oct', kid: 'hs-a', k: kA, alg: 'HS256' }], options.audience ?? [AUDIENCE]),
  );
}

describe('TokenVerifier: HMAC keys and key selection', () => {
  it('accepts a valid HS256 token and returns sub, iat, exp and the whole payload', async () => {
    const verifier = await hsVerifier();
    const token = await sign(
      claims({ parameters: { team: 't1' }, custom: 42 }),
      { alg: 'HS256', kid: 'hs-a' },
      secretA,
    );
    const verified = await verifier.verify(token, NOW);
    expect(verified).toEqual({
      sub: 'user-1',
      iat: NOW,
      exp: NOW + 300,
      payload: {
        sub: 'user-1',
        iat: NOW,
        exp: NOW + 300,
        aud: AUDIENCE,
        parameters: { team: 't1' },
        custom: 42,
      },
    });
  });

  it('accepts HS384 and HS512 keys', async () => {
    const verifier = await TokenVerifier.create(
      auth([
        { kty: 'oct', kid: 'h384', k: kA, alg: 'HS384' },
        { kty: 'oct', kid: 'h512', k: kB, alg: 'HS512' },
      ]),
    );
    const t384 = await sign(claims(), { alg: 'HS384', kid: 'h384' }, secretA);
    const t512 = await sign(claims(), { alg: 'HS512', kid: 'h512' }, secretB);
    await expect(verifier.verify(t384, NOW)).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verifier.verify(t512, NOW)).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('uses the current time when nowSeconds is omitted', async () => {
    const verifier = await hsVerifier();
    const token = await mintToken({ key: { k: kA, kid: 'hs-a' }, sub: 'u', audience: AUDIENCE });
    await expect(verifier.verify(token)).resolves.toMatchObject({ sub: 'u' });
  });

  it('rejects a token signed with the wrong secret (PSYNC_S2101)', async () => {
    const verifier = await hsVerifier();
    const token = await sign(claims(), { alg: 'HS256', kid: 'hs-a' }, secretB);
    await expectAuthError(verifier.verify(token, NOW), 'PSYNC_S2101', /signature verification failed/);
  });

  it('rejects a tampered payload (PSYNC_S2101)', async () => {
    const verifier = await hsVerifier();
    const token = await sign(claims(), { alg: 'HS256', kid: 'hs-a' }, secretA);
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64json(claims({ sub: 'admin' }))}.${signature}`;
    await expectAuthError(verifier.verify(forged, NOW), 'PSYNC_S2101', /signature verification failed/);
  });

  it('rejects an unknown kid when there is no wildcard key', async () => {
    const verifier = await hsVerifier();
    const token = await sign(claims(), { alg: 'HS256', kid: 'other' }, secretA);
    await expectAuthError(verifier.verify(token, NOW), 'PSYNC_S2101', KEY_NOT_FOUND_MESSAGE);
  });

  it('rejects a token without kid when every key has one', async () => {
    const verifier = await hsVerifier();
    const token = await sign(claims(), { alg: 'HS256' }, secretA);
    await expectAuthError(verifier.verify(token, NOW), 'PSYNC_S2101', KEY_NOT_FOUND_MESSAGE);
  });

  it('falls back to wildcard keys for a token without kid, and for a kid no key has', async () => {
    const verifier = await TokenVerifier.create(
      auth([
        { kty: 'oct', kid: 'named', k: kB, alg: 'HS256' },
        { kty: 'oct', k: kA, alg: 'HS256' },
      ]),
    );
    const noKid = await sign(claims(), { alg: 'HS256' }, secretA);
    const unknownKid = await sign(claims(), { alg: 'HS256', kid: 'not-configured' }, secretA);
    const emptyKid = await sign(claims(), { alg: 'HS256', kid: '' }, secretA);
    await expect(verifier.verify(noKid, NOW)).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verifier.verify(unknownKid, NOW)).resolves.toMatchObject({ sub: 'user-1' });
    await expect(verifier.verify(emptyKid, NOW)).resolves.toMatchObject({ sub: 'user-1' });
    // The named key's secret is never tried for a token without a kid.
    const namedSecretNoKid = await sign(claims(), { alg: 'HS256' }, secretB);
    await expectAuthError(verifier.verify(namedSecretNoKid, NOW), 'PSYNC_S2101', KEY_NOT_FOUND_MESSAGE);
  });

  it('tries every wildcard key whose algorithm fits; the first valid signature wins', async () => {
    const verifier = await TokenVerifier.create(
      auth([
        { kty: 'oct', k: kB, alg: 'HS256' },
        { kty: 'oct', k: kA, alg: 'HS512' },
        { kty: 'oct', k: kA, alg: 'HS256' },
      ]),
    );
    await expect(
      verifier.verify(await sign(claims(), { alg: 'HS256' }, secretA), NOW),
    ).resolves.toMatchObject({ sub: 'user-1' });
    await expect(
      verifier.verify(await sign(claims(), { alg: 'HS512' }, secretA), NOW),
    ).resolves.toMatchObject({ sub: 'user-1' });
    // No wildcard key has HS384.
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'HS384' }, secretA), NOW),
      'PSYNC_S2101',
      KEY_NOT_FOUND_MESSAGE,
    );
    // Wildcards that fit the algorithm but not the signature.
    const wrongSecret = Buffer.alloc(32, 'z');
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'HS256' }, wrongSecret), NOW),
      'PSYNC_S2101',
      KEY_NOT_FOUND_MESSAGE,
    );
  });

  it('does not fall back to wildcards when the kid matches but the algorithm or signature does not', async () => {
    const verifier = await TokenVerifier.create(
      auth([
        { kty: 'oct', kid: 'k1', k: kB, alg: 'HS256' },
        { kty: 'oct', k: kA, alg: 'HS512' },
        { kty: 'oct', k: kA, alg: 'HS256' },
      ]),
    );
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'HS512', kid: 'k1' }, secretA), NOW),
      'PSYNC_S2101',
      'Unexpected token algorithm HS512',
    );
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'HS256', kid: 'k1' }, secretA), NOW),
      'PSYNC_S2101',
      /signature verification failed/,
    );
  });

  it('uses the first key when two keys share a kid', async () => {
    const verifier = await TokenVerifier.create(
      auth([
        { kty: 'oct', kid: 'dup', k: kA, alg: 'HS256' },
        { kty: 'oct', kid: 'dup', k: kB, alg: 'HS256' },
      ]),
    );
    await expect(
      verifier.verify(await sign(claims(), { alg: 'HS256', kid: 'dup' }, secretA), NOW),
    ).resolves.toMatchObject({ sub: 'user-1' });
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'HS256', kid: 'dup' }, secretB), NOW),
      'PSYNC_S2101',
    );
  });

  it('fails every token when no key is configured', async () => {
    const verifier = await TokenVerifier.create(auth([]));
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'HS256' }, secretA), NOW),
      'PSYNC_S2101',
      KEY_NOT_FOUND_MESSAGE,
    );
  });
});

describe('TokenVerifier: algorithms', () => {
  it('never accepts alg "none", with or without kid, even with a wildcard key', async () => {
    const verifier = await TokenVerifier.create(
      auth([
        { kty: 'oct', kid: 'hs-a', k: kA, alg: 'HS256' },
        { kty: 'oct', k: kA, alg: 'HS256' },
      ]),
    );
    for (const header of [{ alg: 'none' }, { alg: 'none', kid: 'hs-a' }, { alg: 'none', typ: 'JWT' }]) {
      const unsigned = `${b64json(header)}.${b64json(claims())}.`;
      await expectAuthError(verifier.verify(unsigned, NOW), 'PSYNC_S2101', 'Unexpected token algorithm none');
    }
    // jose's own unsecured JWT, for good measure.
    const unsecured = new jose.UnsecuredJWT(claims()).encode();
    await expectAuthError(verifier.verify(unsecured, NOW), 'PSYNC_S2101', 'Unexpected token algorithm none');
  });

  it('rejects algorithms outside the supported list', async () => {
    const verifier = await hsVerifier();
    for (const alg of ['PS256', 'Ed25519', 'hs256', 'RSA-OAEP']) {
      const token = `${b64json({ alg, kid: 'hs-a' })}.${b64json(claims())}.c2ln`;
      await expectAuthError(verifier.verify(token, NOW), 'PSYNC_S2101', `Unexpected token algorithm ${alg}`);
    }
  });

  it('rejects an HS256 token against an RSA key (algorithm confusion)', async () => {
    const { publicKey } = await jose.generateKeyPair('RS256', { extractable: true });
    const rsaJwk = await jose.exportJWK(publicKey);
    const verifier = await TokenVerifier.create(
      auth([{ kty: 'RSA', kid: 'rsa', n: rsaJwk.n!, e: rsaJwk.e! } /* no alg: the RS* family */]),
    );
    // The classic attack: use the public key material as the HMAC secret.
    const token = await sign(claims(), { alg: 'HS256', kid: 'rsa' }, new TextEncoder().encode(rsaJwk.n!));
    await expectAuthError(verifier.verify(token, NOW), 'PSYNC_S2101', 'Unexpected token algorithm HS256');
  });

  it('RSA: a key with alg accepts only that algorithm; a key without alg accepts RS256/384/512', async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
    const jwk = await jose.exportJWK(publicKey);
    const verifier = await TokenVerifier.create(
      auth([
        { kty: 'RSA', kid: 'rs256', n: jwk.n!, e: jwk.e!, alg: 'RS256' },
        { kty: 'RSA', kid: 'family', n: jwk.n!, e: jwk.e! },
      ]),
    );
    // WebCrypto binds an RSA key to one hash: import the private key once per algorithm to sign.
    const privateJwk = await jose.exportJWK(privateKey);
    const signer = async (alg: string) => (await jose.importJWK(privateJwk, alg)) as jose.CryptoKey;
    await expect(
      verifier.verify(await sign(claims(), { alg: 'RS256', kid: 'rs256' }, privateKey), NOW),
    ).resolves.toMatchObject({ sub: 'user-1' });
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'RS384', kid: 'rs256' }, await signer('RS384')), NOW),
      'PSYNC_S2101',
      'Unexpected token algorithm RS384',
    );
    for (const alg of ['RS256', 'RS384', 'RS512']) {
      await expect(
        verifier.verify(await sign(claims(), { alg, kid: 'family' }, await signer(alg)), NOW),
      ).resolves.toMatchObject({ sub: 'user-1' });
    }
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'HS256', kid: 'family' }, secretA), NOW),
      'PSYNC_S2101',
      'Unexpected token algorithm HS256',
    );
    // Signed by another RSA key.
    const other = await jose.generateKeyPair('RS256');
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'RS256', kid: 'rs256' }, other.privateKey), NOW),
      'PSYNC_S2101',
      /signature verification failed/,
    );
  });

  it('RSA: a private JWK in the configuration is used through its public members only', async () => {
    const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
    const privateJwk = await jose.exportJWK(privateKey);
    expect(privateJwk.d).toBeDefined();
    const verifier = await TokenVerifier.create(
      auth([{ ...privateJwk, kty: 'RSA', kid: 'priv', alg: 'RS256' } as Jwk]),
    );
    await expect(
      verifier.verify(await sign(claims(), { alg: 'RS256', kid: 'priv' }, privateKey), NOW),
    ).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('EC: P-256/P-384/P-521 keys, with and without kid, with and without alg', async () => {
    const cases = [
      { alg: 'ES256', crv: 'P-256' },
      { alg: 'ES384', crv: 'P-384' },
      { alg: 'ES512', crv: 'P-521' },
    ] as const;
    for (const { alg, crv } of cases) {
      const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
      const jwk = await jose.exportJWK(publicKey);
      expect(jwk.crv).toBe(crv);
      const withAlg = await TokenVerifier.create(
        auth([{ kty: 'EC', kid: 'ec', crv, x: jwk.x!, y: jwk.y!, alg }]),
      );
      const wildcardNoAlg = await TokenVerifier.create(auth([{ kty: 'EC', crv, x: jwk.x!, y: jwk.y! }]));
      await expect(
        withAlg.verify(await sign(claims(), { alg, kid: 'ec' }, privateKey), NOW),
      ).resolves.toMatchObject({ sub: 'user-1' });
      await expect(
        wildcardNoAlg.verify(await sign(claims(), { alg }, privateKey), NOW),
      ).resolves.toMatchObject({ sub: 'user-1' });
      await expect(
        wildcardNoAlg.verify(await sign(claims(), { alg, kid: 'whatever' }, privateKey), NOW),
      ).resolves.toMatchObject({ sub: 'user-1' });
    }
  });

  it('EC: rejects another algorithm, another curve and another key', async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const jwk = await jose.exportJWK(publicKey);
    const verifier = await TokenVerifier.create(
      auth([
        { kty: 'EC', kid: 'ec', crv: 'P-256', x: jwk.x!, y: jwk.y! },
        { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! },
      ]),
    );
    const p384 = await jose.generateKeyPair('ES384');
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'ES384', kid: 'ec' }, p384.privateKey), NOW),
      'PSYNC_S2101',
      'Unexpected token algorithm ES384',
    );
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'ES384' }, p384.privateKey), NOW),
      'PSYNC_S2101',
      KEY_NOT_FOUND_MESSAGE,
    );
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'HS256', kid: 'ec' }, secretA), NOW),
      'PSYNC_S2101',
      'Unexpected token algorithm HS256',
    );
    const other = await jose.generateKeyPair('ES256');
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'ES256', kid: 'ec' }, other.privateKey), NOW),
      'PSYNC_S2101',
      /signature verification failed/,
    );
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'ES256' }, other.privateKey), NOW),
      'PSYNC_S2101',
      KEY_NOT_FOUND_MESSAGE,
    );
    await expect(
      verifier.verify(await sign(claims(), { alg: 'ES256' }, privateKey), NOW),
    ).resolves.toMatchObject({ sub: 'user-1' });
  });

  it('Ed25519 (EdDSA): with kid, as a wildcard, and against other keys', async () => {
    const { publicKey, privateKey } = await jose.generateKeyPair('EdDSA', { extractable: true });
    const jwk = await jose.exportJWK(publicKey);
    expect(jwk.crv).toBe('Ed25519');
    const verifier = await TokenVerifier.create(
      auth([
        { kty: 'OKP', kid: 'ed', crv: 'Ed25519', x: jwk.x!, alg: 'EdDSA' },
        { kty: 'OKP', crv: 'Ed25519', x: jwk.x! },
      ]),
    );
    await expect(
      verifier.verify(await sign(claims(), { alg: 'EdDSA', kid: 'ed' }, privateKey), NOW),
    ).resolves.toMatchObject({ sub: 'user-1' });
    await expect(
      verifier.verify(await sign(claims(), { alg: 'EdDSA' }, privateKey), NOW),
    ).resolves.toMatchObject({ sub: 'user-1' });
    const other = await jose.generateKeyPair('EdDSA');
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'EdDSA', kid: 'ed' }, other.privateKey), NOW),
      'PSYNC_S2101',
      /signature verification failed/,
    );
    await expectAuthError(
      verifier.verify(await sign(claims(), { alg: 'HS256', kid: 'ed' }, secretA), NOW),
      'PSYNC_S2101',
      'Unexpected token algorithm HS256',
    );
  });

  it('Ed448 (EdDSA) keys verify through node:crypto', async () => {
    const { publicKey, privateKey } = crypto.generateKeyPairSync('ed448');
    const jwk = publicKey.export({ format: 'jwk' });
    const verifier = await TokenVerifier.create(
      auth([{ kty: 'OKP', kid: 'ed448', crv: 'Ed448', x: jwk.x!, alg: 'EdDSA' }]),
    );
    const signEd448 = (
      header: Record<string, unknown>,
      payload: Record<string, unknown>,
      key = privateKey,
    ) => {
      const input = `${b64json(header)}.${b64json(payload)}`;
      const signature = crypto.sign(null, Buffer.from(input), key);
      return `${input}.${jose.base64url.encode(signature)}`;
    };
    await expect(
      verifier.verify(signEd448({ alg: 'EdDSA', kid: 'ed448' }, claims()), NOW),
    ).resolves.toMatchObject({
      sub: 'user-1',
    });
    const other = crypto.generateKeyPairSync('ed448').privateKey;
    await expectAuthError(
      verifier.verify(signEd448({ alg: 'EdDSA', kid: 'ed448' }, claims(), other), NOW),
      'PSYNC_S2101',
      /signature verification failed/,
    );
    await expectAuthError(
      verifier.verify(signEd448({ alg: 'EdDSA', kid: 'ed448' }, claims({ exp: NOW - 120 })), NOW),
      'PSYNC_S2103',
      'JWT has expired',
    );
  });
});

describe('TokenVerifier: claims', () => {
  it('requires sub, iat and exp (checked in the order exp, iat, sub like jose)', async () => {
    const verifier = await hsVerifier();
    for (const claim of ['sub', 'iat', 'exp']) {
      const payload: Record<string, unknown> = claims();
      delete payload[claim];
      const token = await sign(payload, { alg: 'HS256', kid: 'hs-a' }, secretA);
      await expectAuthError(
        verifier.verify(token, NOW),
        'PSYNC_S2101',
        `JWT payload is missing a required claim "${claim}"`,
      );
    }
    const none = await sign({ aud: AUDIENCE }, { alg: 'HS256', kid: 'hs-a' }, secretA);
    await expectAuthError(
      verifier.verify(none, NOW),
      'PSYNC_S2101',
      'JWT payload is missing a required claim "exp"',
    );
  });

  it('rejects non-numeric iat/exp/nbf and a non-string sub (PSYNC_S2101)', async () => {
    const verifier = await hsVerifier();
    for (const extra of [{ iat: String(NOW) }, { exp: String(NOW + 60) }, { nbf: 'soon' }, { sub: 42 }]) {
      const token = await sign(claims(extra), { alg: 'HS256', kid: 'hs-a' }, secretA);
      await expectAuthError(verifier.verify(token, NOW), 'PSYNC_S2101', /claim must be a/);
    }
  });

  it('expiry: exp at or beyond the 60 s tolerance is rejected (PSYNC_S2103), within it accepted', async () => {
    const verifier = await hsVerifier();
    const at = async (exp: number) =>
      verifier.verify(
        await sign(claims({ iat: NOW - 3600, exp }), { alg: 'HS256', kid: 'hs-a' }, secretA),
        NOW,
      );
    await expectAuthError(at(NOW - 3000), 'PSYNC_S2103', 'JWT has expired');
    await expectAuthError(at(NOW - 61), 'PSYNC_S2103', 'JWT has expired');
    await expectAuthError(at(NOW - 60), 'PSYNC_S2103', 'JWT has expired');
    await expect(at(NOW - 59)).resolves.toMatchObject({ exp: NOW - 59 });
    await expect(at(NOW - 1)).resolves.toMatchObject({ exp: NOW - 1 });
    await expect(at(NOW)).resolves.toMatchObject({ exp: NOW });
  });

  it('nbf: rejected when more than 60 s in the future', async () => {
    const verifier = await hsVerifier();
    const at = async (nbf: number) =>
      verifier.verify(await sign(claims({ nbf }), { alg: 'HS256', kid: 'hs-a' }, secretA), NOW);
    await expect(at(NOW + 60)).resolves.toMatchObject({ sub: 'user-1' });
    await expectAuthError(at(NOW + 61), 'PSYNC_S2101', /nbf/);
  });

  it('lifetime: exp − iat of exactly 24 h is allowed, 24 h + 1 s is rejected (PSYNC_S2104)', async () => {
    const verifier = await hsVerifier();
    const lifetime = async (seconds: number) =>
      verifier.verify(
        await sign(claims({ iat: NOW, exp: NOW + seconds }), { alg: 'HS256', kid: 'hs-a' }, secretA),
        NOW,
      );
    await expect(lifetime(86_400)).resolves.toMatchObject({ exp: NOW + 86_400 });
    await expectAuthError(
      lifetime(86_401),
      'PSYNC_S2104',
      'Token must expire in a maximum of 86400 seconds, got 86401s',
    );
    await expectAuthError(lifetime(30 * 86_400), 'PSYNC_S2104');
  });

  it('aud: missing, wrong, an array with one right value, and no audience configured', async () => {
    const verifier = await hsVerifier({ audience: ['a1', AUDIENCE] });
    const withAud = async (aud: unknown) => {
      const payload: Record<string, unknown> = claims({ aud });
      if (aud === undefined) delete payload.aud;
      return verifier.verify(await sign(payload, { alg: 'HS256', kid: 'hs-a' }, secretA), NOW);
    };
    await expectAuthError(withAud(undefined), 'PSYNC_S2105', 'JWT payload is missing a required claim "aud"');
    await expectAuthError(withAud(null), 'PSYNC_S2105', 'JWT payload is missing a required claim "aud"');
    await expectAuthError(withAud('wrong'), 'PSYNC_S2105', 'Unexpected "aud" claim value: "wrong"');
    await expectAuthError(withAud(['x', 'y']), 'PSYNC_S2105', 'Unexpected "aud" claim value: ["x","y"]');
    await expectAuthError(withAud([]), 'PSYNC_S2105');
    await expectAuthError(withAud(42), 'PSYNC_S2105');
    await expect(withAud(['x', AUDIENCE])).resolves.toMatchObject({ sub: 'user-1' });
    await expect(withAud('a1')).resolves.toMatchObject({ sub: 'user-1' });

    const noAudience = await hsVerifier({ audience: [] });
    const token = await sign(claims(), { alg: 'HS256', kid: 'hs-a' }, secretA);
    await expectAuthError(noAudience.verify(token, NOW), 'PSYNC_S2105');
  });

  it('checks aud before the lifetime, and expiry before both', async () => {
    const verifier = await hsVerifier();
    const token = await sign(
      claims({ aud: 'wrong', exp: NOW + 2 * 86_400 }),
      { alg: 'HS256', kid: 'hs-a' },
      secretA,
    );
    await expectAuthError(verifier.verify(token, NOW), 'PSYNC_S2105');
    const expired = await sign(
      claims({ aud: 'wrong', iat: NOW - 3 * 86_400, exp: NOW - 3600 }),
      { alg: 'HS256', kid: 'hs-a' },
      secretA,
    );
    await expectAuthError(verifier.verify(expired, NOW), 'PSYNC_S2103');
  });

  it('parameters: must be a JSON object when present (null counts as absent)', async () => {
    const verifier = await hsVerifier();
    const withParameters = async (parameters: unknown) =>
      verifier.verify(await sign(claims({ parameters }), { alg: 'HS256', kid: 'hs-a' }, secretA), NOW);
    for (const bad of ['team=1', 42, true, [1, 2], ['a']]) {
      await expectAuthError(withParameters(bad), 'PSYNC_S2101', 'Payload parameters must be an object');
    }
    await expect(withParameters({ a: 1, nested: { b: [1] } })).resolves.toMatchObject({
      payload: { parameters: { a: 1, nested: { b: [1] } } },
    });
    await expect(withParameters({})).resolves.toMatchObject({ sub: 'user-1' });
    await expect(withParameters(null)).resolves.toMatchObject({ sub: 'user-1' });
  });
});

describe('TokenVerifier: malformed tokens', () => {
  it('rejects strings that are not compact JWS (PSYNC_S2101)', async () => {
    const verifier = await hsVerifier();
    const good = await sign(claims(), { alg: 'HS256', kid: 'hs-a' }, secretA);
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const malformed = [
      '',
      'not-a-jwt',
      'a.b',
      `${good}.extra`,
      `${header}.${payload}`,
      '...',
      `!!!.${payload}.${signature}`,
      `${jose.base64url.encode('not json')}.${payload}.${signature}`,
      `${b64json([1, 2])}.${payload}.${signature}`,
      `${b64json('HS256')}.${payload}.${signature}`,
      `${jose.base64url.encode(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]))}.${payload}.${signature}`,
      `${b64json({ kid: 'hs-a' })}.${payload}.${signature}`,
      `${b64json({ alg: '' })}.${payload}.${signature}`,
      `${b64json({ alg: 256 })}.${payload}.${signature}`,
      `${header}.${payload}.!!!`,
      `${header}.${payload}.a+b/`,
      `${b64json({ alg: 'HS256', kid: 'hs-a', crit: 'b64' })}.${payload}.${signature}`,
      `${b64json({ alg: 'HS256', kid: 'hs-a', crit: [] })}.${payload}.${signature}`,
      `${b64json({ alg: 'HS256', kid: 'hs-a', crit: ['b64'], b64: false })}.${payload}.${signature}`,
    ];
    for (const token of malformed) {
      await expectAuthError(verifier.verify(token, NOW), 'PSYNC_S2101', MALFORMED_TOKEN_MESSAGE);
    }
  });

  it('rejects unknown critical header parameters', async () => {
    const verifier = await hsVerifier();
    const token = `${b64json({ alg: 'HS256', kid: 'hs-a', crit: ['exp'], exp: 1 })}.${b64json(claims())}.c2ln`;
    await expectAuthError(verifier.verify(token, NOW), 'PSYNC_S2101', /"exp" is not recognized/);
  });

  it('rejects a correctly signed payload that is not a JSON object', async () => {
    const verifier = await hsVerifier();
    for (const payload of ['not json', '[1,2,3]', '"a string"', 'null', '42']) {
      const token = await signRaw(payload, { alg: 'HS256', kid: 'hs-a' }, secretA);
      await expectAuthError(verifier.verify(token, NOW), 'PSYNC_S2101', MALFORMED_TOKEN_MESSAGE);
    }
  });

  it('renders as the real service does', async () => {
    const verifier = await hsVerifier();
    const error = await verifier.verify('garbage', NOW).catch((e: unknown) => e);
    expect((error as ServiceError).message).toBe(`[PSYNC_S2101] ${MALFORMED_TOKEN_MESSAGE}`);
    expect((error as ServiceError).toJSON()).toEqual({
      error: { name: 'ServiceError', code: 'PSYNC_S2101', status: 401, description: MALFORMED_TOKEN_MESSAGE },
    });
  });
});

describe('TokenVerifier.create: unusable keys', () => {
  it('fails with PSYNC_S3201 listing each unusable key', async () => {
    const small = crypto
      .generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ format: 'jwk' });
    const { publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
    const ec = await jose.exportJWK(publicKey);
    const keys = [
      { kty: 'oct', kid: 'ok', k: kA, alg: 'HS256' },
      { kty: 'RSA', kid: 'small', n: small.n!, e: small.e!, alg: 'RS256' },
      { kty: 'EC', kid: 'curve', crv: 'P-256', x: ec.x!, y: ec.y!, alg: 'ES384' },
      { kty: 'RSA', kid: 'confused', n: small.n!, e: small.e!, alg: 'HS256' },
      { kty: 'oct', kid: 'empty', k: '', alg: 'HS256' },
      { kty: 'OKP', kid: 'broken', crv: 'Ed25519', x: 'AAAA' },
    ] as Jwk[];
    const error = await TokenVerifier.create(auth(keys)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    const configError = error as ServiceError & { problems: Array<{ path: string; message: string }> };
    expect(configError.code).toBe('PSYNC_S3201');
    expect(configError.problems.map((problem) => problem.path)).toEqual([
      'client_auth.jwks.keys[1]',
      'client_auth.jwks.keys[2]',
      'client_auth.jwks.keys[3]',
      'client_auth.jwks.keys[4]',
      'client_auth.jwks.keys[5]',
    ]);
    expect(configError.problems[0]!.message).toMatch(/2048/);
    expect(configError.problems[1]!.message).toMatch(/does not match curve P-256/);
    expect(configError.problems[2]!.message).toMatch(/cannot be used with a RSA key/);
  });
});

describe('tokenFromAuthorizationHeader', () => {
  it('accepts "Token <jwt>" and "Bearer <jwt>"', () => {
    expect(tokenFromAuthorizationHeader('Token abc.def.ghi')).toBe('abc.def.ghi');
    expect(tokenFromAuthorizationHeader('Bearer abc.def.ghi')).toBe('abc.def.ghi');
  });

  it('a missing header is PSYNC_S2106 "No token provided"', () => {
    for (const header of [undefined, '']) {
      let error: unknown;
      try {
        tokenFromAuthorizationHeader(header);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ServiceError);
      expect(error).toMatchObject({ code: 'PSYNC_S2106', status: 401, description: 'No token provided' });
    }
  });

  it('a malformed header is PSYNC_S2106', () => {
    for (const header of [
      'abc.def.ghi',
      'Token',
      'Token ',
      'Bearer  abc',
      'Bearer\tabc',
      'Token abc def',
      'Token abc\n',
      ' Token abc',
      'token abc',
      'bearer abc',
      'Basic dXNlcjpwYXNz',
      'JWT abc',
    ]) {
      expect(() => tokenFromAuthorizationHeader(header), JSON.stringify(header)).toThrow(
        expect.objectContaining({ code: 'PSYNC_S2106', status: 401 }),
      );
    }
    expect(() => tokenFromAuthorizationHeader('Bearer  abc')).toThrow(/Token <jwt>" or "Bearer <jwt>/);
  });
});
