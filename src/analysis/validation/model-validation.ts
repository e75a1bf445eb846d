import { fitApiCpuPerConnection, fitApiMemory } from '../fits/api-fits.js';
import type { Fit } from '../fits/fit-types.js';
import type { ApiPoint, ConnectionLevel } from '../levels/levels.js';
import { formatNumber } from '../fits/linear-fit.js';
import { theilSen } from '../fits/stats.js';

/** The memory prediction must be within this share of the measured value at the held-out level. */
export const VALIDATION_TOLERANCE = 0.15;
/** CPU is noisier (a share averaged over a phase on a shared machine): a wider tolerance. */
export const CPU_VALIDATION_TOLERANCE = 0.3;

export interface ModelValidation {
  metric: 'api-memory' | 'api-cpu';
  heldOutConnections: number | null;
  fittedOn: number[];
  /** Predicted and measured value at the held-out level, in `unit`. */
  predicted: number | null;
  measured: number | null;
  unit: string;
  /** Kept for older readers of recommendations.json: the memory figures in MB. */
  predictedMb: number | null;
  measuredMb: number | null;
  /** (predicted − measured) / measured × 100. */
  errorPercent: number | null;
  withinTolerance: boolean | null;
  tolerancePercent: number;
  message: string;
}

interface ModelSpec {
  metric: ModelValidation['metric'];
  name: string;
  unit: string;
  tolerance: number;
  fit: (levels: readonly ConnectionLevel[]) => Fit;
  value: (point: ApiPoint) => number | undefined;
}

const MEMORY: ModelSpec = {
  metric: 'api-memory',
  name: 'memory',
  unit: 'MB',
  tolerance: VALIDATION_TOLERANCE,
  fit: (levels) => fitApiMemory(levels),
  value: (a) => a.rssMb,
};
const CPU: ModelSpec = {
  metric: 'api-cpu',
  name: 'CPU',
  unit: 'cores',
  tolerance: CPU_VALIDATION_TOLERANCE,
  fit: (levels) => fitApiCpuPerConnection(levels),
  value: (a) => a.cpuCores,
};

/** Fits memory on the lower connection levels and predicts the highest one, held out. */
export function validateMemoryModel(
  levels: readonly ConnectionLevel[],
  invalidReason?: string,
): ModelValidation {
  return validateModel(MEMORY, levels, invalidReason);
}

/** Fits CPU on the lower connection levels and predicts the highest one, held out. */
export function validateCpuModel(
  levels: readonly ConnectionLevel[],
  invalidReason?: string,
): ModelValidation {
  return validateModel(CPU, levels, invalidReason);
}

function validateModel(
  spec: ModelSpec,
  levels: readonly ConnectionLevel[],
  invalidReason?: string,
): ModelValidation {
  const xs = [...new Set(levels.flatMap((l) => l.api.map((a) => a.connections)))].sort((a, b) => a - b);
  const held = xs[xs.length - 1];
  const base = {
    metric: spec.metric,
    heldOutConnections: held ?? null,
    fittedOn: xs.slice(0, -1),
    predicted: null,
    measured: null,
    unit: spec.unit,
    predictedMb: null,
    measuredMb: null,
    errorPercent: null,
    withinTolerance: null,
    tolerancePercent: spec.tolerance * 100,
  };
  if (invalidReason)
    return { ...base, message: `${spec.name} not validated: the run is invalid: ${invalidReason}` };
  if (held === undefined || xs.length < 4)
    return {
      ...base,
      message: `${spec.name} not validated: ${xs.length} connection levels, at least 4 needed (3 to fit, 1 held out)`,
    };
  const lower = levels.map((l) => ({ ...l, api: l.api.filter((a) => a.connections < held) }));
  const fit = spec.fit(lower);
  const heldValues = levels.flatMap((l) =>
    l.api.filter((a) => a.connections === held && spec.value(a) !== undefined).map((a) => spec.value(a)!),
  );
  const measured = heldValues.reduce((s, v) => s + v, 0) / Math.max(1, heldValues.length);
  const mb = (v: number | null) => (spec.metric === 'api-memory' ? v : null);
  // A fit refused for sizing (too noisy, flat) still has a robust line: validation reports its error anyway,
  // so the model's accuracy is a number on every run with enough levels.
  const lowerPoints = lower.flatMap((l) =>
    l.api.flatMap((a) => (spec.value(a) === undefined ? [] : [{ x: a.connections, y: spec.value(a)! }])),
  );
  const line = fit.refused ? theilSen(lowerPoints) : null;
  const predictedValue = fit.predict(held)?.value ?? (line ? line.intercept + line.slope * held : undefined);
  if (predictedValue === undefined || !heldValues.length)
    return {
      ...base,
      measured: heldValues.length ? measured : null,
      measuredMb: mb(heldValues.length ? measured : null),
      message: `${spec.name} not validated: no line through the lower levels (${fit.refused ?? 'no points'})`,
    };
  const p = { value: predictedValue };
  const refusedNote = fit.refused
    ? ` (robust line only: the fit was refused for sizing: ${fit.refused})`
    : '';
  const error = ((p.value - measured) / measured) * 100;
  const within = Math.abs(error) <= spec.tolerance * 100;
  return {
    ...base,
    predicted: p.value,
    measured,
    predictedMb: mb(p.value),
    measuredMb: mb(measured),
    errorPercent: error,
    withinTolerance: within,
    message: `${spec.name} at ${held} connections predicted ${formatNumber(p.value)} ${spec.unit} from ${base.fittedOn.join(', ')}; measured ${formatNumber(measured)} ${spec.unit}: error ${formatNumber(error)} % ${within ? 'within' : 'EXCEEDS'} ±${spec.tolerance * 100} %${refusedNote}`,
  };
}
