import { MongoClient, type Db } from 'mongodb';
import type { Sample } from '../metrics/index.js';
import { describeError, UnavailableNotes, type Probe } from './probe.js';

/** The bucket storage collections of a PowerSync MongoDB storage whose sizes are sampled. */
export const MONGODB_BUCKET_COLLECTIONS = ['bucket_data', 'current_data', 'bucket_parameters'] as const;

/** What one reading of a MongoDB storage returned (the commands' replies, reduced to what is used). */
export interface MongoReading {
  /** `dbStats` (scale 1). */
  dbStats: {
    dataSize?: number;
    storageSize?: number;
    indexSize?: number;
    objects?: number;
    totalSize?: number;
  };
  /** `$collStats: {storageStats}` per bucket storage collection present. */
  collections: Array<{
    name: string;
    size?: number;
    storageSize?: number;
    totalIndexSize?: number;
    count?: number;
  }>;
  /** The oplog (replica sets only): its configured size, used bytes and first/last entry times (s). */
  oplog?: { maxSize?: number; size?: number; firstTs?: number; lastTs?: number };
}

/**
 * Turns a reading into samples: `mongodb_database_bytes` (dbStats storageSize + indexSize — the disk the
 * database takes), `mongodb_data_bytes`, `mongodb_index_bytes`, `mongodb_objects`; per bucket collection
 * `mongodb_collection_bytes` (`collection` tag); and for a replica set `mongodb_oplog_bytes`,
 * `mongodb_oplog_max_bytes` and `mongodb_oplog_window_seconds` (last − first entry).
 */
export function mongoSamples(reading: MongoReading, time: number, database: string): Sample[] {
  const samples: Sample[] = [];
  const add = (metric: string, value: number | undefined, tags: Record<string, string> = {}) => {
    if (value !== undefined && Number.isFinite(value))
      samples.push({ metric, value, time, tags: { database, ...tags } });
  };
  const s = reading.dbStats;
  add('mongodb_database_bytes', s.totalSize ?? (s.storageSize ?? 0) + (s.indexSize ?? 0));
  add('mongodb_data_bytes', s.dataSize);
  add('mongodb_index_bytes', s.indexSize);
  add('mongodb_objects', s.objects);
  for (const c of reading.collections)
    add('mongodb_collection_bytes', (c.storageSize ?? 0) + (c.totalIndexSize ?? 0), { collection: c.name });
  const o = reading.oplog;
  if (o) {
    add('mongodb_oplog_bytes', o.size);
    add('mongodb_oplog_max_bytes', o.maxSize);
    if (o.firstTs !== undefined && o.lastTs !== undefined)
      add('mongodb_oplog_window_seconds', o.lastTs - o.firstTs);
  }
  return samples;
}

/**
 * Bucket storage in MongoDB (the usual PowerSync storage), read with the `mongodb` driver: database and
 * collection sizes, document counts and, on a replica set, the oplog's size and time window. Blind (with a
 * note) where a command is not allowed; never throws.
 */
export class MongoDbProbe implements Probe {
  readonly name: string;
  private readonly notes = new UnavailableNotes();
  private client: MongoClient | undefined;

  constructor(
    private readonly url: string,
    private readonly options: { label?: string; timeoutMs?: number } = {},
  ) {
    this.name = `mongodb ${options.label ?? 'storage'}`;
  }

  async sample(time: number): Promise<Sample[]> {
    try {
      this.client ??= new MongoClient(this.url, { serverSelectionTimeoutMS: this.options.timeoutMs ?? 2000 });
      const db = this.client.db();
      return mongoSamples(await this.read(db), time, this.options.label ?? 'storage');
    } catch (error) {
      this.notes.add('read', `${this.name}: ${describeError(error)}`);
      return [];
    }
  }

  private async read(db: Db): Promise<MongoReading> {
    const dbStats = (await db.command({ dbStats: 1, scale: 1 })) as MongoReading['dbStats'];
    const present = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
    const collections: MongoReading['collections'] = [];
    for (const name of MONGODB_BUCKET_COLLECTIONS) {
      if (!present.has(name)) continue;
      const [stats] = await db
        .collection(name)
        .aggregate([{ $collStats: { storageStats: {} } }])
        .toArray();
      const storage = (stats as { storageStats?: Record<string, number> } | undefined)?.storageStats ?? {};
      collections.push({
        name,
        size: storage.size,
        storageSize: storage.storageSize,
        totalIndexSize: storage.totalIndexSize,
        count: storage.count,
      });
    }
    return { dbStats, collections, oplog: await this.oplog() };
  }

  /** The oplog's size and window; undefined on a standalone server or without access to `local`. */
  private async oplog(): Promise<MongoReading['oplog']> {
    try {
      const local = this.client!.db('local');
      const [stats] = await local
        .collection('oplog.rs')
        .aggregate([{ $collStats: { storageStats: {} } }])
        .toArray();
      const storage = (stats as { storageStats?: { size?: number; maxSize?: number } } | undefined)
        ?.storageStats;
      const first = await local
        .collection('oplog.rs')
        .find({}, { sort: { $natural: 1 }, limit: 1, projection: { ts: 1 } })
        .toArray();
      const last = await local
        .collection('oplog.rs')
        .find({}, { sort: { $natural: -1 }, limit: 1, projection: { ts: 1 } })
        .toArray();
      const seconds = (doc: unknown) =>
        (doc as { ts?: { getHighBits?: () => number } } | undefined)?.ts?.getHighBits?.();
      return {
        size: storage?.size,
        maxSize: storage?.maxSize,
        firstTs: seconds(first[0]),
        lastTs: seconds(last[0]),
      };
    } catch (error) {
      this.notes.add(
        'oplog',
        `${this.name}: no oplog figures (${describeError(error)}); not a replica set, or no access to local`,
      );
      return undefined;
    }
  }

  unavailable(): string[] {
    return this.notes.list();
  }

  async close(): Promise<void> {
    await this.client?.close().catch(() => undefined);
    this.client = undefined;
  }
}

/** Connects and pings once: for checking a storage URL before a run. Throws with the driver's reason. */
export async function pingMongoDb(url: string, timeoutMs = 5000): Promise<void> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: timeoutMs });
  try {
    await client.connect();
    await client.db().command({ ping: 1 });
  } finally {
    await client.close().catch(() => undefined);
  }
}
