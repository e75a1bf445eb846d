import { fitApiCpuPerConnection, fitApiCpuPerOp, fitApiHeap, fitApiMemory } from './api-fits.js';
import { fitCompactionDuration, fitCompactionMemory } from './compaction-fits.js';
import type { Fit } from './fit-types.js';
import { fitApiLatency } from './latency-fit.js';
import { compactions, connectionLevels, initialStorage, writeLevels } from '../levels/levels.js';
import { fitReplicationCpu, fitReplicationMaxRate, fitReplicationMemory } from './replication-fits.js';
import { validPart, type RunResults } from '../levels/run-results.js';
import { fitOplogPerOp, fitStoragePerOp, fitStoragePerRow } from './storage-fits.js';

/** Every fit of one run, by role. */
export interface RunFits {
  apiMemory: Fit;
  apiHeap: Fit;
  apiCpuPerConnection: Fit;
  apiCpuPerOp: Fit;
  apiLatency: Fit;
  replicationCpu: Fit;
  replicationMemory: Fit;
  replicationMaxRate: Fit;
  compactionDuration: Fit;
  compactionMemory: Fit;
  storagePerOp: Fit;
  storagePerRow: Fit;
  /** MongoDB storage only (refused otherwise). */
  oplogPerOp: Fit;
}

/**
 * Why the run cannot support any fit, if it cannot: every phase invalid. A run with some invalid phases is
 * fitted from the others (they are named in the sizing).
 */
export function invalidReasonOf(run: RunResults): string | undefined {
  return validPart(run).invalid;
}

/** Fits every model the run's valid phases have data for; each refuses on its own when it cannot. */
export function fitRun(whole: RunResults): RunFits {
  const { run, invalid } = validPart(whole);
  const connections = connectionLevels(run);
  const writes = writeLevels(run);
  const compacts = compactions(run);
  return {
    apiMemory: fitApiMemory(connections, invalid),
    apiHeap: fitApiHeap(connections, invalid),
    apiCpuPerConnection: fitApiCpuPerConnection(connections, invalid),
    apiCpuPerOp: fitApiCpuPerOp(connections, writes, invalid),
    apiLatency: fitApiLatency(connections, invalid),
    replicationCpu: fitReplicationCpu(writes, invalid),
    replicationMemory: fitReplicationMemory(writes, invalid),
    replicationMaxRate: fitReplicationMaxRate(writes, invalid),
    compactionDuration: fitCompactionDuration(compacts, invalid),
    compactionMemory: fitCompactionMemory(compacts, invalid),
    storagePerOp: fitStoragePerOp(writes, invalid),
    storagePerRow: fitStoragePerRow(initialStorage(run), run.scenario.dataset?.rowSizeBytes, invalid),
    oplogPerOp: fitOplogPerOp(writes, invalid),
  };
}
