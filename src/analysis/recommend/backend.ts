import type { RunFits } from '../fits/fit-run.js';
import type { Fit } from '../fits/fit-types.js';
import type { WriteLevel } from '../levels/levels.js';
import { formatNumber } from '../fits/linear-fit.js';
import { compactionWindowMs, type CapacityProfile } from './profile.js';
import { fromFit, quantity, type Quantity } from './quantity.js';

export interface ReplicationRecommendation {
  designTxPerSecond: number;
  cpuCores: Quantity;
  memoryMb: Quantity;
  /** A shape on offer that carries it at the target utilisation, if any. */
  shape: { cpu: number; memoryMb: number } | null;
  maxSustainedTxPerSecond: Quantity;
  /** max sustained ÷ design rate. */
  headroom: Quantity;
}

function predicted(fit: Fit, x: number, unit: string): Quantity {
  const p = fit.predict(x);
  return p
    ? quantity(p.value, unit, fromFit(fit), [], { low: p.low, high: p.high })
    : quantity(null, unit, fromFit(fit), [], { note: fit.refused });
}

export function recommendReplication(
  profile: CapacityProfile,
  fits: RunFits,
  writes: readonly WriteLevel[],
): ReplicationRecommendation {
  const design = profile.writes.peak_tx_per_second * (1 + profile.utilisation.headroom);
  const cpu = predicted(fits.replicationCpu, design, 'cores');
  let memory = predicted(fits.replicationMemory, design, 'MB');
  if (memory.value === null && writes.some((w) => w.replicatorRssMb !== undefined)) {
    const peak = Math.max(...writes.map((w) => w.replicatorRssMb ?? 0));
    const top = Math.max(...writes.map((w) => w.achievedRate));
    memory = quantity(peak, 'MB', { ...fromFit(fits.replicationMemory), source: 'measured' }, [
      `RSS did not grow measurably with the write rate; the highest RSS measured up to ${top} tx/s is used`,
      ...(design > top
        ? [`extrapolated: ${formatNumber(design)} tx/s is beyond the measured ${top} tx/s`]
        : []),
    ]);
  }
  const u = profile.utilisation.target;
  const needCpu = cpu.high ?? cpu.value;
  const needMem = memory.high ?? memory.value;
  const shape =
    needCpu === null || needMem === null
      ? null
      : ([...profile.containers.shapes]
          .sort((a, b) => a.memory_mb - b.memory_mb || a.cpu - b.cpu)
          .filter((s) => s.cpu * u >= needCpu && s.memory_mb * u >= needMem)
          .map((s) => ({ cpu: s.cpu, memoryMb: s.memory_mb }))[0] ?? null);
  const max = fits.replicationMaxRate.estimates[0];
  const maxQ = max
    ? quantity(max.value, 'tx/s', fromFit(fits.replicationMaxRate), fits.replicationMaxRate.notes, {
        lowerBound: max.lowerBound,
      })
    : quantity(null, 'tx/s', fromFit(fits.replicationMaxRate), [], { note: fits.replicationMaxRate.refused });
  return {
    designTxPerSecond: design,
    cpuCores: cpu,
    memoryMb: memory,
    shape,
    maxSustainedTxPerSecond: maxQ,
    headroom: quantity(
      max ? max.value / design : null,
      'ratio',
      { source: 'model', fit: 'replication-max-rate', n: fits.replicationMaxRate.n },
      [`max sustained rate ÷ design rate ${formatNumber(design)} tx/s (peak × (1 + headroom))`],
      { lowerBound: max?.lowerBound },
    ),
  };
}

export interface CompactionRecommendation {
  opsExamined: Quantity;
  durationSeconds: Quantity;
  windowSeconds: number;
  fitsWindow: boolean | null;
  peakMemoryMb: Quantity;
}

export function recommendCompaction(profile: CapacityProfile, fits: RunFits): CompactionRecommendation {
  const rows = profile.data.users * profile.data.rows_per_user;
  const dailyOps = profile.writes.average_tx_per_second * profile.writes.rows_per_transaction * 86_400;
  const ops = rows + dailyOps;
  const p = fits.compactionDuration.predict(ops);
  const duration = p
    ? quantity(p.value, 's', fromFit(fits.compactionDuration), fits.compactionDuration.notes, {
        ...(Number.isFinite(p.low) ? { low: p.low, high: p.high } : {}),
      })
    : quantity(null, 's', fromFit(fits.compactionDuration), [], { note: fits.compactionDuration.refused });
  const windowSeconds = compactionWindowMs(profile) / 1000;
  const bound = fits.compactionMemory.estimates.find((e) => e.name === 'compaction memory bound');
  const measuredPeak = fits.compactionMemory.estimates.find((e) => e.name === 'peak RSS');
  return {
    opsExamined: quantity(ops, 'op', { source: 'model' }, [
      `one operation per row per bucket: ${rows} rows (users × rows_per_user) + one day of writes ${Math.round(dailyOps)} (average tx/s × rows/tx × 86,400), compacted daily`,
    ]),
    durationSeconds: duration,
    windowSeconds,
    fitsWindow: duration.value === null ? null : (duration.high ?? duration.value) <= windowSeconds,
    peakMemoryMb: measuredPeak
      ? quantity(measuredPeak.value, 'MB', fromFit(fits.compactionMemory), [
          'peak RSS of the compact process in the run, on the run’s data; a larger profile tracks more rows, up to the memory bound',
          ...(bound ? [`the compact job is bounded by its memory limit (${bound.value} MB in the run)`] : []),
        ])
      : quantity(null, 'MB', fromFit(fits.compactionMemory), [], {
          note: `not measured: ${fits.compactionMemory.refused ?? ''}${bound ? `; the compact job is bounded by its memory limit (${bound.value} MB in the run)` : ''}`,
        }),
  };
}
