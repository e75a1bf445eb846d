import { fitApiMemory } from './api-fits.js';
import type { ConnectionLevel } from './levels.js';
import { formatNumber } from './linear-fit.js';

/** The memory prediction must be within this share of the measured value at the held-out level. */
export const VALIDATION_TOLERANCE = 0.15;

export interface ModelValidation {
  metric: 'api-memory';
  heldOutConnections: number | null;
  fittedOn: number[];
  predictedMb: number | null;
  measuredMb: number | null;
  /** (predicted − measured) / measured × 100. */
  errorPercent: number | null;
  withinTolerance: boolean | null;
  tolerancePercent: number;
  message: string;
}

/** Fits memory on the lower connection levels and predicts the highest one, held out. */
export function validateMemoryModel(
  levels: readonly ConnectionLevel[],
  invalidReason?: string,
): ModelValidation {
  const xs = [...new Set(levels.flatMap((l) => l.api.map((a) => a.connections)))].sort((a, b) => a - b);
  const held = xs[xs.length - 1];
  const base = {
    metric: 'api-memory' as const,
    heldOutConnections: held ?? null,
    fittedOn: xs.slice(0, -1),
    predictedMb: null,
    measuredMb: null,
    errorPercent: null,
    withinTolerance: null,
    tolerancePercent: VALIDATION_TOLERANCE * 100,
  };
  if (invalidReason) return { ...base, message: `not validated: the run is invalid: ${invalidReason}` };
  if (held === undefined || xs.length < 4)
    return {
      ...base,
      message: `not validated: ${xs.length} connection levels, at least 4 needed (3 to fit, 1 held out)`,
    };
  const lower = levels.map((l) => ({ ...l, api: l.api.filter((a) => a.connections < held) }));
  const fit = fitApiMemory(lower);
  const heldPoints = levels.flatMap((l) =>
    l.api.filter((a) => a.connections === held && a.rssMb !== undefined),
  );
  const measured = heldPoints.reduce((s, a) => s + a.rssMb!, 0) / Math.max(1, heldPoints.length);
  const p = fit.predict(held);
  if (!p || !heldPoints.length)
    return {
      ...base,
      measuredMb: heldPoints.length ? measured : null,
      message: `not validated: the fit on the lower levels was refused: ${fit.refused ?? 'no points'}`,
    };
  const error = ((p.value - measured) / measured) * 100;
  const within = Math.abs(error) <= VALIDATION_TOLERANCE * 100;
  return {
    ...base,
    predictedMb: p.value,
    measuredMb: measured,
    errorPercent: error,
    withinTolerance: within,
    message: `memory at ${held} connections predicted ${formatNumber(p.value)} MB from ${base.fittedOn.join(', ')}; measured ${formatNumber(measured)} MB: error ${formatNumber(error)} % ${within ? 'within' : 'EXCEEDS'} ±${VALIDATION_TOLERANCE * 100} %`,
  };
}
