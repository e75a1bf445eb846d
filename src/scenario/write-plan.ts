import type { WritePlan } from './plan-types.js';
import type { WriteRate, WriteShape } from './types.js';

/** Expected write rate of one phase's write shape, placed at `startMs`. */
export function writePlan(shape: WriteShape, startMs: number, durationMs: number): WritePlan {
  const segments = rateSegments(shape.rate, startMs, durationMs);
  const rates = segments.flatMap((segment) => [segment.from, segment.to]);
  const transactions = segments.reduce(
    (sum, segment) => sum + (((segment.from + segment.to) / 2) * (segment.endMs - segment.startMs)) / 1000,
    0,
  );
  return {
    rate: shape.rate,
    mix: shape.mix,
    rowsPerTransaction: shape.rowsPerTransaction,
    keys: shape.keys,
    start: segments[0]?.from ?? 0,
    end: segments.at(-1)?.to ?? 0,
    peak: Math.max(0, ...rates),
    mean: durationMs > 0 ? (transactions * 1000) / durationMs : 0,
    transactions,
    rows: transactions * shape.rowsPerTransaction,
    segments,
  };
}

function rateSegments(rate: WriteRate, startMs: number, durationMs: number): WritePlan['segments'] {
  const endMs = startMs + durationMs;
  switch (rate.kind) {
    case 'constant':
    case 'poisson':
      return [{ startMs, endMs, from: rate.perSecond, to: rate.perSecond }];
    case 'ramp':
      return [{ startMs, endMs, from: rate.from, to: rate.to }];
    case 'steps': {
      let at = startMs;
      return rate.steps.map((step) => {
        const segment = {
          startMs: at,
          endMs: at + step.durationMs,
          from: step.perSecond,
          to: step.perSecond,
        };
        at += step.durationMs;
        return segment;
      });
    }
  }
}

/** The steady rates of a shape (constant, Poisson, each step), for counting write-rate levels. */
export function steadyRates(rate: WriteRate): number[] {
  if (rate.kind === 'steps') return rate.steps.map((step) => step.perSecond);
  return rate.kind === 'ramp' ? [] : [rate.perSecond];
}
