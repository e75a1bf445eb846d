import { bootstrapForm, fitForm, predictWith, usable, type CpuPoint } from '../fits/api-cpu-model.js';
import { interval95 } from '../fits/stats.js';
import { judgeRatio, type Calibration, type DimensionName, type DimensionRatio } from './ratios.js';

/**
 * The API CPU model a sizing uses, carried by a calibration: CPU = a + b·c + k·c·r (c connections per API
 * process, r the write rate; the `rate` form of api-cpu-model.ts). Each coefficient gets its ratio
 * real/reference from the two runs' fits, with a bootstrap interval from refits on resampled levels. The
 * baseline a is carried as a difference when the reference's is within noise of zero and the real one's is
 * not: a fixed cost the reference does not have has no ratio.
 */
export const CPU_DIMENSIONS = {
  baseline: 'api_baseline_cpu',
  perConnection: 'api_cpu_per_connection',
  perConnectionRate: 'api_cpu_per_connection_tx',
} as const satisfies Record<string, DimensionName>;

const COEFFICIENTS: Array<{ name: DimensionName; index: number; unit: string }> = [
  { name: CPU_DIMENSIONS.baseline, index: 0, unit: 'cores' },
  { name: CPU_DIMENSIONS.perConnection, index: 1, unit: 'cores/connection' },
  { name: CPU_DIMENSIONS.perConnectionRate, index: 2, unit: 'cores/(connection·tx/s)' },
];

const REPLICATES = 2000;

/**
 * The CPU model's coefficients as calibration dimensions, or why each is not carried. Undefined when either
 * run cannot fit the model (one write rate, too few levels): the caller falls back to the linear fit.
 */
export function cpuModelDimensions(
  reference: readonly CpuPoint[],
  real: readonly CpuPoint[],
): { dimensions: DimensionRatio[]; notEstimated: Calibration['notEstimated'] } | undefined {
  const ref = usable('rate', reference);
  const rl = usable('rate', real);
  if (ref.refused || rl.refused) return undefined;
  const a = fitForm('rate', ref.points);
  const b = fitForm('rate', rl.points);
  if (!a || !b) return undefined;
  const bootA = bootstrapForm('rate', ref.points, 0xc0a, REPLICATES);
  const bootB = bootstrapForm('rate', rl.points, 0xc0b, REPLICATES);
  const dimensions: DimensionRatio[] = [];
  const notEstimated: Calibration['notEstimated'] = [];
  const pairs = Math.min(bootA.length, bootB.length);
  for (const { name, index, unit } of COEFFICIENTS) {
    const sideA = bootA.length >= 100 ? interval95(bootA.map((x) => x[index]!)) : undefined;
    const sideB = bootB.length >= 100 ? interval95(bootB.map((x) => x[index]!)) : undefined;
    const samples: number[] = [];
    for (let i = 0; i < pairs; i++) {
      const x = bootA[i]![index]!;
      const y = bootB[i]![index]!;
      if (x > 0 && y > 0) samples.push(y / x);
    }
    const n: [number, number] = [ref.points.length, rl.points.length];
    const diffs = Array.from({ length: pairs }, (_, i) => bootB[i]![index]! - bootA[i]![index]!);
    const difference =
      pairs >= 100 ? { value: b[index]! - a[index]!, interval: interval95(diffs) } : undefined;
    // A fixed cost adds, it does not scale: the baseline is carried as a difference (real − reference).
    if (index === 0 && difference) {
      dimensions.push({
        name,
        unit,
        reference: a[0]!,
        real: b[0]!,
        ratio: b[0]! / a[0]!,
        n,
        difference,
        note: `a fixed cost: carried as a difference (${signed(difference.value)} ${unit}), not a ratio`,
      });
      continue;
    }
    const judged = judgeRatio({
      name,
      unit,
      reference: a[index]!,
      real: b[index]!,
      samples,
      sides: { ...(sideA ? { ref: sideA } : {}), ...(sideB ? { real: sideB } : {}) },
      n,
    });
    if (!('reason' in judged)) {
      dimensions.push({ ...judged, note: `coefficient of the CPU model a + b·c + k·c·r` });
      continue;
    }
    // No defensible ratio; a difference whose interval excludes zero is still a measured cost gap.
    if (difference && (difference.interval[0] > 0 || difference.interval[1] < 0)) {
      dimensions.push({
        name,
        unit,
        reference: a[index]!,
        real: b[index]!,
        ratio: Number.NaN,
        n,
        difference,
        note: `carried as a difference (${signed(difference.value)} ${unit}): no ratio (${judged.reason})`,
      });
      continue;
    }
    notEstimated.push({
      name,
      reason: `${judged.reason}; nor a difference: ${difference ? `its 95 % interval [${difference.interval[0].toPrecision(3)}, ${difference.interval[1].toPrecision(3)}] ${unit} spans 0` : 'too few bootstrap refits'}`,
    });
  }
  return { dimensions, notEstimated };
}

function signed(value: number): string {
  return `${value >= 0 ? '+' : '−'}${Math.abs(value).toPrecision(3)}`;
}

/** The reference's CPU coefficients with the calibration applied; names what stayed uncalibrated. */
export function translatedCpuCoefficients(
  referenceBeta: readonly number[],
  calibration: Calibration,
): { beta: number[]; carried: string[]; uncalibrated: string[] } | undefined {
  const byName = (name: DimensionName) => calibration.dimensions.find((d) => d.name === name);
  if (!calibration.cpuModel) return undefined;
  const carried: string[] = [];
  const uncalibrated: string[] = [];
  const beta = COEFFICIENTS.map(({ name, index }) => {
    const d = byName(name);
    const value = referenceBeta[index]!;
    if (!d) {
      uncalibrated.push(name);
      return value;
    }
    if (d.difference) {
      carried.push(`${name} ${signed(d.difference.value)} ${d.unit}`);
      return value + d.difference.value;
    }
    carried.push(`${name} ×${d.ratio.toPrecision(3)}`);
    return value * d.ratio;
  });
  return { beta, carried, uncalibrated };
}

/**
 * A reference run's CPU levels as the real service would show them. When the calibration carries every
 * coefficient of the CPU model, each reference point is moved by the model's difference at its (connections,
 * rate), its own noise kept. When it cannot, a half-translated model would mix the two services: the real
 * run's own CPU levels are used instead (they are measurements of the real service), and the note says so.
 * Undefined when the calibration does not carry the CPU model at all.
 */
export function translateCpuPoints(
  points: readonly CpuPoint[],
  calibration: Calibration,
): { points: CpuPoint[]; note: string } | undefined {
  if (!calibration.cpuModel) return undefined;
  const fitted = usable('rate', points);
  const beta = fitted.refused ? null : fitForm('rate', fitted.points);
  const translated = beta ? translatedCpuCoefficients(beta, calibration) : undefined;
  if (beta && translated && translated.uncalibrated.length === 0) {
    const moved = points.map((p) => ({
      ...p,
      cpu:
        p.cpu +
        predictWith('rate', translated.beta, p.connections, p.rate) -
        predictWith('rate', beta, p.connections, p.rate),
    }));
    return {
      points: moved,
      note: `translated by calibration (CPU model a + b·c + k·c·r): ${translated.carried.join(', ')}`,
    };
  }
  const real = calibration.realCpuLevels ?? [];
  if (real.length === 0 || usable('rate', real).refused) return undefined;
  const connections = real.map((p) => p.connections);
  const rates = real.map((p) => p.rate);
  return {
    points: real.map((p) => ({ ...p })),
    note: `CPU from the real run's own levels (${real.length} levels, ${Math.min(...connections)}–${Math.max(...connections)} connections, ${Math.min(...rates)}–${Math.max(...rates)} tx/s): the calibration could not carry ${translated?.uncalibrated.join(', ') ?? 'the reference model'}`,
  };
}

/**
 * The calibrated CPU prediction at each CPU level of a real run, the way a sizing would make it (the points
 * `translateCpuPoints` gives, fitted with the CPU model): (predicted − measured) / measured.
 */
export function cpuModelErrors(
  referencePoints: readonly CpuPoint[],
  realPoints: readonly CpuPoint[],
  calibration: Calibration,
):
  | Array<{ connections: number; rate: number; predicted: number; measured: number; errorPercent: number }>
  | undefined {
  const carried = translateCpuPoints(referencePoints, calibration);
  if (!carried) return undefined;
  const beta = fitForm('rate', usable('rate', carried.points).points);
  if (!beta) return undefined;
  return realPoints
    .filter((p) => p.cpu > 0)
    .map((p) => {
      const predicted = predictWith('rate', beta, p.connections, p.rate);
      return {
        connections: p.connections,
        rate: p.rate,
        predicted,
        measured: p.cpu,
        errorPercent: ((predicted - p.cpu) / p.cpu) * 100,
      };
    });
}
