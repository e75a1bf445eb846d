import type { Fit } from './fit-types.js';
import type { WriteLevel } from '../levels/levels.js';
import { fitLine, formatNumber } from './linear-fit.js';
import type { Point } from './stats.js';

const RATE = { name: 'write rate', unit: 'tx/s' };

/** Replicator CPU (cores) against the achieved write rate. */
export function fitReplicationCpu(levels: readonly WriteLevel[], invalidReason?: string): Fit {
  const points: Point[] = levels
    .filter((l) => l.replicatorCpuCores !== undefined)
    .map((l) => ({ x: l.achievedRate, y: l.replicatorCpuCores! }));
  return fitLine(points, {
    kind: 'replication-cpu',
    description: 'replicator CPU (cores, averaged over the phase) against the achieved write rate',
    x: RATE,
    y: { name: 'CPU', unit: 'cores' },
    slopeName: 'replicator CPU per tx/s',
    interceptName: 'replicator CPU at no writes',
    invalidReason,
  });
}

/** Replicator RSS against the achieved write rate. */
export function fitReplicationMemory(levels: readonly WriteLevel[], invalidReason?: string): Fit {
  const points: Point[] = levels
    .filter((l) => l.replicatorRssMb !== undefined)
    .map((l) => ({ x: l.achievedRate, y: l.replicatorRssMb! }));
  return fitLine(points, {
    kind: 'replication-memory',
    description: 'replicator RSS against the achieved write rate',
    x: RATE,
    y: { name: 'RSS', unit: 'MB' },
    slopeName: 'replicator RSS per tx/s',
    interceptName: 'replicator RSS at no writes',
    invalidReason,
  });
}

/** A level is sustained while lag and end-to-end latency stay flat relative to the lowest rate. */
export const FLAT = {
  /** Lag above this many seconds, and above `lagRatio` × the lowest level's, is not flat. */
  lagSeconds: 1,
  lagRatio: 3,
  /** e2e p99 above `e2eRatio` × the lowest level's plus `e2eSlackMs` is not flat. */
  e2eRatio: 3,
  e2eSlackMs: 100,
  /** Achieved below this share of the target: the writers (or the source) could not keep up. */
  achievedShare: 0.95,
} as const;

export function notFlatReason(level: WriteLevel, base: WriteLevel): string | undefined {
  if (level.achievedRate < FLAT.achievedShare * level.targetRate)
    return `achieved ${formatNumber(level.achievedRate)} of ${level.targetRate} tx/s`;
  const lag = level.lagMaxSeconds;
  if (lag !== undefined && lag > FLAT.lagSeconds && lag > FLAT.lagRatio * (base.lagMaxSeconds ?? 0))
    return `replication lag reached ${formatNumber(lag)} s`;
  const e2e = level.e2eP99Ms;
  if (
    e2e !== undefined &&
    base.e2eP99Ms !== undefined &&
    e2e > FLAT.e2eRatio * base.e2eP99Ms + FLAT.e2eSlackMs
  )
    return `e2e p99 ${formatNumber(e2e)} ms against ${formatNumber(base.e2eP99Ms)} ms at the lowest rate`;
  return undefined;
}

/**
 * The highest write rate one replicator sustains: the last level before lag or e2e latency stops being
 * flat. If every level is flat, the answer is a lower bound (≥ the highest measured rate).
 */
export function fitReplicationMaxRate(levels: readonly WriteLevel[], invalidReason?: string): Fit {
  const sorted = [...levels].sort((a, b) => a.targetRate - b.targetRate);
  const points: Point[] = sorted.map((l) => ({ x: l.targetRate, y: l.lagMaxSeconds ?? Number.NaN }));
  const base: Fit = {
    kind: 'replication-max-rate',
    description: 'highest write rate one replicator sustains with flat replication lag and e2e latency',
    x: RATE,
    y: { name: 'max replication lag', unit: 's' },
    n: sorted.length,
    levels: new Set(sorted.map((l) => l.targetRate)).size,
    estimates: [],
    goodness: {},
    points,
    notes: [
      `flat: achieved ≥ ${FLAT.achievedShare} × target, lag ≤ ${FLAT.lagSeconds} s (or ≤ ${FLAT.lagRatio}× the lowest level), e2e p99 ≤ ${FLAT.e2eRatio}× the lowest level + ${FLAT.e2eSlackMs} ms`,
    ],
    predict: () => null,
  };
  if (invalidReason) return { ...base, refused: `the run is invalid: ${invalidReason}` };
  const first = sorted[0];
  if (!first) return { ...base, refused: 'no write-rate level in the run' };
  let sustained: WriteLevel | undefined;
  for (const level of sorted) {
    const reason = notFlatReason(level, first);
    if (reason) {
      base.notes.push(`not flat at ${level.targetRate} tx/s (${level.phase}): ${reason}`);
      break;
    }
    sustained = level;
  }
  if (!sustained)
    return { ...base, refused: `even the lowest rate (${first.targetRate} tx/s) was not sustained` };
  const lowerBound = sustained === sorted[sorted.length - 1];
  if (lowerBound)
    base.notes.push(
      `every measured level was flat: ≥ ${sustained.achievedRate} tx/s is a lower bound, not the limit`,
    );
  base.estimates.push({
    name: 'max sustained write rate',
    value: sustained.achievedRate,
    unit: 'tx/s',
    lowerBound,
  });
  base.estimates.push({
    name: 'max sustained row rate',
    value: sustained.rowsPerSecond,
    unit: 'rows/s',
    lowerBound,
  });
  return base;
}
