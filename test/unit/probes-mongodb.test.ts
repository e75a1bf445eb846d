import { describe, expect, it } from 'vitest';
import { Timestamp } from 'mongodb';
import { mongoSamples, type MongoReading } from '../../src/probes/index.js';

/** Replies of dbStats, $collStats and the oplog as a MongoDB 7 replica set answers them (recorded shapes). */
const READING: MongoReading = {
  dbStats: {
    dataSize: 52_428_800,
    storageSize: 20_971_520,
    indexSize: 8_388_608,
    objects: 120_000,
    totalSize: 29_360_128,
  },
  collections: [
    {
      name: 'bucket_data',
      size: 40_000_000,
      storageSize: 15_000_000,
      totalIndexSize: 6_000_000,
      count: 100_000,
    },
    {
      name: 'current_data',
      size: 10_000_000,
      storageSize: 5_000_000,
      totalIndexSize: 2_000_000,
      count: 19_000,
    },
  ],
  oplog: { size: 104_857_600, maxSize: 1_073_741_824, firstTs: 1_780_000_000, lastTs: 1_780_086_400 },
};

describe('MongoDB storage probe', () => {
  it('turns dbStats, collection stats and the oplog into storage samples', () => {
    const samples = mongoSamples(READING, 1000, 'storage');
    const value = (metric: string, tags: Record<string, string> = {}) =>
      samples.find((s) => s.metric === metric && Object.entries(tags).every(([k, v]) => s.tags?.[k] === v))
        ?.value;
    expect(value('mongodb_database_bytes')).toBe(29_360_128);
    expect(value('mongodb_data_bytes')).toBe(52_428_800);
    expect(value('mongodb_objects')).toBe(120_000);
    expect(value('mongodb_collection_bytes', { collection: 'bucket_data' })).toBe(21_000_000);
    expect(value('mongodb_oplog_window_seconds')).toBe(86_400);
    expect(value('mongodb_oplog_max_bytes')).toBe(1_073_741_824);
    expect(samples.every((s) => s.tags?.database === 'storage' && s.time === 1000)).toBe(true);
  });

  it('a standalone server (no oplog) and an older dbStats without totalSize still give the database size', () => {
    const samples = mongoSamples(
      { dbStats: { storageSize: 100, indexSize: 20 }, collections: [] },
      1,
      'storage',
    );
    expect(samples.find((s) => s.metric === 'mongodb_database_bytes')?.value).toBe(120);
    expect(samples.some((s) => s.metric.startsWith('mongodb_oplog'))).toBe(false);
  });

  it('reads oplog seconds from BSON timestamps', () => {
    expect(new Timestamp({ t: 1_780_000_000, i: 1 }).getHighBits()).toBe(1_780_000_000);
  });
});
