import type { Fit } from './fit-types.js';
import type { ConnectionLevel, WriteLevel } from '../levels/levels.js';
import { fitLine } from './linear-fit.js';
import type { Point } from './stats.js';

const CONNECTIONS = { name: 'connections per API process', unit: 'connection' };

function pointsOf(
  levels: readonly ConnectionLevel[],
  y: (p: ConnectionLevel['api'][number]) => number | undefined,
) {
  const points: Point[] = [];
  for (const level of levels)
    for (const api of level.api) {
      const value = y(api);
      if (value !== undefined && Number.isFinite(value)) points.push({ x: api.connections, y: value });
    }
  return points;
}

/** RSS of an API process against its idle connections (Theil–Sen). Slope in MB per connection. */
export function fitApiMemory(levels: readonly ConnectionLevel[], invalidReason?: string): Fit {
  const fit = fitLine(
    pointsOf(levels, (a) => a.rssMb),
    {
      kind: 'api-memory',
      description: 'API process RSS against idle connections',
      x: CONNECTIONS,
      y: { name: 'RSS', unit: 'MB' },
      slopeName: 'RSS per connection',
      interceptName: 'baseline RSS',
      invalidReason,
    },
  );
  return withKb(fit, 'RSS per connection');
}

/** V8 heap used of an API process against its idle connections. */
export function fitApiHeap(levels: readonly ConnectionLevel[], invalidReason?: string): Fit {
  const fit = fitLine(
    pointsOf(levels, (a) => a.heapMb),
    {
      kind: 'api-heap',
      description: 'API process V8 heap used against idle connections',
      x: CONNECTIONS,
      y: { name: 'heap used', unit: 'MB' },
      slopeName: 'heap per connection',
      interceptName: 'baseline heap',
      invalidReason,
    },
  );
  return withKb(fit, 'heap per connection');
}

/** Average cores of an API process against its idle connections. */
export function fitApiCpuPerConnection(levels: readonly ConnectionLevel[], invalidReason?: string): Fit {
  return fitLine(
    pointsOf(levels, (a) => a.cpuCores),
    {
      kind: 'api-cpu-per-connection',
      description: 'API process CPU (cores, averaged over the phase) against idle connections',
      x: CONNECTIONS,
      y: { name: 'CPU', unit: 'cores' },
      slopeName: 'CPU per connection',
      interceptName: 'baseline CPU',
      invalidReason,
    },
  );
}

/** Cores of the API process against operations synced per second (write phases and idle levels). */
export function fitApiCpuPerOp(
  levels: readonly ConnectionLevel[],
  writes: readonly WriteLevel[],
  invalidReason?: string,
): Fit {
  const points: Point[] = [];
  for (const w of writes)
    if (w.apiCpuCores !== undefined && w.apiOpsPerSecond !== undefined)
      points.push({ x: round(w.apiOpsPerSecond), y: w.apiCpuCores });
  return fitLine(points, {
    kind: 'api-cpu-per-op',
    description: 'API process CPU against operations synced per second (write phases)',
    x: { name: 'operations synced per second', unit: 'op/s' },
    y: { name: 'CPU', unit: 'cores' },
    slopeName: 'CPU per op/s synced',
    interceptName: 'CPU at no ops',
    invalidReason,
  });
}

/** Adds the slope in KB per connection (the unit the operations guide quotes). */
function withKb(fit: Fit, name: string): Fit {
  const slope = fit.estimates[0];
  if (!slope) return fit;
  const kb = (v: number) => v * 1024;
  fit.estimates.push({
    name: `${name} (KB)`,
    value: kb(slope.value),
    unit: 'KB/connection',
    interval: slope.interval ? [kb(slope.interval[0]), kb(slope.interval[1])] : undefined,
  });
  return fit;
}

const round = (v: number) => Math.round(v * 1000) / 1000;
