import { describe, expect, it } from 'vitest';
import { MongoDbProbe, pingMongoDb } from '../../src/probes/index.js';

const URL = process.env.SYNCSCALE_TEST_MONGODB_URL;

/**
 * Against a real MongoDB when SYNCSCALE_TEST_MONGODB_URL is set (e.g. mongodb://127.0.0.1:27017/powersync);
 * no MongoDB server exists on the development machines, so this is skipped there and says so.
 */
describe.skipIf(!URL)('MongoDB storage probe against a real server (SYNCSCALE_TEST_MONGODB_URL)', () => {
  it('pings, then samples the database size', async () => {
    await pingMongoDb(URL!);
    const probe = new MongoDbProbe(URL!, { label: 'storage' });
    try {
      const samples = await probe.sample(Date.now());
      expect(samples.find((s) => s.metric === 'mongodb_database_bytes')!.value).toBeGreaterThanOrEqual(0);
      expect(probe.unavailable().filter((n) => !n.includes('oplog'))).toEqual([]);
    } finally {
      await probe.close();
    }
  });
});

describe.skipIf(!!URL)('MongoDB storage probe (skipped: set SYNCSCALE_TEST_MONGODB_URL to run it)', () => {
  it('an unreachable server is a note, never a throw', async () => {
    const probe = new MongoDbProbe('mongodb://127.0.0.1:1/none', { timeoutMs: 300 });
    expect(await probe.sample(Date.now())).toEqual([]);
    expect(probe.unavailable()[0]).toContain('mongodb storage');
    await probe.close();
  });
});
