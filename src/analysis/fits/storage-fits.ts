import type { Fit } from './fit-types.js';
import type { WriteLevel } from '../levels/levels.js';
import { fitLine } from './linear-fit.js';
import type { Point } from './stats.js';

/** Storage database growth per row replicated (before compaction), across write levels. */
export function fitStoragePerOp(levels: readonly WriteLevel[], invalidReason?: string): Fit {
  const points: Point[] = levels
    .filter((l) => l.rowsReplicated !== undefined && l.databaseBytes !== undefined)
    .map((l) => ({ x: l.rowsReplicated!, y: l.databaseBytes! }));
  return fitLine(points, {
    kind: 'storage-per-op',
    description:
      'storage database size against rows replicated (each replicated row writes one operation per bucket)',
    x: { name: 'rows replicated', unit: 'op' },
    y: { name: 'storage database size', unit: 'B' },
    slopeName: 'storage bytes per operation',
    interceptName: 'storage size before the writes',
    invalidReason,
  });
}

/**
 * MongoDB oplog bytes per row replicated, across write levels (the replication window the oplog gives
 * at a write rate follows from it). Levels after the capped oplog filled are left out: it stops growing.
 */
export function fitOplogPerOp(levels: readonly WriteLevel[], invalidReason?: string): Fit {
  const points: Point[] = levels
    .filter(
      (l) =>
        l.rowsReplicated !== undefined &&
        l.oplogBytes !== undefined &&
        (l.oplogMaxBytes === undefined || l.oplogBytes < 0.95 * l.oplogMaxBytes),
    )
    .map((l) => ({ x: l.rowsReplicated!, y: l.oplogBytes! }));
  return fitLine(points, {
    kind: 'oplog-per-op',
    description: 'MongoDB oplog bytes used against rows replicated (storage writes of each replicated row)',
    x: { name: 'rows replicated', unit: 'op' },
    y: { name: 'oplog bytes', unit: 'B' },
    slopeName: 'oplog bytes per operation',
    interceptName: 'oplog before the writes',
    invalidReason,
  });
}

/** Bucket-storage bytes per source row after the initial snapshot: a ratio, n=1. */
export function fitStoragePerRow(
  initial: { bytes: number; rows: number } | undefined,
  rowSizeBytes: number | undefined,
  invalidReason?: string,
): Fit {
  const fit: Fit = {
    kind: 'storage-per-row',
    description:
      'bucket storage (bucket_data + current_data + bucket_parameters) per source row after the snapshot',
    x: { name: 'source rows', unit: 'row' },
    y: { name: 'bucket storage', unit: 'B' },
    n: initial ? 1 : 0,
    levels: initial ? 1 : 0,
    estimates: [],
    goodness: {},
    points: initial ? [{ x: initial.rows, y: initial.bytes }] : [],
    notes: [`n=1: a ratio from the snapshot of the run's dataset (rows of ${rowSizeBytes ?? '?'} bytes)`],
    predict: () => null,
  };
  if (invalidReason) return { ...fit, refused: `the run is invalid: ${invalidReason}` };
  if (!initial) return { ...fit, refused: 'no table sizes or dataset in the run' };
  const perRow = initial.bytes / initial.rows;
  fit.estimates.push({ name: 'bucket storage per row', value: perRow, unit: 'B/row' });
  if (rowSizeBytes) fit.estimates.push({ name: 'run row size', value: rowSizeBytes, unit: 'B' });
  fit.predict = (rows) => ({ value: rows * perRow, low: Number.NaN, high: Number.NaN });
  return fit;
}
