import type { Fit } from './fit-types.js';
import type { ConnectionLevel } from '../levels/levels.js';
import { fitLine, formatNumber } from './linear-fit.js';
import { median, type Point } from './stats.js';
import { fitUsl } from './usl-fit.js';

/** A segment slope this many times the median of the earlier ones marks a knee. */
export const KNEE_RATIO = 3;

/**
 * p99 checkpoint latency against connections: a Theil–Sen line (the real service does ~12 ms of serial
 * work per client per checkpoint, so latency grows about linearly) plus a simple knee detection.
 */
export function fitApiLatency(levels: readonly ConnectionLevel[], invalidReason?: string): Fit {
  const points: Point[] = levels
    .filter((l) => l.checkpointP99Ms !== undefined)
    .map((l) => ({ x: l.clients / Math.max(1, l.api.length), y: l.checkpointP99Ms! }));
  const fit = fitLine(points, {
    kind: 'api-latency',
    description: 'p99 checkpoint latency against connections per API process',
    x: { name: 'connections per API process', unit: 'connection' },
    y: { name: 'p99 checkpoint latency', unit: 'ms' },
    slopeName: 'p99 checkpoint latency per connection',
    interceptName: 'p99 checkpoint latency at no load',
    invalidReason,
  });
  fit.notes.push(kneeNote(points));
  const usl = fitUsl(points);
  if (usl) {
    fit.estimates.push(
      { name: 'USL contention σ', value: usl.sigma, unit: '1' },
      { name: 'USL coherency κ', value: usl.kappa, unit: '1' },
    );
    if (usl.peakConnections !== undefined) {
      fit.estimates.push({ name: 'USL peak load', value: usl.peakConnections, unit: 'connection' });
    }
    fit.notes.push(
      `Universal Scalability Law: R(N) = ${formatNumber(usl.r1)} ms × (1 + ${formatNumber(usl.sigma)}(N − 1) + ` +
        `${formatNumber(usl.kappa)}·N(N − 1)), r² ${usl.r2.toFixed(3)}` +
        (usl.peakConnections !== undefined
          ? `; throughput peaks near ${Math.round(usl.peakConnections)} connections`
          : ''),
    );
  }
  return fit;
}

/** Finds where the latency slope jumps; with fewer than 4 levels says so. */
export function kneeNote(points: readonly Point[]): string {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  if (sorted.length < 4) return `knee: not assessed, ${sorted.length} levels (at least 4 needed)`;
  const slopes = sorted.slice(1).map((p, i) => (p.y - sorted[i]!.y) / (p.x - sorted[i]!.x));
  for (let i = 1; i < slopes.length; i++) {
    const before = median(slopes.slice(0, i));
    if (before > 0 && slopes[i]! > KNEE_RATIO * before)
      return `knee at about ${sorted[i]!.x} connections: the slope rises from ${formatNumber(before)} to ${formatNumber(slopes[i]!)} ms/connection; predictions beyond it are optimistic`;
  }
  return `knee: none found in ${sorted.length} levels (no segment slope above ${KNEE_RATIO}× the earlier median)`;
}
