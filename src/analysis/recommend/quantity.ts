import type { Fit, FitKind } from '../fits/fit-types.js';

/** Where a number comes from. */
export interface Evidence {
  /** 'fit' (a named fit), 'measured' (read from the run), 'profile' (the user's input), 'model' (arithmetic or an assumption). */
  source: 'fit' | 'measured' | 'profile' | 'model' | 'not-measured';
  fit?: FitKind;
  n?: number;
  /** 95 % interval of the fit's main estimate, in its unit. */
  interval?: [number, number];
  /** Refusal of the fit this number would have come from. */
  refused?: string;
  /** True for MongoDB figures and any number not backed by a measurement. */
  modelled?: boolean;
  /** Set when the fit was translated to another service by a calibration: which ratios. */
  translated?: string;
}

/** A recommended or predicted number with its unit, band, evidence and assumptions. */
export interface Quantity {
  value: number | null;
  unit: string;
  /** 95 % prediction band, when there is one. */
  low?: number;
  high?: number;
  /** The value is a lower bound (e.g. a rate at which the replicator never saturated). */
  lowerBound?: boolean;
  evidence: Evidence;
  assumptions: string[];
  note?: string;
}

export function fromFit(fit: Fit): Evidence {
  return {
    source: 'fit',
    fit: fit.kind,
    n: fit.n,
    interval: fit.interval,
    ...(fit.refused ? { refused: fit.refused } : {}),
    // A fit carried over to another service by a calibration says so on every figure drawn from it.
    ...(fit.notes.some((n) => n.startsWith('translated by calibration'))
      ? { translated: fit.notes.find((n) => n.startsWith('translated by calibration')) }
      : {}),
  };
}

export function quantity(
  value: number | null,
  unit: string,
  evidence: Evidence,
  assumptions: string[] = [],
  extra: Partial<Quantity> = {},
): Quantity {
  return { value, unit, evidence, assumptions, ...extra };
}

export const ceilTo = (value: number, step: number): number => Math.ceil(value / step - 1e-9) * step;
