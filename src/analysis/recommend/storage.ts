import type { RunFits } from '../fits/fit-run.js';
import { peakConnections, type CapacityProfile } from './profile.js';
import { ceilTo, fromFit, quantity, type Quantity } from './quantity.js';

const MB = 1024 * 1024;
/** Stored twice per row (bucket_data and current_data): extra row bytes beyond the run's cost twice. */
const COPIES_PER_ROW = 2;
export const MODELLED = 'modelled, not measured';

export interface StorageRecommendation {
  bytesPerRow: Quantity;
  sizeMb: Quantity;
  growthMbPerDay: Quantity;
  workingSetMb: Quantity;
  postgres: { memoryMb: Quantity; cpu: Quantity; diskMb: Quantity };
  mongodb: {
    label: string;
    nodes: number;
    memoryMbPerNode: Quantity;
    wiredTigerCacheMb: Quantity;
    diskMbPerNode: Quantity;
    /** Oplog size for the profile's peak write rate and its oplog window (measured on MongoDB only). */
    oplogMb: Quantity;
  };
}

/** The label of the MongoDB figures: measured on the run's MongoDB storage, or modelled from Postgres. */
export const MEASURED_ON_MONGODB = 'measured on MongoDB storage';

export function recommendStorage(
  profile: CapacityProfile,
  fits: RunFits,
  runRowBytes: number | undefined,
  engine: 'mongodb' | 'postgres' | undefined = 'postgres',
): StorageRecommendation {
  const onMongo = engine === 'mongodb';
  const mongoEvidence = (fit: RunFits['storagePerRow']) =>
    onMongo ? fromFit(fit) : { source: 'model' as const, modelled: true };
  const mongoLabel = onMongo ? MEASURED_ON_MONGODB : MODELLED;
  const perRowFit = fits.storagePerRow.estimates[0];
  const perRow = perRowFit
    ? perRowFit.value +
      Math.max(0, profile.data.bytes_per_row - (runRowBytes ?? profile.data.bytes_per_row)) * COPIES_PER_ROW
    : null;
  const rows = profile.data.users * profile.data.rows_per_user;
  const perOp = fits.storagePerOp.refused ? null : (fits.storagePerOp.estimates[0]?.value ?? null);
  const dailyOps = profile.writes.average_tx_per_second * profile.writes.rows_per_transaction * 86_400;
  const growthRows = profile.data.growth_rows_per_user_per_day * profile.data.users;
  const growth = perOp === null || perRow === null ? null : (dailyOps * perOp + growthRows * perRow) / MB;
  const size = perRow === null ? null : (rows * perRow) / MB;
  const online = Math.min(profile.data.users, peakConnections(profile));
  const workingSet =
    perRow === null ? null : (online * profile.data.rows_per_user * perRow) / MB + (growth ?? 0) / 24;
  const rowAssumption = `bytes per row measured at ${runRowBytes ?? '?'}-byte rows; each extra byte of the profile's ${profile.data.bytes_per_row}-byte rows counted ${COPIES_PER_ROW}× (bucket_data and current_data)`;
  const sizeQ = quantity(size, 'MB', fromFit(fits.storagePerRow), [
    rowAssumption,
    'before indexes bloat and vacuum; after a compaction',
  ]);
  const wsQ = quantity(workingSet, 'MB', { source: 'model', modelled: true }, [
    `the buckets of the users online at peak (${online}) plus one hour of new operations`,
  ]);
  const disk = growth === null || size === null ? null : ceilTo((size + 30 * growth) * 2, 1024);
  const mongoRam = workingSet === null ? null : Math.max(2048, ceilTo(2 * workingSet + 1024, 512));
  return {
    bytesPerRow: quantity(perRow, 'B/row', fromFit(fits.storagePerRow), [rowAssumption]),
    sizeMb: sizeQ,
    growthMbPerDay: quantity(
      growth,
      'MB/day',
      fromFit(fits.storagePerOp),
      [
        'operations before compaction: average tx/s × rows/tx × 86,400 × bytes per operation, plus new rows per day × bytes per row',
      ],
      fits.storagePerOp.refused ? { note: fits.storagePerOp.refused } : {},
    ),
    workingSetMb: wsQ,
    postgres: {
      memoryMb: quantity(
        workingSet === null ? null : Math.max(2048, ceilTo(workingSet * 4, 512)),
        'MB',
        { source: 'model', modelled: true },
        ['shared_buffers at 25 % of memory holds the working set; at least 2 GB as the guide suggests'],
      ),
      cpu: quantity(null, 'cores', { source: 'model' }, [], {
        note: 'not measured: the run does not sample the storage Postgres process CPU',
      }),
      diskMb: quantity(disk, 'MB', { source: 'model', modelled: true }, [
        'size + 30 days of growth, ×2 for vacuum and indexes',
      ]),
    },
    mongodb: {
      label: mongoLabel,
      nodes: 3,
      memoryMbPerNode: quantity(mongoRam, 'MB', mongoEvidence(fits.storagePerRow), [
        mongoLabel,
        'WiredTiger cache ≈ 50 % × (RAM − 1 GB) must hold the working set; at least 2 GB per node',
        'a replica set of 3 (primary and two secondaries): one member can fail or be upgraded at a time',
      ]),
      wiredTigerCacheMb: quantity(
        mongoRam === null ? null : 0.5 * (mongoRam - 1024),
        'MB',
        mongoEvidence(fits.storagePerRow),
        [mongoLabel],
      ),
      diskMbPerNode: quantity(disk, 'MB', mongoEvidence(fits.storagePerOp), [
        mongoLabel,
        onMongo
          ? 'bucket storage bytes as measured on MongoDB (dbStats storage + indexes), + 30 days of growth, ×2'
          : 'bucket storage bytes as measured on Postgres; MongoDB with compression may differ either way',
      ]),
      oplogMb: oplogSize(profile, fits, onMongo),
    },
  };
}

/**
 * The oplog a member needs to stay in its replication window at the profile's peak write rate: peak
 * replicated rows per second × measured oplog bytes per row × the window. Measured on MongoDB only.
 */
function oplogSize(profile: CapacityProfile, fits: RunFits, onMongo: boolean): Quantity {
  const hours = profile.storage.oplog_window_hours;
  const assumptions = [
    `peak ${profile.writes.peak_tx_per_second} tx/s × ${profile.writes.rows_per_transaction} rows/tx sustained for the whole ${hours} h oplog window (an upper bound: the average rate needs less)`,
  ];
  if (!onMongo) {
    return quantity(null, 'MB', { source: 'model', modelled: true }, assumptions, {
      note: 'no MongoDB storage observed: run against a MongoDB-backed deployment (storage.mongodb_url) to measure the oplog',
    });
  }
  const fit = fits.oplogPerOp;
  const perOp = fit.refused ? null : (fit.estimates[0]?.value ?? null);
  const opsInWindow = profile.writes.peak_tx_per_second * profile.writes.rows_per_transaction * hours * 3600;
  const size = perOp === null ? null : (opsInWindow * perOp) / MB;
  const interval = fit.estimates[0]?.interval;
  return quantity(size === null ? null : ceilTo(size, 64), 'MB', fromFit(fit), assumptions, {
    ...(interval ? { low: (opsInWindow * interval[0]) / MB, high: (opsInWindow * interval[1]) / MB } : {}),
    ...(fit.refused ? { note: fit.refused } : {}),
  });
}
