import crypto, { webcrypto } from 'node:crypto';
import * as jose from 'jose';
import { ConfigError, type ConfigProblem, type Jwk } from '../../config/index.js';

/** Every algorithm a client token may use (protocol.md §2). `none` is deliberately absent. */
export const SUPPORTED_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type TokenAlgorithm = (typeof SUPPORTED_ALGORITHMS)[number];

const SUPPORTED = new Set<string>(SUPPORTED_ALGORITHMS);

export function isSupportedAlgorithm(alg: string): alg is TokenAlgorithm {
  return SUPPORTED.has(alg);
}

/** The algorithms a key type can verify when the key has no `alg` (the "key-type family"). */
const FAMILY: Record<Jwk['kty'], readonly TokenAlgorithm[]> = {
  oct: ['HS256', 'HS384', 'HS512'],
  RSA: ['RS256', 'RS384', 'RS512'],
  EC: ['ES256', 'ES384', 'ES512'],
  OKP: ['EdDSA'],
};

/** ECDSA ties the algorithm to the curve: an EC key can only ever verify one of ES256/384/512. */
const EC_CURVE_ALGORITHM: Record<string, TokenAlgorithm> = {
  'P-256': 'ES256',
  'P-384': 'ES384',
  'P-521': 'ES512',
};

/**
 * What a signature is checked with: a WebCrypto key (through `jose`) for everything `jose` supports, or a
 * Node `KeyObject` for Ed448, which `jose` v6 no longer verifies.
 */
export type VerificationKey =
  { type: 'jose'; key: jose.CryptoKey } | { type: 'ed448'; key: crypto.KeyObject };

/** One configured JWK, imported once: a ready-to-use verification key per algorithm it accepts. */
export interface PreparedKey {
  /** `undefined` for a wildcard key (no `kid`, or an empty one). */
  kid: string | undefined;
  kty: Jwk['kty'];
  /** For messages: `kid: a, alg: HS256, kty: oct`. */
  description: string;
  /** The algorithms this key accepts: its `alg`, else its key-type family (EC: the curve's algorithm). */
  verifiers: ReadonlyMap<string, VerificationKey>;
}

/**
 * Imports every configured key once. Keys that cannot be used (bad key material, an `alg` from another key
 * type's family, an RSA modulus under 2048 bits, an EC `alg` that does not match the curve, ...) fail the
 * whole set with a PSYNC_S3201 configuration error listing each of them, as the real service fails to start.
 */
export async function prepareKeys(
  keys: readonly Jwk[],
  path = 'client_auth.jwks.keys',
): Promise<PreparedKey[]> {
  const results = await Promise.all(
    keys.map(async (jwk, index): Promise<PreparedKey | ConfigProblem> => {
      try {
        return await prepareKey(jwk);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { path: `${path}[${index}]`, message: `cannot use this key: ${reason}` };
      }
    }),
  );
  const problems = results.filter((result): result is ConfigProblem => 'path' in result);
  if (problems.length > 0) throw new ConfigError(problems, 'client_auth');
  return results as PreparedKey[];
}

async function prepareKey(jwk: Jwk): Promise<PreparedKey> {
  const family = FAMILY[jwk.kty] as readonly string[] | undefined;
  if (family === undefined) throw new Error(`unsupported key type ${JSON.stringify(jwk.kty)}`);
  if (jwk.alg !== undefined && !family.includes(jwk.alg)) {
    throw new Error(
      `alg ${jwk.alg} cannot be used with a ${jwk.kty} key (expected one of ${family.join(', ')})`,
    );
  }

  let algorithms: readonly TokenAlgorithm[];
  if (jwk.kty === 'EC') {
    const curveAlgorithm = EC_CURVE_ALGORITHM[jwk.crv];
    if (curveAlgorithm === undefined) throw new Error(`unsupported EC curve ${JSON.stringify(jwk.crv)}`);
    if (jwk.alg !== undefined && jwk.alg !== curveAlgorithm) {
      throw new Error(`alg ${jwk.alg} does not match curve ${jwk.crv} (expected ${curveAlgorithm})`);
    }
    algorithms = [curveAlgorithm];
  } else {
    algorithms = jwk.alg !== undefined ? [jwk.alg] : FAMILY[jwk.kty];
  }

  const verifiers = new Map<string, VerificationKey>();
  for (const alg of algorithms) verifiers.set(alg, await importFor(jwk, alg));

  const kid = jwk.kid === undefined || jwk.kid === '' ? undefined : jwk.kid;
  const description = `kid: ${kid ?? '(none)'}, alg: ${jwk.alg ?? algorithms.join('|')}, kty: ${jwk.kty}`;
  return { kid, kty: jwk.kty, description, verifiers };
}

/** Imports only the public members: a private JWK would otherwise import as a (signing) private key. */
async function importFor(jwk: Jwk, alg: TokenAlgorithm): Promise<VerificationKey> {
  switch (jwk.kty) {
    case 'oct': {
      // jose returns HMAC secrets as raw bytes and would re-import them on every verification; import a
      // non-extractable WebCrypto key once instead.
      const secret = await jose.importJWK({ kty: 'oct', k: jwk.k }, alg);
      if (secret.byteLength === 0) throw new Error('the shared secret "k" is empty');
      const key = await webcrypto.subtle.importKey(
        'raw',
        secret,
        { name: 'HMAC', hash: `SHA-${alg.slice(2)}` },
        false,
        ['verify'],
      );
      return { type: 'jose', key: key as jose.CryptoKey };
    }
    case 'RSA': {
      const key = await jose.importJWK({ kty: 'RSA', n: jwk.n, e: jwk.e }, alg);
      const { modulusLength } = key.algorithm as { modulusLength?: number };
      if (typeof modulusLength !== 'number' || modulusLength < 2048) {
        throw new Error(`${alg} requires an RSA modulus of at least 2048 bits, got ${String(modulusLength)}`);
      }
      return { type: 'jose', key };
    }
    case 'EC':
      return {
        type: 'jose',
        key: await jose.importJWK({ kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }, alg),
      };
    case 'OKP':
      if (jwk.crv === 'Ed448') {
        const key = crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed448', x: jwk.x }, format: 'jwk' });
        return { type: 'ed448', key };
      }
      if (jwk.crv !== 'Ed25519') throw new Error(`unsupported OKP curve ${JSON.stringify(jwk.crv)}`);
      return { type: 'jose', key: await jose.importJWK({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }, alg) };
  }
}
