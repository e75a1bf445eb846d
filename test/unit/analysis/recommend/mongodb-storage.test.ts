import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fitRun,
  loadProfile,
  parseRunResults,
  recommend,
  type RunResults,
} from '../../../../src/analysis/index.js';
import { mongoSamples } from '../../../../src/probes/index.js';

const ROOT = path.resolve(__dirname, '../../../..');
const PROFILE = loadProfile(path.join(ROOT, 'scenarios/profile-default.yaml'));
const recorded = () =>
  JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/calibration/ref-a/results.json'), 'utf8')) as {
    phases: Array<{
      aggregates: { series: Array<{ metric: string; tags: Record<string, string>; aggregate: unknown }> };
    }>;
  };

/** Oplog bytes per replicated row in the synthetic MongoDB run. */
const OPLOG_PER_OP = 900;

/**
 * The recorded run with its storage observed as MongoDB: the Postgres storage series replaced by what the
 * MongoDB probe samples (`mongoSamples` of a reading per phase): collections sized like the Postgres tables,
 * the database growing as it did, the oplog growing by 900 B per replicated row.
 */
function asMongoRun(oplogMaxBytes = 1e12): RunResults {
  const run = recorded();
  for (const phase of run.phases) {
    const series = phase.aggregates.series;
    const last = (metric: string, tags: Record<string, string>) =>
      (
        series.find((s) => s.metric === metric && Object.entries(tags).every(([k, v]) => s.tags[k] === v))
          ?.aggregate as { last?: number } | undefined
      )?.last ?? 0;
    const rows = last('powersync_rows_replicated_total', { process: 'replicator-0' });
    const reading = {
      dbStats: {
        totalSize: last('pg_database_bytes', { database: 'storage' }),
        dataSize: 1,
        indexSize: 1,
        objects: 1,
      },
      collections: ['bucket_data', 'current_data', 'bucket_parameters'].map((name) => ({
        name,
        storageSize: last('pg_table_bytes', { database: 'storage', table: name }),
        totalIndexSize: 0,
      })),
      oplog: { maxSize: oplogMaxBytes, size: 5_000_000 + rows * OPLOG_PER_OP, firstTs: 0, lastTs: 3600 },
    };
    phase.aggregates.series = [
      ...series.filter((s) => !(s.metric.startsWith('pg_') && s.tags.database === 'storage')),
      ...mongoSamples(reading, 0, 'storage').map((s) => ({
        metric: s.metric,
        tags: s.tags!,
        aggregate: { kind: 'gauge', last: s.value, min: s.value, max: s.value },
      })),
    ];
  }
  return parseRunResults(run);
}

describe('storage sizing from MongoDB measured on the run', () => {
  it('a run on MongoDB storage sizes the replica set from its measurements, with the oplog for the window', () => {
    const run = asMongoRun();
    const fits = fitRun(run);
    expect(fits.oplogPerOp.refused).toBeUndefined();
    expect(fits.oplogPerOp.estimates[0]!.value).toBeCloseTo(OPLOG_PER_OP, 0);
    const mongo = recommend(run, PROFILE).storage.mongodb;
    expect(mongo.label).toBe('measured on MongoDB storage');
    expect(mongo.nodes).toBe(3);
    expect(mongo.diskMbPerNode.evidence).toMatchObject({ source: 'fit', fit: 'storage-per-op' });
    expect(mongo.diskMbPerNode.evidence.modelled).toBeUndefined();
    expect(mongo.memoryMbPerNode.evidence).toMatchObject({ source: 'fit', fit: 'storage-per-row' });
    // Hand-worked: peak tx/s × rows/tx × 24 h × 900 B, in MB, rounded up to 64 MB.
    const w = PROFILE.writes;
    const expected = (w.peak_tx_per_second * w.rows_per_transaction * 24 * 3600 * OPLOG_PER_OP) / 1024 / 1024;
    expect(mongo.oplogMb.value).toBe(Math.ceil(expected / 64) * 64);
    expect(mongo.oplogMb.evidence).toMatchObject({ source: 'fit', fit: 'oplog-per-op' });
    expect(mongo.oplogMb.assumptions.join()).toContain('24 h oplog window');
  });

  it('a longer oplog window asks for a proportionally larger oplog', () => {
    const run = asMongoRun();
    const day = recommend(run, PROFILE).storage.mongodb.oplogMb.value!;
    const week = recommend(run, { ...PROFILE, storage: { oplog_window_hours: 168 } }).storage.mongodb.oplogMb
      .value!;
    expect(week / day).toBeGreaterThan(6.9);
    expect(week / day).toBeLessThan(7.1);
  });

  it('an oplog that filled during the run cannot measure per-op growth: refused, with the reason', () => {
    const fits = fitRun(asMongoRun(5_000_001));
    expect(fits.oplogPerOp.refused).toBeDefined();
    const mongo = recommend(asMongoRun(5_000_001), PROFILE).storage.mongodb;
    expect(mongo.oplogMb.value).toBeNull();
    expect(mongo.oplogMb.note).toBeDefined();
  });

  it('a run on Postgres storage labels the MongoDB figures modelled and measures no oplog', () => {
    const run = parseRunResults(recorded());
    const mongo = recommend(run, PROFILE).storage.mongodb;
    expect(mongo.label).toBe('modelled, not measured');
    expect(mongo.diskMbPerNode.evidence.modelled).toBe(true);
    expect(mongo.oplogMb.value).toBeNull();
    expect(mongo.oplogMb.note).toContain('no MongoDB storage observed');
  });
});
