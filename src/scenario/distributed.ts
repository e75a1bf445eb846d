import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromFleetClock, type MintedTokenAuth } from '../fleet/index.js';
import { mergeWindows, parseThresholds, phaseAggregates, type WindowAggregates } from '../metrics/index.js';
import { redactor } from '../redact/index.js';
import { abortableSleep } from './abortable-sleep.js';
import { awaitStart, keepHeartbeat, openBarrier, shardMember, silentShards } from './barrier.js';
import { ServiceProcess } from './child-processes.js';
import { connectExternalTarget } from './external-target.js';
import { RUN_METRIC_KINDS, thresholdOutcomes } from './run-phase.js';
import type { RunState } from './run-state.js';
import type { PreparedData } from './run-steps.js';
import { shardUsers, type Shard } from './shard-plan.js';
import type { Phase, Scenario } from './types.js';
import { datasetUserIds, defaultWriterTable } from '../writers/index.js';

/** How a run takes part in a distributed run: the coordinator of N shards, or one shard. */
export type Distributed =
  | {
      role: 'coordinator';
      shards: number;
      runKey: string;
      /** `--generators N`: the shards are processes this coordinator starts on this machine. */
      local?: { scenarioPath: string };
      /** Where remote shards write their run directories (a shared volume), to merge them. */
      shardResultsDir?: string;
    }
  | { role: 'shard'; shard: Shard; runKey: string; target?: SharedTarget };

/** What a shard needs of a target the coordinator started: handed over in its environment, never a file. */
export interface SharedTarget {
  endpoints: string[];
  sourceUrl: string;
  auth: MintedTokenAuth;
}

export const SHARD_TARGET_ENV = 'SYNCSCALE_SHARD_TARGET';

/** The barrier's time to wait for every member: shards may still be starting (image pulls on Kubernetes). */
const BARRIER_TIMEOUT_MS = 180_000;

/** What one shard contributed, or why it did not. */
export interface ShardOutcome {
  index: number;
  runId?: string;
  results?: ShardResults;
  /** Why the shard's results are missing or partial (it died, its file is absent). */
  problem?: string;
}

interface ShardResults {
  runId: string;
  status?: string;
  clockOffset?: unknown;
  phases: Array<{
    name: string;
    targetClients: { start: number; end: number };
    aggregates?: WindowAggregates;
    validity?: { valid: boolean; reasons: string[] };
    settle?: { excludedSamples: Record<string, number> };
  }>;
}

/**
 * A shard's side of "prepare the target": nothing is started or loaded (the coordinator did that); it
 * connects to the same target and takes its share of the dataset's users.
 */
export async function joinTarget(
  run: RunState,
  shard: Extract<Distributed, { role: 'shard' }>,
  scenario: Scenario,
): Promise<PreparedData> {
  const all = datasetUserIds(scenario.dataset.users);
  const users = shardUsers(all, shard.shard);
  if (shard.target) {
    const t = shard.target;
    // Handed over in the environment: never written, and redacted wherever it might be.
    redactor.add(t.auth.key.k);
    redactor.addUrl(t.sourceUrl);
    run.target = {
      endpoints: t.endpoints,
      sourceUrl: t.sourceUrl,
      auth: t.auth,
      workerAuth: t.auth,
      databases: [],
      serviceProcesses: () => [],
      blind: [],
      compact: () => Promise.reject(new Error('a shard runs no actions')),
      restart: () => Promise.reject(new Error('a shard runs no actions')),
      killReplicator: () => Promise.reject(new Error('a shard runs no actions')),
      stop: () => Promise.resolve(),
    };
  } else if (scenario.target.kind === 'external') {
    const external = await connectExternalTarget(scenario.target, scenario.dataset);
    // The coordinator probes the service; a shard probes only itself.
    run.target = { ...external, databases: [], serviceProcesses: () => [], mongodbStorageUrl: undefined };
  } else {
    throw new Error(
      'a shard of an embedded target needs the target its coordinator started: use --generators N, or an external target',
    );
  }
  run.options.out(
    `shard ${shard.shard.index}/${shard.shard.count}: ${users.length} users, target ${run.target.endpoints.join(', ')}\n`,
  );
  return { users, table: defaultWriterTable(users), keys: undefined, rows: 0, loadedAt: Date.now() };
}

/**
 * Every member starts the phases at one moment: the coordinator opens the barrier once its shards are
 * present (starting them first with --generators), a shard waits for it; both then sleep until the published
 * start, read on their own clock through the measured offset.
 */
export async function startTogether(run: RunState, distributed: Distributed): Promise<number> {
  const db = run.source!;
  let startDb: number;
  if (distributed.role === 'coordinator') {
    if (distributed.local) startLocalShards(run, distributed);
    run.options.out(
      `Waiting for ${distributed.shards} shard(s) at the barrier (run key ${distributed.runKey})…\n`,
    );
    startDb = await openBarrier(db, distributed.runKey, distributed.shards, BARRIER_TIMEOUT_MS, run.stop);
  } else {
    const member = shardMember(distributed.shard.index);
    startDb = await awaitStart(db, distributed.runKey, member, BARRIER_TIMEOUT_MS, run.stop);
    run.stopHeartbeat = keepHeartbeat(db, distributed.runKey, member);
  }
  // The start is the database's clock; the fleet's reads `offset` ahead of it.
  const startLocal = fromFleetClock(startDb + (run.clock.before?.offsetMs ?? 0));
  run.dir.line(`barrier: start at ${new Date(startLocal).toISOString()} (run key ${distributed.runKey})`);
  await abortableSleep(Math.max(0, startLocal - Date.now()), run.stop);
  return startLocal;
}

/**
 * Every member starts phase k at the barrier's start plus the durations of the phases before it, and ends it
 * at its slot's end: shards and coordinator change phase together. A member that is late (judging the
 * previous phase, a compaction that overran) starts at once and runs the rest of the slot — a phase that ran
 * its full length from a late start ended after the other members had moved on, and its last readings were
 * theirs (a coordinator ~1 s behind read the next phase's 500 connections as the 2,000 level's). Returns the
 * phase to run, shortened by the lateness.
 */
export async function waitForPhaseSlot(run: RunState, startLocal: number, index: number): Promise<Phase> {
  const phase = run.scenario.phases[index]!;
  const at = startLocal + run.scenario.phases.slice(0, index).reduce((sum, p) => sum + p.durationMs, 0);
  const wait = at - Date.now();
  if (wait > 0) await abortableSleep(wait, run.stop);
  else if (wait < -1000) run.dir.line(`phase ${phase.name} started ${-wait} ms after its slot`);
  const late = Math.max(0, Date.now() - at);
  if (late === 0) return phase;
  const durationMs = Math.max(0, phase.durationMs - late);
  return { ...phase, durationMs, settleMs: Math.min(phase.settleMs, Math.floor(durationMs / 2)) };
}

/** `--generators N`: N shard processes of this machine, each `syncscale run … --shard i/N`. */
function startLocalShards(run: RunState, d: Extract<Distributed, { role: 'coordinator' }>): void {
  const target = run.target!;
  const shared: SharedTarget = {
    endpoints: target.endpoints,
    sourceUrl: target.sourceUrl,
    auth: target.workerAuth as MintedTokenAuth,
  };
  const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/syncscale.js');
  const dir = path.join(run.dir.path, 'shards');
  fs.mkdirSync(dir, { recursive: true });
  for (let index = 0; index < d.shards; index++) {
    const child = new ServiceProcess(
      `shard-${index}`,
      [
        bin,
        'run',
        d.local!.scenarioPath,
        '--shard',
        `${index}/${d.shards}`,
        '--run-key',
        d.runKey,
        '--reports-dir',
        path.join(dir, `shard-${index}`),
      ],
      { cwd: process.cwd(), log: run.dir.log, env: { [SHARD_TARGET_ENV]: JSON.stringify(shared) } },
    );
    run.shardProcesses.push(child);
    run.dir.line(`shard ${index} started: pid ${child.pid}`);
  }
}

/** After each phase: shards that stopped beating, named once. */
export async function checkShards(run: RunState, distributed: Distributed, phase: string): Promise<void> {
  if (distributed.role !== 'coordinator' || !run.source) return;
  const silent = await silentShards(run.source, distributed.runKey).catch(() => []);
  for (const s of silent) {
    const index = Number(s.member.replace('shard-', ''));
    if (run.shardsLost.has(index)) continue;
    run.shardsLost.set(
      index,
      `shard ${index} stopped during phase ${phase} (no heartbeat for ${Math.round(s.silentMs / 1000)} s)`,
    );
    run.dir.line(run.shardsLost.get(index)!);
  }
}

/** The coordinator's end: waits for its shards' results (processes or a shared directory), then merges. */
export async function collectShards(
  run: RunState,
  d: Extract<Distributed, { role: 'coordinator' }>,
): Promise<void> {
  const deadline = Date.now() + 60_000;
  if (d.local) {
    // The timer is cancelled once the shards are done: it must not hold the process open.
    const done = new AbortController();
    await Promise.race([
      Promise.all(run.shardProcesses.map((p) => p.exited)),
      abortableSleep(Math.max(0, deadline - Date.now()), AbortSignal.any([run.stop, done.signal])),
    ]);
    done.abort();
  }
  const dir = d.shardResultsDir ?? path.join(run.dir.path, 'shards');
  const outcomes: ShardOutcome[] = [];
  for (let index = 0; index < d.shards; index++) {
    const shardDir = path.join(dir, `shard-${index}`);
    let file: string | undefined;
    while (!(file = findShardResults(shardDir)) && !d.local && Date.now() < deadline && !run.stop.aborted)
      await abortableSleep(1_000, run.stop);
    const outcome = file
      ? readShardRun(file, index)
      : { index, problem: `shard ${index}: no results.json under ${dir}` };
    const lost = run.shardsLost.get(index);
    outcomes.push(lost ? { ...outcome, problem: lost } : outcome);
  }
  // Its own figures, kept beside the merge: `syncscale merge` starts from them when shards come later.
  run.dir.writeJson('results.coordinator.json', run.results());
  run.shards = outcomes;
  applyShards(run);
}

/** results.json's account of each shard: its run, its clock offset, and any problem. */
export function shardMembers(shards: readonly ShardOutcome[]) {
  return [...shards]
    .sort((a, b) => a.index - b.index)
    .map((s) => ({
      index: s.index,
      runId: s.runId,
      clockOffset: s.results?.clockOffset,
      ...(s.problem ? { problem: s.problem } : {}),
    }));
}

/** A shard's results.json: in `dir` itself (a run directory), or in the newest run directory inside it. */
export function findShardResults(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const direct = path.join(dir, 'results.json');
  if (fs.existsSync(direct)) return direct;
  for (const entry of fs.readdirSync(dir).sort().reverse()) {
    const file = path.join(dir, entry, 'results.json');
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/** A phase as merging needs it: the coordinator's record with its own aggregates. */
export interface MergeablePhase {
  name: string;
  targetClients: { start: number; end: number };
  aggregates?: WindowAggregates;
  thresholds: Array<{
    key: string;
    expression: string;
    passed: boolean;
    observed?: number | null;
    status?: string;
    reason?: string;
  }>;
  validity?: { valid: boolean; reasons: string[]; notes?: string[] };
  settle?: { start: number; measuredFrom: number; excludedSamples: Record<string, number> };
}

/**
 * One phase with its shards' clients: windows merged, client counts summed, its thresholds evaluated again on
 * the merged figures (from their stored key and expression), and the phase made invalid, with the shard
 * named, where a shard did not measure it (invalid, or lost). Pure: the coordinator and `syncscale merge`
 * both use it.
 */
export function mergePhase<P extends MergeablePhase>(
  phase: P,
  shards: readonly ShardOutcome[],
): P & { aggregates?: WindowAggregates } {
  if (!phase.aggregates) return phase;
  const parts = [{ source: 'coordinator', window: phase.aggregates }];
  let clientsStart = 0;
  let clientsEnd = 0;
  const reasons: string[] = [];
  const excluded: Record<string, number> = { ...phase.settle?.excludedSamples };
  for (const shard of shards) {
    const own = shard.results?.phases.find((p) => p.name === phase.name);
    if (!own?.aggregates) {
      reasons.push(shard.problem ?? `shard ${shard.index}: no figures for this phase`);
      continue;
    }
    parts.push({ source: `shard-${shard.index}`, window: own.aggregates });
    clientsStart += own.targetClients.start;
    clientsEnd += own.targetClients.end;
    // What the shards' settle windows left out is the phase's too.
    if (phase.settle && own.settle)
      for (const [metric, n] of Object.entries(own.settle.excludedSamples))
        excluded[metric] = (excluded[metric] ?? 0) + n;
    if (own.validity && !own.validity.valid)
      reasons.push(...own.validity.reasons.map((r) => `shard ${shard.index}: ${r}`));
  }
  const merged = mergeWindows(parts);
  const declared: Record<string, string[]> = {};
  for (const t of phase.thresholds) (declared[t.key] ??= []).push(t.expression);
  const parsed = parseThresholds(declared, {
    path: `phases.${phase.name}.thresholds`,
    kinds: RUN_METRIC_KINDS,
  });
  const thresholds = parsed.ok ? thresholdOutcomes(parsed.thresholds, merged) : phase.thresholds;
  const validity =
    reasons.length > 0 && phase.validity
      ? { ...phase.validity, valid: false, reasons: [...phase.validity.reasons, ...reasons] }
      : phase.validity;
  return {
    ...phase,
    aggregates: merged,
    targetClients: { start: clientsStart, end: clientsEnd },
    thresholds,
    ...(validity ? { validity } : {}),
    ...(phase.settle ? { settle: { ...phase.settle, excludedSamples: excluded } } : {}),
  };
}

/** The coordinator's phases with its shards' figures merged in (after its own phases ended). */
export function applyShards(run: RunState): void {
  const snapshot = run.registry.snapshot();
  run.phases.forEach((record, i) => {
    const own = phaseAggregates(snapshot.windows, record.name)?.aggregates;
    if (!own) return;
    const merged = mergePhase({ ...record, aggregates: own }, run.shards);
    run.phases[i] = { ...record, ...merged };
  });
}

/** A shard's results.json as a merge takes it: its index (as the shard recorded it, else `index`), any problem. */
export function readShardRun(file: string, index: number): ShardOutcome {
  const results = JSON.parse(fs.readFileSync(file, 'utf8')) as ShardResults & {
    distributed?: { shard?: string };
  };
  const label = results.distributed?.shard;
  const own = label ? Number(label.split('/')[0]) : index;
  const problem =
    results.status !== 'completed' ? `shard ${own} ended ${results.status ?? 'unknown'}` : undefined;
  return { index: own, runId: results.runId, results, ...(problem ? { problem } : {}) };
}
