import type { Estimate, Fit, Prediction } from './fit-types.js';
import { formatNumber } from './linear-fit.js';
import { interval95, seededRandom } from './stats.js';

/** One held level's API CPU: connections per API process, write rate, mean cores. */
export interface CpuPoint {
  phase: string;
  connections: number;
  rate: number;
  cpu: number;
}

/**
 * The forms of API CPU against connections c and write rate r:
 * - `linear`: a + b·c, on the levels at the connection levels' write rate only (the rate is ignored);
 * - `rate`: a + b·c + k·c·r — fan-out: every stream does work on every checkpoint;
 * - `rate-convex`: a + b·c + k·c·r + q·c² — cost per stream that grows with the streams (contention).
 */
export type CpuModelForm = 'linear' | 'rate' | 'rate-convex';

export interface CpuCandidate {
  form: CpuModelForm;
  /** Mean |error| % of its prediction of the held-out level(s), fitted without them; null when not fittable. */
  heldOutErrorPercent: number | null;
  /** Signed errors at each held-out level. */
  errors: Array<{
    phase: string;
    connections: number;
    rate: number;
    measured: number;
    predicted: number;
    errorPercent: number;
  }>;
  refused?: string;
}

export interface CpuModelChoice {
  chosen: CpuModelForm | null;
  /** Why that form: the held-out comparison, or the only form the data supports. */
  reason: string;
  candidates: CpuCandidate[];
  /** The write rate the sizing predicts at (peak × (1 + headroom)), and the range of rates measured. */
  atRate: number;
  measuredRates: [number, number];
  /** Set when the rate it predicts at lies beyond the rates measured. */
  extrapolatesInRate?: string;
}

const FORMS: CpuModelForm[] = ['linear', 'rate', 'rate-convex'];
const REPLICATES = 1000;

/** Least squares by normal equations (a handful of parameters); null when the design is singular. */
function solve(rows: number[][], y: number[]): number[] | null {
  const p = rows[0]?.length ?? 0;
  if (rows.length < p || p === 0) return null;
  const a = Array.from({ length: p }, () => new Array<number>(p + 1).fill(0));
  // Columns scaled to unit size, so c² (10⁶) and 1 sit in one well-conditioned system.
  const scale = Array.from({ length: p }, (_, j) =>
    Math.max(1e-12, Math.max(...rows.map((r) => Math.abs(r[j]!)))),
  );
  for (let i = 0; i < rows.length; i++)
    for (let j = 0; j < p; j++) {
      for (let k = 0; k < p; k++) a[j]![k]! += (rows[i]![j]! / scale[j]!) * (rows[i]![k]! / scale[k]!);
      a[j]![p]! += (rows[i]![j]! / scale[j]!) * y[i]!;
    }
  for (let col = 0; col < p; col++) {
    let pivot = col;
    for (let r = col + 1; r < p; r++) if (Math.abs(a[r]![col]!) > Math.abs(a[pivot]![col]!)) pivot = r;
    if (Math.abs(a[pivot]![col]!) < 1e-9) return null;
    [a[col], a[pivot]] = [a[pivot]!, a[col]!];
    for (let r = 0; r < p; r++) {
      if (r === col) continue;
      const f = a[r]![col]! / a[col]![col]!;
      for (let k = col; k <= p; k++) a[r]![k]! -= f * a[col]![k]!;
    }
  }
  return a.map((row, j) => row[p]! / row[j]! / scale[j]!);
}

export function design(form: CpuModelForm, c: number, r: number): number[] {
  if (form === 'linear') return [1, c];
  if (form === 'rate') return [1, c, c * r];
  return [1, c, c * r, c * c];
}

export const predictWith = (form: CpuModelForm, beta: readonly number[], c: number, r: number) =>
  design(form, c, r).reduce((s, x, j) => s + x * beta[j]!, 0);

/** The connection levels' own write rate: the rate most held levels ran at. */
function modalRate(points: readonly CpuPoint[]): number {
  const counts = new Map<number, number>();
  for (const p of points) counts.set(p.rate, (counts.get(p.rate) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
}

export function usable(
  form: CpuModelForm,
  points: readonly CpuPoint[],
): { points: CpuPoint[]; refused?: string } {
  const chosen = form === 'linear' ? points.filter((p) => p.rate === modalRate(points)) : [...points];
  const cs = new Set(chosen.map((p) => p.connections)).size;
  const rs = new Set(chosen.map((p) => p.rate)).size;
  const needed = design(form, 1, 1).length;
  if (cs < 2) return { points: chosen, refused: `${cs} distinct connection level(s)` };
  if (form !== 'linear' && rs < 2)
    return { points: chosen, refused: 'one write rate: the rate term is not identifiable' };
  if (form === 'rate-convex' && cs < 3)
    return { points: chosen, refused: 'fewer than 3 connection levels for a curvature' };
  if (chosen.length < needed + 1)
    return { points: chosen, refused: `${chosen.length} levels for ${needed} parameters` };
  return { points: chosen };
}

export function fitForm(form: CpuModelForm, points: readonly CpuPoint[]): number[] | null {
  return solve(
    points.map((p) => design(form, p.connections, p.rate)),
    points.map((p) => p.cpu),
  );
}

/** A form's coefficients refitted on `replicates` resamples of the levels (resamples it cannot fit skipped). */
export function bootstrapForm(
  form: CpuModelForm,
  points: readonly CpuPoint[],
  seed: number,
  replicates: number,
): number[][] {
  const random = seededRandom(seed);
  const boots: number[][] = [];
  for (let i = 0; i < replicates; i++) {
    const sample = points.map(() => points[Math.floor(random() * points.length)]!);
    if (usable(form, sample).refused) continue;
    const b = fitForm(form, sample);
    if (b) boots.push(b);
  }
  return boots;
}

/**
 * Chooses the CPU form by how well each predicts the top connection level(s) when fitted without them, then
 * fits the chosen form on every level and predicts CPU against connections at `atRate` (the profile's peak
 * with headroom), with a 95 % band from 1000 bootstrap refits (levels resampled) plus a resampled residual.
 */
export function fitApiCpuModel(
  points: readonly CpuPoint[],
  atRate: number,
  seed = 1,
): { fit: Fit; choice: CpuModelChoice } {
  const rates = points.map((p) => p.rate);
  const measuredRates: [number, number] = rates.length ? [Math.min(...rates), Math.max(...rates)] : [0, 0];
  const top = Math.max(0, ...points.map((p) => p.connections));
  const heldOut = points.filter((p) => p.connections === top);
  const rest = points.filter((p) => p.connections !== top);
  const candidates: CpuCandidate[] = FORMS.map((form) => {
    const all = usable(form, points);
    if (all.refused) return { form, heldOutErrorPercent: null, errors: [], refused: all.refused };
    const train = usable(form, rest);
    const beta = train.refused ? null : fitForm(form, train.points);
    // Every form predicts every held-out level: the linear form carries its one rate's line to the others,
    // as a sizing that ignores the write rate would.
    const targets = heldOut;
    if (!beta || targets.length === 0)
      return {
        form,
        heldOutErrorPercent: null,
        errors: [],
        refused: train.refused ?? 'no held-out level for it',
      };
    const errors = targets
      .filter((p) => p.cpu > 0)
      .map((p) => {
        const predicted = predictWith(form, beta, p.connections, p.rate);
        return {
          phase: p.phase,
          connections: p.connections,
          rate: p.rate,
          measured: p.cpu,
          predicted,
          errorPercent: ((predicted - p.cpu) / p.cpu) * 100,
        };
      });
    const mean = errors.length
      ? errors.reduce((s, e) => s + Math.abs(e.errorPercent), 0) / errors.length
      : null;
    return { form, heldOutErrorPercent: mean, errors };
  });
  const compared = candidates.filter((c) => c.heldOutErrorPercent !== null);
  const fittable = candidates.filter(
    (c) => !c.refused || c.heldOutErrorPercent !== null || usable(c.form, points).refused === undefined,
  );
  let chosen: CpuModelForm | null;
  let reason: string;
  if (compared.length > 0) {
    // The simplest form within a margin of the best error: a curvature that only fits noise is not chosen.
    const bestError = Math.min(...compared.map((c) => c.heldOutErrorPercent!));
    const margin = Math.max(2, 0.25 * bestError);
    const best = FORMS.map((f) => compared.find((c) => c.form === f)).find(
      (c) => c !== undefined && c.heldOutErrorPercent! <= bestError + margin,
    )!;
    chosen = best.form;
    reason = `best prediction of the held-out top level (${formatNumber(top)} connections): ${candidates
      .map(
        (c) =>
          `${c.form} ${c.heldOutErrorPercent === null ? `— (${c.refused})` : `${formatNumber(c.heldOutErrorPercent)} %`}`,
      )
      .join(', ')}`;
  } else {
    const first = FORMS.find((f) => !usable(f, points).refused && fittable.some((c) => c.form === f));
    chosen = first ?? null;
    reason = first
      ? `no held-out level to compare forms: ${first}, the first the levels support`
      : `no form fits: ${candidates.map((c) => `${c.form}: ${c.refused}`).join('; ')}`;
  }
  const extrapolatesInRate =
    points.length && (atRate > measuredRates[1] || atRate < measuredRates[0])
      ? `predicted at ${formatNumber(atRate)} tx/s, measured ${formatNumber(measuredRates[0])}–${formatNumber(measuredRates[1])} tx/s: extrapolated ×${formatNumber(atRate / Math.max(1e-9, atRate > measuredRates[1] ? measuredRates[1] : measuredRates[0]))} in write rate`
      : undefined;
  if (chosen === 'linear' && modalRate(points) !== atRate) {
    const note = `the linear form ignores the write rate: measured at ${formatNumber(modalRate(points))} tx/s, applied unchanged at ${formatNumber(atRate)} tx/s`;
    reason = `${reason}; ${note}`;
  }
  const choice: CpuModelChoice = {
    chosen,
    reason,
    candidates,
    atRate,
    measuredRates,
    ...(extrapolatesInRate ? { extrapolatesInRate } : {}),
  };
  return { fit: modelFit(chosen, points, atRate, seed, choice), choice };
}

function modelFit(
  form: CpuModelForm | null,
  all: readonly CpuPoint[],
  atRate: number,
  seed: number,
  choice: CpuModelChoice,
): Fit {
  const base = {
    kind: 'api-cpu-per-connection' as const,
    description: `API process CPU against connections at ${formatNumber(atRate)} tx/s (model: ${form ?? 'none'})`,
    x: { name: 'connections per API process', unit: 'connection' },
    y: { name: 'CPU', unit: 'cores' },
    n: all.length,
    levels: new Set(all.map((p) => p.connections)).size,
    goodness: {},
    points: all.map((p) => ({ x: p.connections, y: p.cpu })),
    notes: [
      `CPU model: ${form ?? 'none'} — ${choice.reason}`,
      ...(choice.extrapolatesInRate ? [choice.extrapolatesInRate] : []),
    ],
  };
  const refuse = (why: string): Fit => ({ ...base, estimates: [], refused: why, predict: () => null });
  if (!form) return refuse(choice.reason);
  const { points, refused } = usable(form, all);
  if (refused) return refuse(refused);
  const beta = fitForm(form, points);
  if (!beta) return refuse('singular design');
  const perConnection = (b: number[]) => b[1]! + (form === 'linear' ? 0 : b[2]! * atRate);
  const residuals = points.map((p) => p.cpu - predictWith(form, beta, p.connections, p.rate));
  const boots = bootstrapForm(form, points, seed, REPLICATES);
  const slope = perConnection(beta);
  const slopeInterval = boots.length >= 100 ? interval95(boots.map(perConnection)) : undefined;
  const estimates: Estimate[] = [
    {
      name: `CPU per connection at ${formatNumber(atRate)} tx/s`,
      value: slope,
      unit: 'cores/connection',
      ...(slopeInterval ? { interval: slopeInterval } : {}),
    },
    { name: 'baseline CPU', value: beta[0]!, unit: 'cores' },
    ...(form !== 'linear'
      ? [{ name: 'CPU per connection per tx/s', value: beta[2]!, unit: 'cores/(connection·tx/s)' }]
      : []),
    ...(form === 'rate-convex'
      ? [{ name: 'CPU per connection²', value: beta[3]!, unit: 'cores/connection²' }]
      : []),
  ];
  const predictAt = (c: number): Prediction => {
    const values = boots.map(
      (b, i) => predictWith(form, b, c, atRate) + (residuals[(i * 7919) % residuals.length] ?? 0),
    );
    values.sort((a, b) => a - b);
    const q = (x: number) => values[Math.min(values.length - 1, Math.max(0, Math.floor(x * values.length)))]!;
    return { value: predictWith(form, beta, c, atRate), low: q(0.025), high: q(0.975) };
  };
  let why: string | undefined;
  if (!(slope > 0))
    why = `non-positive slope (${formatNumber(slope)} cores/connection at ${formatNumber(atRate)} tx/s): CPU does not grow measurably with connections in the measured range`;
  else if (boots.length < 100) why = 'too few usable bootstrap refits';
  return {
    ...base,
    estimates,
    ...(slopeInterval ? { interval: slopeInterval } : {}),
    ...(why ? { refused: why } : {}),
    predict: why ? () => null : predictAt,
  };
}
