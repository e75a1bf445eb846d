import { formatNumber } from '../fits/linear-fit.js';
import type { LatencyLevel } from '../levels/levels.js';

/**
 * An API process is one Node event loop: however many vCPUs its container has, it uses about one core,
 * plus what Node's helper threads (GC, libuv pool, zlib) add. The usable CPU of a container is the smaller
 * of its vCPUs and this ceiling.
 */
export interface ProcessCeiling {
  cores: number;
  source: 'measured' | 'default';
  text: string;
}

/** One event loop plus a stated allowance for Node's helper threads. */
export const DEFAULT_CEILING_CORES = 1.25;
/** A level whose API process ran at this many cores or more was driven near one event loop's limit. */
const SATURATED_CORES = 0.9;

/**
 * The ceiling measured from the run: the highest mean CPU an API process reached in a level where it was
 * near one core and its latency rose above the level below it (it had run out of CPU to give); otherwise
 * the default, labelled as such.
 */
export function processCeiling(levels: ReadonlyArray<LatencyLevel & { cpu?: number }>): ProcessCeiling {
  const withCpu = levels.filter((l) => l.cpu !== undefined).sort((a, b) => a.connections - b.connections);
  let best: (typeof withCpu)[number] | undefined;
  for (let i = 1; i < withCpu.length; i++) {
    const level = withCpu[i]!;
    const below = withCpu[i - 1]!;
    const rose = (m: 'checkpoint_latency' | 'e2e_latency') =>
      level.p99[m] !== undefined && below.p99[m] !== undefined && level.p99[m]! > below.p99[m]!;
    if (level.cpu! >= SATURATED_CORES && (rose('checkpoint_latency') || rose('e2e_latency')))
      if (!best || level.cpu! > best.cpu!) best = level;
  }
  if (best)
    return {
      cores: best.cpu!,
      source: 'measured',
      text: `process ceiling ${formatNumber(best.cpu!)} cores, measured in ${best.phase} (the API process at ${formatNumber(best.cpu!)} cores while its latency rose)`,
    };
  return {
    cores: DEFAULT_CEILING_CORES,
    source: 'default',
    text: `process ceiling ${DEFAULT_CEILING_CORES} cores by default (one event loop + 0.25 for Node's helper threads; no level drove the API process to saturation)`,
  };
}
