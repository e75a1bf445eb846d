import { z } from 'zod';

/**
 * `client_auth`: inline JWKS keys (what the reference service verifies tokens with) and audiences.
 * `jwks_uri`, `supabase*`, `block_local_jwks` and `jwks_reject_ip_ranges` are validated but not implemented.
 * Other standard JWK members (`x5c`, `key_ops`, ...) are accepted and dropped.
 */
const base64url = () => z.string().regex(/^[A-Za-z0-9_-]+={0,2}$/, 'expected a base64url string');

const octKey = z.object({
  kty: z.literal('oct'),
  kid: z.string().min(1).optional(),
  k: base64url(),
  alg: z.enum(['HS256', 'HS384', 'HS512']),
  use: z.string().optional(),
});

const rsaKey = z.object({
  kty: z.literal('RSA'),
  kid: z.string().min(1),
  n: base64url(),
  e: base64url(),
  alg: z.enum(['RS256', 'RS384', 'RS512']).optional(),
  use: z.string().optional(),
});

const ecKey = z.object({
  kty: z.literal('EC'),
  kid: z.string().min(1).optional(),
  crv: z.enum(['P-256', 'P-384', 'P-521']),
  x: base64url(),
  y: base64url(),
  alg: z.enum(['ES256', 'ES384', 'ES512']).optional(),
  use: z.string().optional(),
});

const okpKey = z.object({
  kty: z.literal('OKP'),
  kid: z.string().min(1).optional(),
  crv: z.enum(['Ed25519', 'Ed448']),
  x: base64url(),
  alg: z.literal('EdDSA').optional(),
  use: z.string().optional(),
});

export const jwkSchema = z.discriminatedUnion('kty', [octKey, rsaKey, ecKey, okpKey], {
  error: () => 'kty must be one of oct, RSA, EC, OKP',
});

export const clientAuthSchema = z.strictObject({
  jwks: z.strictObject({ keys: z.array(jwkSchema) }).prefault({ keys: [] }),
  audience: z.array(z.string()).default([]),
  jwks_uri: z.union([z.string(), z.array(z.string())]).optional(),
  supabase: z.boolean().optional(),
  supabase_jwt_secret: z.string().optional(),
  block_local_jwks: z.boolean().optional(),
  jwks_reject_ip_ranges: z.array(z.string()).optional(),
});
