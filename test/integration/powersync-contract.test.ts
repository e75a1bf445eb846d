import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { registerTargetTests } from './contract/contract-tests.js';
import type { SyncTarget } from './contract/sync-target.js';

/**
 * The same contract suite against a real PowerSync deployment, when one is named:
 *   POWERSYNC_TEST_URL         the service endpoint, e.g. http://127.0.0.1:8080
 *   POWERSYNC_TEST_SOURCE_URL  its source Postgres (the suite creates and fills lists/todos there)
 *   POWERSYNC_TEST_JWT_K       its HS256 key (`k` of client_auth.jwks.keys, base64url)
 *   POWERSYNC_TEST_JWT_KID     that key's kid; POWERSYNC_TEST_AUDIENCE its audience (default: the URL)
 *   POWERSYNC_TEST_BUCKET_PREFIX  e.g. "1#" (storage v2 naming; default "")
 * The deployment must run fixtures/sync-config.yaml. Not run here: no PowerSync service on this machine.
 */
const url = process.env.POWERSYNC_TEST_URL;
const sourceUrl = process.env.POWERSYNC_TEST_SOURCE_URL;
const k = process.env.POWERSYNC_TEST_JWT_K;
const configured = Boolean(url && sourceUrl && k);

describe.skipIf(!configured)('real PowerSync deployment', () => {
  let source: pg.Pool;
  let target: SyncTarget;

  beforeAll(async () => {
    source = new pg.Pool({ connectionString: sourceUrl, max: 2 });
    await source.query(`
      CREATE TABLE IF NOT EXISTS lists (id text PRIMARY KEY, name text);
      CREATE TABLE IF NOT EXISTS todos (id text PRIMARY KEY, owner_id text, title text);
      INSERT INTO lists VALUES ('l1', 'Groceries') ON CONFLICT (id) DO UPDATE SET name = excluded.name;
      INSERT INTO todos VALUES ('t-alice-1', 'alice', 'a'), ('t-bob-1', 'bob', 'b'), ('t-carol-1', 'carol', 'c')
        ON CONFLICT DO NOTHING;
    `);
    const secret = Buffer.from(k!, 'base64url');
    const audience = process.env.POWERSYNC_TEST_AUDIENCE ?? url!;
    target = {
      endpoint: url!,
      smallConnectionLimit: false,
      bucket: (name) => `${process.env.POWERSYNC_TEST_BUCKET_PREFIX ?? ''}${name}`,
      async sql(text, values) {
        await source.query(text, values);
      },
      async token(sub, options = {}) {
        const now = Math.floor(Date.now() / 1000) + (options.iatOffsetSeconds ?? 0);
        return new SignJWT({})
          .setProtectedHeader({ alg: 'HS256', kid: process.env.POWERSYNC_TEST_JWT_KID })
          .setSubject(sub)
          .setIssuedAt(now)
          .setExpirationTime(now + (options.lifetimeSeconds ?? 3600))
          .setAudience(options.audience ?? audience)
          .sign(secret);
      },
    };
  });

  afterAll(async () => {
    await source?.end();
  });

  registerTargetTests('real PowerSync', () => target);
});

describe.skipIf(configured)('real PowerSync deployment (not configured)', () => {
  it.skip('set POWERSYNC_TEST_URL, POWERSYNC_TEST_SOURCE_URL and POWERSYNC_TEST_JWT_K to run the contract suite against it', () => {});
});
