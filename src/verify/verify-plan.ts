import fs from 'node:fs';
import path from 'node:path';
import { parseYamlSafely } from '../yaml/index.js';
import type { Recommendations } from '../analysis/index.js';

/** What one container is asked to carry in a verification: the recommendation's own numbers. */
export interface VerifyLoad {
  /** Connections per API container with one container down (the design point of N+1). */
  connections: number;
  /** Write rate: the profile's peak with its headroom, as the sizing predicted at. */
  txPerSecond: number;
  heapMb: number;
  shape: { cpu: number; memoryMb: number };
  targetUtilisation: number;
  objectives: Array<{
    name: string;
    metric: 'checkpoint_latency' | 'e2e_latency' | 'first_checkpoint';
    ms: number;
  }>;
}

export function verifyLoad(recs: Recommendations): VerifyLoad {
  if ('infeasible' in recs.api) throw new Error(`nothing to verify: ${recs.api.infeasible}`);
  const api = recs.api;
  return {
    connections: api.connectionsPerContainerOneDown,
    txPerSecond: recs.profile.peakTxPerSecond * (1 + recs.profile.headroom),
    heapMb: api.heap.maxOldSpaceSizeMb,
    shape: api.shape,
    targetUtilisation: recs.profile.targetUtilisation,
    objectives: api.objectives.map((o) => ({ name: o.label, metric: o.metric, ms: o.objectiveMs })),
  };
}

export interface VerifyScenarioInput {
  load: VerifyLoad;
  /** The sized run's scenario block (results.json `scenario`): its dataset, sync config and compression. */
  sized: { dataset?: Record<string, unknown>; compression?: string; source?: string };
  /** An external target's scenario file to take `target` from; embedded when absent. */
  externalScenario?: string;
  steadyMs: number;
}

/**
 * The verification scenario: one API container (embedded: started with the recommended heap; external: the
 * deployment named) connected to the recommended connections, then a steady window at the peak write rate
 * with the profile's objectives as thresholds.
 */
export function verifyScenarioYaml(input: VerifyScenarioInput): string {
  const { load } = input;
  const d = input.sized.dataset ?? {};
  const syncConfig = resolveSyncConfig(d, input.sized.source);
  const connectSeconds = Math.max(8, Math.ceil(load.connections / 150));
  const steadySeconds = Math.max(5, Math.round(input.steadyMs / 1000));
  const thresholds = load.objectives.filter((o) => o.metric !== 'first_checkpoint');
  const first = load.objectives.find((o) => o.metric === 'first_checkpoint');
  const target = input.externalScenario
    ? externalTargetYaml(input.externalScenario)
    : [
        'target:',
        '  embedded:',
        '    replicators: 1',
        `    api: { containers: 1, heap_mb: ${load.heapMb}, max_concurrent_connections: ${Math.ceil(load.connections * 1.1) + 10} }`,
      ].join('\n');
  return [
    '# Written by syncscale verify: one container at the recommended load.',
    'name: verify',
    `description: ${load.connections} connections at ${round(load.txPerSecond)} tx/s on one API container`,
    ...(input.sized.compression ? [`compression: ${input.sized.compression}`] : []),
    target,
    'dataset:',
    `  users: ${num(d.users, 1000)}`,
    `  rows_per_user: ${num(d.rowsPerUser, 5)}`,
    `  row_size_bytes: ${num(d.rowSizeBytes, 256)}`,
    `  lists: ${num(d.lists, 10)}`,
    ...(syncConfig ? [`  sync_config: ${JSON.stringify(syncConfig)}`] : []),
    'phases:',
    '  - name: connect',
    `    duration: ${connectSeconds}s`,
    `    clients: { constant: ${load.connections} }`,
    ...(first ? ['    thresholds:', `      first_checkpoint: ['p(99) < ${first.ms}']`] : []),
    '  - name: steady',
    `    duration: ${steadySeconds}s`,
    `    clients: { constant: ${load.connections} }`,
    `    writes: { constant: ${round(load.txPerSecond)}, mix: { insert: 1, update: 3, delete: 1 } }`,
    ...(thresholds.length
      ? ['    thresholds:', ...thresholds.map((o) => `      ${o.metric}: ['p(99) < ${o.ms}']`)]
      : []),
    'limits:',
    `  max_duration: ${connectSeconds + steadySeconds + 240}s`,
    '',
  ].join('\n');
}

function resolveSyncConfig(d: Record<string, unknown>, source: string | undefined): string | undefined {
  const raw =
    typeof d.syncConfigPath === 'string'
      ? d.syncConfigPath
      : typeof d.syncConfig === 'string'
        ? d.syncConfig
        : undefined;
  if (!raw) return undefined;
  // A run saved on another machine names a path that may not exist here: the default config then.
  const candidates = path.isAbsolute(raw)
    ? [raw]
    : [...(source ? [path.resolve(path.dirname(source), raw)] : []), path.resolve(raw)];
  return candidates.find((c) => fs.existsSync(c));
}

function externalTargetYaml(file: string): string {
  const parsed = parseYamlSafely(fs.readFileSync(file, 'utf8')).value as { target?: unknown } | null;
  if (!parsed?.target) throw new Error(`${file}: no target block to verify against`);
  const text = fs.readFileSync(file, 'utf8');
  // The block as written (so `!env` references stay references): from `target:` to the next top-level key.
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^target:/.test(l));
  let end = start + 1;
  while (
    end < lines.length &&
    (/^\s/.test(lines[end]!) || lines[end]!.trim() === '' || lines[end]!.startsWith('#'))
  )
    end++;
  return lines.slice(start, end).join('\n').trimEnd();
}

const num = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
const round = (x: number) => Math.round(x * 10) / 10;
