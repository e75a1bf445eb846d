import {
  compactResultOf,
  cpuCores,
  gaugeOf,
  measuredSeconds,
  phaseSeconds,
  processesOf,
  trendOf,
  type CompactResult,
  type RunPhase,
  type RunResults,
} from './run-results.js';

const MB = 1024 * 1024;

/** One API process during one idle connection level. */
export interface ApiPoint {
  phase: string;
  process: string;
  /** Connections open on this process at the end of the phase (measured, else target / containers). */
  connections: number;
  rssMb?: number;
  heapMb?: number;
  cpuCores?: number;
  /** Operations synced per second by this process during the phase. */
  opsPerSecond?: number;
}

/** One idle connection level across the fleet. */
export interface ConnectionLevel {
  phase: string;
  /** Target clients at the end of the phase. */
  clients: number;
  /** Write rate running during the level (0: idle). */
  writeRate?: number;
  /** p99 checkpoint latency in the phase, ms. */
  checkpointP99Ms?: number;
  api: ApiPoint[];
}

/** One write-rate level (no actions running). */
export interface WriteLevel {
  phase: string;
  targetRate: number;
  achievedRate: number;
  rowsPerSecond: number;
  replicatorCpuCores?: number;
  replicatorRssMb?: number;
  lagMaxSeconds?: number;
  e2eP99Ms?: number;
  /** Storage database size at the end of the phase, bytes. */
  databaseBytes?: number;
  /** MongoDB storage only: bytes used in the oplog, and its configured size (a capped collection). */
  oplogBytes?: number;
  oplogMaxBytes?: number;
  rowsReplicated?: number;
  /** The first API process: its CPU and operations synced per second in the phase. */
  apiCpuCores?: number;
  apiOpsPerSecond?: number;
}

export interface CompactionRecord {
  phase: string;
  result: CompactResult;
  /** Set when the operations examined were estimated (a compaction that reported only its duration). */
  estimatedOps?: string;
}

const isWritePhase = (p: RunPhase) => (p.writes?.targetRate ?? 0) > 0;
const isSteady = (p: RunPhase) => p.targetClients.end > 0 && (p.actions?.length ?? 0) === 0;
const writeRateOf = (p: RunPhase) => p.writes?.targetRate ?? 0;
const isSustained = (p: RunPhase) =>
  (p.writes as { sustained?: unknown } | null | undefined)?.sustained !== false;

/**
 * Groups phases by a key and returns the group with the most distinct values of `vary`; on a tie, the group
 * measured longest (short settle phases between levels do not outweigh the levels themselves).
 */
function widestGroup(
  phases: readonly RunPhase[],
  key: (p: RunPhase) => number,
  vary: (p: RunPhase) => number,
): RunPhase[] {
  const groups = new Map<number, RunPhase[]>();
  for (const p of phases) {
    const k = key(p);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(p);
  }
  let best: RunPhase[] = [];
  let bestSpread = 0;
  let bestSeconds = 0;
  for (const k of [...groups.keys()].sort((a, b) => a - b)) {
    const group = groups.get(k)!;
    const spread = new Set(group.map(vary)).size;
    const seconds = group.reduce((sum, p) => sum + phaseSeconds(p), 0);
    if (spread > bestSpread || (spread === bestSpread && seconds > bestSeconds)) {
      best = group;
      bestSpread = spread;
      bestSeconds = seconds;
    }
  }
  return best;
}

/**
 * Connection levels: steady phases (clients held, no actions) that differ in clients at one write rate —
 * idle (no writes) or with a steady write load running, which also measures CPU and checkpoint latency
 * against connections. When phases at several write rates vary the clients, the rate with the most client
 * levels is taken. Identified by load, not by name.
 */
export function connectionLevels(run: RunResults): ConnectionLevel[] {
  const containers = run.scenario.target.api?.containers ?? 1;
  const steady = run.phases.filter(isSteady);
  return widestGroup(steady, writeRateOf, (p) => p.targetClients.end).map((p) => ({
    phase: p.name,
    clients: p.targetClients.end,
    writeRate: writeRateOf(p),
    checkpointP99Ms: trendOf(p, 'checkpoint_latency')?.p99,
    api: processesOf(p, 'api-').map((proc) => apiPoint(p, proc, p.targetClients.end / containers)),
  }));
}

function apiPoint(p: RunPhase, proc: string, fallbackConnections: number): ApiPoint {
  const tags = { process: proc };
  const rss = gaugeOf(p, 'process_rss_bytes', tags);
  const heap = gaugeOf(p, 'nodejs_heap_size_used_bytes', tags);
  const ops = gaugeOf(p, 'powersync_operations_synced_total', tags);
  return {
    phase: p.name,
    process: proc,
    connections: gaugeOf(p, 'powersync_concurrent_connections', tags)?.last ?? fallbackConnections,
    rssMb: rss ? rss.last / MB : undefined,
    heapMb: heap ? heap.last / MB : undefined,
    cpuCores: cpuCores(p, proc),
    opsPerSecond: ops ? (ops.max - ops.min) / measuredSeconds(p) : undefined,
  };
}

/**
 * Write-rate levels: a write generator running, no actions (a compaction would confound CPU and memory), at
 * one client count (the one with the most distinct write rates).
 */
export function writeLevels(run: RunResults): WriteLevel[] {
  // A level the source database could not keep up with did not run as asked: not a sustained level.
  const writing = run.phases.filter((p) => isSteady(p) && isWritePhase(p) && isSustained(p));
  return widestGroup(writing, (p) => p.targetClients.end, writeRateOf).map((p) => {
    const replicator = processesOf(p, 'replicator-')[0];
    const tags = replicator ? { process: replicator } : { process: '' };
    const rss = gaugeOf(p, 'process_rss_bytes', tags);
    const writes = p.writes!;
    const rowsPerTx = writes.transactions && writes.rows ? writes.rows / writes.transactions : 1;
    return {
      phase: p.name,
      targetRate: writes.targetRate,
      achievedRate: writes.achievedRate,
      rowsPerSecond: writes.achievedRowsRate ?? writes.achievedRate * rowsPerTx,
      replicatorCpuCores: replicator ? cpuCores(p, replicator) : undefined,
      replicatorRssMb: rss ? rss.last / MB : undefined,
      lagMaxSeconds: gaugeOf(p, 'powersync_replication_lag_seconds', tags)?.max,
      e2eP99Ms: trendOf(p, 'e2e_latency')?.p99,
      // Bucket storage in Postgres, or in MongoDB (an external target's storage.mongodb_url).
      databaseBytes: (
        gaugeOf(p, 'pg_database_bytes', { database: 'storage' }) ??
        gaugeOf(p, 'mongodb_database_bytes', { database: 'storage' })
      )?.last,
      oplogBytes: gaugeOf(p, 'mongodb_oplog_bytes', { database: 'storage' })?.last,
      oplogMaxBytes: gaugeOf(p, 'mongodb_oplog_max_bytes', { database: 'storage' })?.last,
      rowsReplicated: gaugeOf(p, 'powersync_rows_replicated_total', tags)?.last,
      ...apiLoad(p),
    };
  });
}

function apiLoad(p: RunPhase): { apiCpuCores?: number; apiOpsPerSecond?: number } {
  const api = processesOf(p, 'api-')[0];
  if (!api) return {};
  const point = apiPoint(p, api, 0);
  return { apiCpuCores: point.cpuCores, apiOpsPerSecond: point.opsPerSecond };
}

/**
 * Every compaction action with a result, in run order. A compaction run by an external role command may
 * report only its duration: its operations examined are then estimated as one per row loaded or written
 * before it (the model the sizing applies to the profile), and the record says so.
 */
export function compactions(run: RunResults): CompactionRecord[] {
  const records: CompactionRecord[] = [];
  const dataset = run.scenario.dataset;
  let rowsSoFar = dataset ? dataset.users * dataset.rowsPerUser + dataset.lists : 0;
  for (const [index, p] of run.phases.entries()) {
    rowsSoFar += p.writes?.rows ?? Math.round((p.writes?.achievedRate ?? 0) * phaseSeconds(p));
    for (const action of p.actions ?? []) {
      const bulk = (action.result as { rows?: unknown } | undefined)?.rows;
      if (action.kind === 'large_transaction' && typeof bulk === 'number') rowsSoFar += bulk;
      if (action.kind !== 'compact') continue;
      const result = compactResultOf(action.result);
      if (result) {
        records.push({ phase: p.name, result });
        continue;
      }
      const reported = action.result as
        { durationMs?: unknown; compactOutput?: { stated?: unknown; note?: unknown } } | undefined;
      const durationMs = reported?.durationMs;
      // A job that says it found nothing to compact measured nothing: not a compaction to size from.
      if (reported?.compactOutput?.stated === 'nothing') continue;
      const said =
        (typeof reported?.compactOutput?.note === 'string' ? `; ${reported.compactOutput.note}` : '') +
        reclaimedNote(run.phases[index - 1], p);
      if (typeof durationMs === 'number' && durationMs > 0 && rowsSoFar > 0)
        records.push({
          phase: p.name,
          result: { opsExamined: rowsSoFar, durationMs },
          estimatedOps: `the compact command reported only its duration (${Math.round(durationMs)} ms): operations examined estimated as one per row loaded or written before it (${rowsSoFar})${said}`,
        });
    }
  }
  return records;
}

/**
 * What the storage probe saw around a compaction: bucket_data's size at the end of the phase before and at the
 * end of the compaction's phase. Empty when the probe did not read bucket storage.
 */
function reclaimedNote(before: RunPhase | undefined, during: RunPhase): string {
  const tags = { table: 'bucket_data' };
  const was = before && gaugeOf(before, 'pg_table_bytes', tags)?.last;
  const now = gaugeOf(during, 'pg_table_bytes', tags)?.last;
  if (was === undefined || now === undefined) return '; storage reclaimed not measured (no bucket_data size)';
  const mb = (bytes: number) => (bytes / 1_048_576).toFixed(1);
  return `; bucket_data ${mb(was)} MB before, ${mb(now)} MB after: ${mb(Math.max(0, was - now))} MB reclaimed (Postgres reuses freed pages; its files do not shrink)`;
}

/** Bucket-storage bytes (bucket_data + current_data + bucket_parameters) in the first phase. */
export function initialStorage(run: RunResults): { bytes: number; rows: number } | undefined {
  const first = run.phases[0];
  const dataset = run.scenario.dataset;
  if (!first || !dataset) return undefined;
  const tables = ['bucket_data', 'current_data', 'bucket_parameters'];
  const sum = (metric: string, tag: string) =>
    tables
      .map((table) => gaugeOf(first, metric, { database: 'storage', [tag]: table })?.last ?? 0)
      .reduce((a, b) => a + b, 0);
  // Postgres tables, or the MongoDB collections of the same names.
  const bytes = sum('pg_table_bytes', 'table') || sum('mongodb_collection_bytes', 'collection');
  const rows = dataset.users * dataset.rowsPerUser + dataset.lists;
  return bytes > 0 && rows > 0 ? { bytes, rows } : undefined;
}

/** The bucket storage the run observed: MongoDB (its probe's samples), Postgres, or neither. */
export function storageEngineOf(run: RunResults): 'mongodb' | 'postgres' | undefined {
  const has = (prefix: string) =>
    run.phases.some((p) =>
      p.aggregates.series.some((s) => s.metric.startsWith(prefix) && s.tags.database === 'storage'),
    );
  return has('mongodb_') ? 'mongodb' : has('pg_') ? 'postgres' : undefined;
}

/** One steady phase with clients, as the latency objectives see it. */
export interface LatencyLevel {
  phase: string;
  /** Connections per API process (measured, else target / containers). */
  connections: number;
  writeRate: number;
  /** p99 of each latency metric in the phase, ms (absent when it had no samples). */
  p99: Partial<Record<LatencyMetric, number>>;
  /** Mean cores of the API process(es) over the phase. */
  cpu?: number;
}

export type LatencyMetric = 'checkpoint_latency' | 'e2e_latency' | 'first_checkpoint';

/**
 * Every steady phase with clients (any write rate): the measured levels an objective is checked against.
 * Unlike connectionLevels, phases at every write rate are kept: a level that missed an objective at a lower
 * write rate misses it at a higher one too.
 */
export function latencyLevels(run: RunResults): LatencyLevel[] {
  const containers = run.scenario.target.api?.containers ?? 1;
  // Held levels only: a ramp's latency is its connects', not a level's.
  const held = run.phases.filter((p) => isSteady(p) && p.targetClients.start === p.targetClients.end);
  return held.map((p) => {
    const api = processesOf(p, 'api-').map((proc) => apiPoint(p, proc, p.targetClients.end / containers));
    const connections = api.length
      ? api.reduce((s, a) => s + a.connections, 0) / api.length
      : p.targetClients.end / containers;
    const p99: LatencyLevel['p99'] = {};
    for (const metric of ['checkpoint_latency', 'e2e_latency', 'first_checkpoint'] as const) {
      const t = trendOf(p, metric);
      if (t && t.n > 0) p99[metric] = t.p99;
    }
    const cpus = api.flatMap((a) => (a.cpuCores === undefined ? [] : [a.cpuCores]));
    return {
      phase: p.name,
      connections: Math.round(connections),
      writeRate: writeRateOf(p),
      p99,
      ...(cpus.length ? { cpu: cpus.reduce((x, y) => x + y, 0) / cpus.length } : {}),
    };
  });
}

/**
 * API CPU at every held level (any write rate; not a level the source could not sustain): the points of the
 * CPU model against connections and write rate. One point per API process.
 */
export function cpuLevels(
  run: RunResults,
): Array<{ phase: string; connections: number; rate: number; cpu: number }> {
  const containers = run.scenario.target.api?.containers ?? 1;
  const held = run.phases.filter(
    (p) => isSteady(p) && p.targetClients.start === p.targetClients.end && isSustained(p),
  );
  return held.flatMap((p) =>
    processesOf(p, 'api-').flatMap((proc) => {
      const point = apiPoint(p, proc, p.targetClients.end / containers);
      return point.cpuCores === undefined
        ? []
        : [
            {
              phase: p.name,
              connections: Math.round(point.connections),
              rate: writeRateOf(p),
              cpu: point.cpuCores,
            },
          ];
    }),
  );
}
