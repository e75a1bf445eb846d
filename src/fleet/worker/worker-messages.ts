import type { StreamCompression } from '../transport/stream-transport.js';
import type { Sample, TrendPart } from '../../metrics/index.js';
import type { MintedTokenAuth } from '../token-source.js';
import type { Transport } from '../transport/stream-transport.js';

/** What a fleet worker thread is started with: plain data, no functions. */
export interface FleetWorkerData {
  endpoint: string;
  auth: MintedTokenAuth | { tokenCommand: string };
  /** Users assigned round robin: client i of worker w of W gets users[(i·W + w) mod users.length]. */
  users: string[];
  workerIndex: number;
  workers: number;
  maxConcurrentConnects?: number;
  compression?: StreamCompression;
  /** How often the worker ships its aggregates (ms). */
  flushIntervalMs: number;
}

export type ToWorker =
  | { type: 'add'; count: number; transport?: Transport }
  | { type: 'remove'; count: number; which: 'newest' | 'oldest' }
  | { type: 'measureRowsFrom'; ms: number }
  | { type: 'clockOffset'; ms: number }
  | { type: 'stop' };

/** Per flush: trends as mergeable histograms, counters as sums, gauges as their last value. */
export interface FromWorker {
  type: 'metrics';
  trends: Array<{ metric: string; tags?: Record<string, string>; part: TrendPart }>;
  samples: Sample[];
  size: number;
  final: boolean;
}
