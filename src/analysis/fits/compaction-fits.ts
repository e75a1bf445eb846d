import type { Fit } from './fit-types.js';
import type { CompactionRecord } from '../levels/levels.js';
import { fitLine } from './linear-fit.js';
import type { Point } from './stats.js';

const OPS = { name: 'operations examined', unit: 'op' };

/**
 * Compaction duration against operations examined. With three or more compactions of distinct sizes a
 * Theil–Sen line; with fewer a throughput (ops examined per second) from the mean, with n said plainly.
 */
export function fitCompactionDuration(records: readonly CompactionRecord[], invalidReason?: string): Fit {
  const points: Point[] = records.map((r) => ({ x: r.result.opsExamined, y: r.result.durationMs / 1000 }));
  const options = {
    kind: 'compaction-duration' as const,
    description: 'compaction duration against operations examined',
    x: OPS,
    y: { name: 'duration', unit: 's' },
    slopeName: 'seconds per operation examined',
    interceptName: 'fixed compaction time',
    invalidReason,
  };
  const estimated = records.flatMap((r) => (r.estimatedOps ? [`${r.phase}: ${r.estimatedOps}`] : []));
  if (new Set(points.map((p) => p.x)).size >= 3) {
    const line = fitLine(points, options);
    return { ...line, notes: [...line.notes, ...estimated] };
  }
  const base: Fit = {
    kind: 'compaction-duration',
    description: options.description,
    x: OPS,
    y: options.y,
    n: points.length,
    levels: new Set(points.map((p) => p.x)).size,
    estimates: [],
    goodness: {},
    points,
    notes: [],
    predict: () => null,
  };
  if (invalidReason) return { ...base, refused: `the run is invalid: ${invalidReason}` };
  const usable = points.filter((p) => p.x > 0 && p.y > 0);
  if (usable.length === 0) return { ...base, refused: 'no compaction with a result in the run' };
  const ops = usable.reduce((a, p) => a + p.x, 0);
  const seconds = usable.reduce((a, p) => a + p.y, 0);
  const rate = ops / seconds;
  base.estimates.push({ name: 'compaction throughput', value: rate, unit: 'op/s' });
  base.notes.push(
    `n=${usable.length}: a throughput from ${usable.length === 1 ? 'a single compaction' : 'two compactions'}, no interval and no check of linearity; assumes duration grows in proportion to operations examined`,
  );
  base.notes.push(...estimated);
  base.predict = (x) => ({ value: x / rate, low: Number.NaN, high: Number.NaN });
  return base;
}

/**
 * Peak compaction memory against distinct rows tracked. The run records rows tracked and the memory
 * bound, not the compaction's own memory, so this reports what was measured and refuses the fit.
 */
export function fitCompactionMemory(records: readonly CompactionRecord[], invalidReason?: string): Fit {
  const last = records[records.length - 1];
  const fit: Fit = {
    kind: 'compaction-memory',
    description: 'compaction peak memory against distinct rows tracked',
    x: { name: 'distinct rows tracked', unit: 'row' },
    y: { name: 'peak memory', unit: 'MB' },
    n: records.length,
    levels: new Set(records.map((r) => r.result.trackedRowsPeak)).size,
    estimates: [],
    goodness: {},
    points: [],
    notes: [],
    predict: () => null,
    refused: invalidReason
      ? `the run is invalid: ${invalidReason}`
      : 'compaction peak memory is not measured by the run (only rows tracked and the memory bound are)',
  };
  if (!invalidReason && last?.result.peakRssMb !== undefined) {
    // A measured value, not a fit: the run compacts once, so this is one point (n = 1), stated as such.
    fit.refused = undefined;
    fit.notes.push(
      `measured: peak RSS of the compact process, n = ${records.length}; not a fit against rows tracked`,
    );
    fit.estimates.push({ name: 'peak RSS', value: last.result.peakRssMb, unit: 'MB' });
  }
  if (last?.result.trackedRowsPeak !== undefined)
    fit.estimates.push({ name: 'rows tracked at peak', value: last.result.trackedRowsPeak, unit: 'row' });
  if (last?.result.memoryLimitMB !== undefined)
    fit.estimates.push({ name: 'compaction memory bound', value: last.result.memoryLimitMB, unit: 'MB' });
  return fit;
}
