import { SignJWT } from 'jose';
import { afterAll, beforeAll } from 'vitest';
import { parseServiceConfig } from '../../src/service/config/index.js';
import { silentLogger } from '../../src/service/logging/index.js';
import { startService, type RunningService } from '../../src/service/runner/index.js';
import { registerTargetTests } from './contract/contract-tests.js';
import type { SyncTarget } from './contract/sync-target.js';
import {
  createReplicationDatabases,
  serviceConfigYaml,
  waitForReplication,
} from '../support/replication-fixture.js';
import pg from 'pg';

const SECRET_B64URL = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA';

let db: Awaited<ReturnType<typeof createReplicationDatabases>>;
let service: RunningService;
let storage: pg.Pool;
let target: SyncTarget;

beforeAll(async () => {
  db = await createReplicationDatabases('contract');
  await db.source.query(`
    INSERT INTO lists VALUES ('l1', 'Groceries');
    INSERT INTO todos (id, owner_id, title) VALUES ('t-alice-1', 'alice', 'a'), ('t-bob-1', 'bob', 'b'),
      ('t-carol-1', 'carol', 'c');
  `);
  const yaml = serviceConfigYaml(db.sourceUrl, db.storageUrl).replace(
    'port: 0',
    'port: 0\napi:\n  parameters:\n    max_concurrent_connections: 3',
  );
  service = await startService('unified', parseServiceConfig(yaml), { log: silentLogger, env: {} });
  storage = new pg.Pool({ connectionString: db.storageUrl, max: 1 });
  await waitForReplication(db.source, storage);
  const secret = Buffer.from(SECRET_B64URL, 'base64url');
  target = {
    endpoint: `http://127.0.0.1:${service.port}`,
    smallConnectionLimit: true,
    bucket: (name) => `1#${name}`,
    async openConnections() {
      const metric = await service.metrics.registry
        .getSingleMetric('powersync_concurrent_connections')
        ?.get();
      return metric?.values[0]?.value ?? 0;
    },
    async sql(text, values) {
      await db.source.query(text, values);
    },
    async token(sub, options = {}) {
      const now = Math.floor(Date.now() / 1000) + (options.iatOffsetSeconds ?? 0);
      return new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid: 'test' })
        .setSubject(sub)
        .setIssuedAt(now)
        .setExpirationTime(now + (options.lifetimeSeconds ?? 3600))
        .setAudience(options.audience ?? 'syncscale')
        .sign(secret);
    },
  };
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await storage?.end();
  await db?.drop();
});

registerTargetTests('reference service', () => target);
