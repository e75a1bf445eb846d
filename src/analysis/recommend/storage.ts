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
  };
}

export function recommendStorage(
  profile: CapacityProfile,
  fits: RunFits,
  runRowBytes: number | undefined,
): StorageRecommendation {
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
      label: MODELLED,
      nodes: 3,
      memoryMbPerNode: quantity(mongoRam, 'MB', { source: 'model', modelled: true }, [
        MODELLED,
        'WiredTiger cache ≈ 50 % × (RAM − 1 GB) must hold the working set measured on Postgres; at least 2 GB per node',
      ]),
      wiredTigerCacheMb: quantity(
        mongoRam === null ? null : 0.5 * (mongoRam - 1024),
        'MB',
        { source: 'model', modelled: true },
        [MODELLED],
      ),
      diskMbPerNode: quantity(disk, 'MB', { source: 'model', modelled: true }, [
        MODELLED,
        'bucket storage bytes as measured on Postgres; MongoDB with compression may differ either way',
      ]),
    },
  };
}
