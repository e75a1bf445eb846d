import * as jose from 'jose';
import { describe, expect, it } from 'vitest';
import { decodeTokenExpiry, mintToken } from '../../src/protocol/index.js';
import { TokenVerifier } from '../../src/service/api/auth/index.js';

const NOW = 1_700_000_000;
const k = jose.base64url.encode(Buffer.alloc(32, 's'));

describe('mintToken', () => {
  it('signs HS256 with header {alg, kid} and the standard claims (default lifetime 1 h)', async () => {
    const token = await mintToken({ key: { k, kid: 'dev' }, sub: 'u1', audience: 'aud-1', nowSeconds: NOW });
    expect(jose.decodeProtectedHeader(token)).toEqual({ alg: 'HS256', kid: 'dev' });
    expect(jose.decodeJwt(token)).toEqual({ sub: 'u1', aud: 'aud-1', iat: NOW, exp: NOW + 3600 });
    const { payload } = await jose.jwtVerify(token, jose.base64url.decode(k), {
      currentDate: new Date(NOW * 1000),
    });
    expect(payload.sub).toBe('u1');
  });

  it('supports HS384/HS512, no kid, audience arrays, issuer, lifetime and extra claims', async () => {
    const token = await mintToken({
      key: { k, alg: 'HS512' },
      sub: 'u2',
      audience: ['a', 'b'],
      lifetimeSeconds: 120,
      nowSeconds: NOW + 0.9,
      issuer: 'loadgen',
      claims: { parameters: { team: 't' }, sub: 'ignored', exp: 1 },
    });
    expect(jose.decodeProtectedHeader(token)).toEqual({ alg: 'HS512' });
    expect(jose.decodeJwt(token)).toEqual({
      parameters: { team: 't' },
      sub: 'u2',
      aud: ['a', 'b'],
      iat: NOW,
      exp: NOW + 120,
      iss: 'loadgen',
    });
  });

  it('produces tokens the verifier accepts', async () => {
    const verifier = await TokenVerifier.create({
      jwks: { keys: [{ kty: 'oct', kid: 'dev', k, alg: 'HS384' }] },
      audience: ['aud-1'],
    });
    const token = await mintToken({
      key: { k, kid: 'dev', alg: 'HS384' },
      sub: 'u3',
      audience: ['http://127.0.0.1:8080', 'aud-1'],
      lifetimeSeconds: 86_400,
      nowSeconds: NOW,
    });
    await expect(verifier.verify(token, NOW + 10)).resolves.toMatchObject({ sub: 'u3', exp: NOW + 86_400 });
  });

  it('rejects an empty secret', async () => {
    await expect(mintToken({ key: { k: '' }, sub: 'u', audience: 'a' })).rejects.toThrow(/empty/);
  });
});

describe('decodeTokenExpiry', () => {
  it('reads exp without verifying', async () => {
    const token = await mintToken({
      key: { k },
      sub: 'u',
      audience: 'a',
      nowSeconds: NOW,
      lifetimeSeconds: 60,
    });
    expect(decodeTokenExpiry(token)).toBe(NOW + 60);
  });

  it('is undefined for garbage or a token without exp', async () => {
    expect(decodeTokenExpiry('garbage')).toBeUndefined();
    expect(decodeTokenExpiry('')).toBeUndefined();
    const noExp = await new jose.SignJWT({ sub: 'u' })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(jose.base64url.decode(k));
    expect(decodeTokenExpiry(noExp)).toBeUndefined();
  });
});
