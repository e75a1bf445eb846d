import type { WindowAggregates } from '../metrics/index.js';
import type { Drill } from './drill-file.js';
import { overlappingHolders, type DrillEvent, type LockSpan, type Timeline } from './timeline.js';
import type { Verification } from './verify-clients.js';

/** What one step did and measured. */
export interface StepRecord {
  name: string;
  kind: string;
  startedAt: number;
  endedAt: number;
  subject?: string;
  signal?: 'SIGTERM' | 'SIGKILL';
  handover?: {
    signalledAt: number;
    releasedAt?: number;
    acquiredAt: number;
    firstCheckpointAt?: number;
    newHolder: string;
  };
  /** After a command step: when every client was synced again, ms from the step's start (undefined: never). */
  clientsBackMs?: number;
  rolls?: Array<{ process: string; replacement: string; at: number; drainMs: number; allBackMs?: number }>;
  /** A fault step: when it struck, when the failed part was back, when replication and clients recovered. */
  recovery?: { faultAt: number; upAt: number; replicationResumedAt?: number; clientsBackAt?: number };
  /** Figures printed as the step ends. */
  figures: Record<string, string>;
  error?: string;
}

/** One verdict check: what was measured against what the drill allows. */
export interface DrillCheck {
  name: string;
  passed: boolean;
  observed: string;
  limit: string;
}

export interface DrillResults {
  drill: string;
  verdict: 'PASS' | 'FAIL';
  reasons: string[];
  checks: DrillCheck[];
  startedAt: number;
  endedAt: number;
  status: 'completed' | 'error' | 'interrupted' | 'timed out';
  error?: string;
  steps: StepRecord[];
  events: DrillEvent[];
  lockSpans: LockSpan[];
  lockTable?: Array<{ at: number; name: string; lockId: string | null }>;
  figures: {
    /** Longest interval without a checkpoint advance after load started, ms. */
    replicationGapMs?: number;
    /** Worst end-to-end latency of a write (commit → client), ms: the replication lag clients saw. */
    maxLagMs?: number;
    reconnects: number;
    /** Peak reconnects in one second. */
    peakReconnectsPerSecond: number;
    /** p99 first-checkpoint time of the (re)connections made during the API roll, ms. */
    firstCheckpointP99AfterReconnectMs?: number;
    errorsByCode: Record<string, number>;
    checksumFailures: number;
    writes?: { committed: number; failed: number };
  };
  verification?: Verification;
  /** Series for the timeline chart. */
  series: {
    synced: Array<{ at: number; synced: number }>;
    reconnectsPerSecond: Array<{ at: number; count: number }>;
    checkpointAdvances: number[];
  };
  summary: string;
}

export interface DecideInput {
  drill: Drill;
  startedAt: number;
  loadStartedAt: number;
  endedAt: number;
  timeline: Timeline;
  steps: StepRecord[];
  verification: Verification | undefined;
  storage:
    | { advances: number[]; holderChanges: Array<{ at: number; name: string; lockId: string | null }> }
    | undefined;
  windows: WindowAggregates[];
  cumulative: WindowAggregates;
  writes: { committed: number; failed: number } | undefined;
  reconnectTimes: number[];
  synced: Array<{ at: number; synced: number }>;
  clients: number;
  failure: string | undefined;
  interrupted: boolean;
  timedOut: boolean;
}

function trend(window: WindowAggregates | undefined, metric: string) {
  const found = window?.series.find(
    (s) => s.metric === metric && Object.keys(s.tags).length === 0,
  )?.aggregate;
  return found?.kind === 'trend' ? found : undefined;
}

function counterSum(
  window: WindowAggregates,
  metric: string,
): { total: number; byTag: Record<string, number> } {
  let total = 0;
  const byTag: Record<string, number> = {};
  for (const s of window.series) {
    if (s.metric !== metric || s.aggregate.kind !== 'counter') continue;
    total += s.aggregate.count;
    const code = s.tags.code;
    if (code) byTag[code] = (byTag[code] ?? 0) + s.aggregate.count;
  }
  return { total, byTag };
}

const ms = (n: number) => `${Math.round(n)} ms`;

/** One fault step in the summary: what struck and how long each part took to recover. */
function faultLine(step: StepRecord): string {
  const r = step.recovery!;
  const moving = r.replicationResumedAt !== undefined ? ms(r.replicationResumedAt - r.faultAt) : 'never';
  if (step.kind === 'large_transaction') {
    return `${step.figures.rows} rows in one transaction${step.figures.killed ? `, ${step.figures.killed}` : ''}; checkpointed ${moving} after the commit`;
  }
  return `${step.subject} down ${ms(r.upAt - r.faultAt)}; replication moving ${moving} after the fault, every client synced ${r.clientsBackAt !== undefined ? ms(r.clientsBackAt - r.faultAt) : 'never'} after it`;
}

/** Turns what the drill observed into its figures, checks and PASS/FAIL verdict with reasons. */
export function decide(input: DecideInput): DrillResults {
  const { drill, steps } = input;
  const spans = input.timeline.lockSpans(input.endedAt);
  const checks: DrillCheck[] = [];
  const check = (name: string, passed: boolean, observed: string, limit: string) =>
    checks.push({ name, passed, observed, limit });

  // The lock: never two holders at once, by the replicators' own account (acquired … released/exit).
  const overlaps = overlappingHolders(spans);
  check(
    'one replicator at a time',
    overlaps.length === 0,
    overlaps.length === 0
      ? 'never two holders'
      : `two replicators held the lock at once: ${overlaps.map((o) => `${o.a.holder} and ${o.b.holder} for ${ms(o.overlapMs)}`).join('; ')}`,
    'no overlap',
  );
  for (const step of steps.filter((s) => s.kind === 'start_replicator')) {
    const standby = input.timeline.first((e) => e.subject === step.subject && e.kind === 'standby');
    check(
      `${step.subject} stood by while the lock was held`,
      standby !== undefined,
      standby ? 'PSYNC_S1003 reported' : 'never reported standby',
      'PSYNC_S1003',
    );
  }
  for (const step of steps.filter((s) => s.kind === 'stop_replicator')) {
    const limit =
      step.signal === 'SIGKILL'
        ? drill.thresholds.handoverAfterSigkillMs
        : drill.thresholds.handoverAfterSigtermMs;
    const h = step.handover;
    check(
      `hand-over after ${step.signal} of ${step.subject}`,
      h !== undefined && h.acquiredAt - h.signalledAt <= limit && h.firstCheckpointAt !== undefined,
      h
        ? `${h.newHolder} acquired ${ms(h.acquiredAt - h.signalledAt)} after the signal${h.firstCheckpointAt ? `, first checkpoint ${ms(h.firstCheckpointAt - h.signalledAt)}` : ', no checkpoint since'}`
        : (step.error ?? 'no replicator took over'),
      `≤ ${ms(limit)}`,
    );
  }
  for (const step of steps.filter((s) => s.kind === 'roll_api')) {
    for (const roll of step.rolls ?? []) {
      check(
        `clients back after draining ${roll.process}`,
        roll.allBackMs !== undefined && roll.allBackMs <= drill.thresholds.clientsBackWithinMs,
        roll.allBackMs === undefined
          ? 'not every client synced again'
          : `every client synced ${ms(roll.allBackMs)} after the drain began`,
        `≤ ${ms(drill.thresholds.clientsBackWithinMs)}`,
      );
    }
  }
  for (const step of steps.filter((s) => s.kind === 'command')) {
    check(
      `clients back after ${step.name}`,
      step.clientsBackMs !== undefined && step.clientsBackMs <= drill.thresholds.clientsBackWithinMs,
      step.clientsBackMs === undefined
        ? 'not every client synced again'
        : `every client synced ${ms(step.clientsBackMs)} after the step began`,
      `≤ ${ms(drill.thresholds.clientsBackWithinMs)}`,
    );
    const changes = (input.storage?.holderChanges ?? []).filter(
      (c) => c.at >= step.startedAt && c.at <= nextStart(steps, step, input.endedAt),
    );
    const taken = changes.find((c) => c.lockId !== null);
    if (changes.length > 0)
      step.figures.lockTable = changes
        .map(
          (c) => `+${ms(c.at - step.startedAt)} ${c.lockId ? `holder ${c.lockId.slice(0, 8)}` : 'no holder'}`,
        )
        .join(', ');
    if (taken) step.figures.newHolderMs = String(taken.at - step.startedAt);
  }
  for (const step of steps.filter((s) => s.recovery)) {
    const r = step.recovery!;
    const what =
      step.kind === 'large_transaction' ? `${step.figures.rows} rows in one transaction` : step.subject;
    const recoveredMs = r.replicationResumedAt !== undefined ? r.replicationResumedAt - r.upAt : undefined;
    check(
      step.kind === 'large_transaction'
        ? `${what} checkpointed${step.signal ? ' across the replicator kill' : ''}`
        : `replication moving again after restarting ${what}`,
      recoveredMs !== undefined && recoveredMs <= drill.thresholds.recoveredWithinMs,
      recoveredMs === undefined
        ? 'never'
        : `${ms(recoveredMs)} after ${step.kind === 'large_transaction' ? 'the commit' : 'the server was back'}`,
      `≤ ${ms(drill.thresholds.recoveredWithinMs)}`,
    );
    if (step.kind !== 'large_transaction') {
      check(
        `clients back after restarting ${what}`,
        step.clientsBackMs !== undefined && step.clientsBackMs <= drill.thresholds.clientsBackWithinMs,
        step.clientsBackMs === undefined
          ? 'not every client synced again'
          : `every client synced ${ms(step.clientsBackMs)} after the step began`,
        `≤ ${ms(drill.thresholds.clientsBackWithinMs)}`,
      );
    }
  }
  for (const step of steps.filter((s) => s.error)) check(`${step.name} ran`, false, step.error!, 'no error');

  const v = input.verification;
  check(
    'lost writes',
    v !== undefined && v.lostRows <= drill.thresholds.lostOps,
    v
      ? `${v.lostRows} rows missing from a client (${v.missing} client-rows; ${v.mismatched} differ, ${v.phantom} phantom)`
      : 'not verified',
    `≤ ${drill.thresholds.lostOps}`,
  );
  check(
    'duplicated ops',
    v !== undefined && v.duplicatedOps <= drill.thresholds.duplicatedOps,
    v ? `${v.duplicatedOps}` : 'not verified',
    `≤ ${drill.thresholds.duplicatedOps}`,
  );
  if (v)
    check(
      'rows as in the source',
      v.mismatched === 0 && v.phantom === 0,
      `${v.mismatched} differ, ${v.phantom} phantom`,
      '0',
    );
  const failures = counterSum(input.cumulative, 'checksum_failures').total;
  check(
    'checksum failures',
    failures <= drill.thresholds.checksumFailures,
    String(failures),
    `≤ ${drill.thresholds.checksumFailures}`,
  );

  const advances = input.storage?.advances.filter((t) => t >= input.loadStartedAt) ?? [];
  let gap: number | undefined;
  for (let i = 1; i < advances.length; i++) gap = Math.max(gap ?? 0, advances[i]! - advances[i - 1]!);
  const perSecond = new Map<number, number>();
  for (const t of input.reconnectTimes)
    perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
  const rollWindows = steps
    .filter((s) => s.kind === 'roll_api')
    .map((s) => input.windows.find((w) => w.name === s.name));
  const firstCheckpoint = rollWindows
    .map((w) => trend(w, 'first_checkpoint')?.p99)
    .filter((x): x is number => x !== undefined);
  const errors = counterSum(input.cumulative, 'errors');

  const status: DrillResults['status'] = input.failure
    ? 'error'
    : input.interrupted
      ? 'interrupted'
      : input.timedOut
        ? 'timed out'
        : 'completed';
  if (status !== 'completed') check('drill completed', false, input.failure ?? status, 'completed');
  const reasons = checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.observed} (limit ${c.limit})`);
  const verdict = reasons.length === 0 ? 'PASS' : 'FAIL';
  const figures: DrillResults['figures'] = {
    replicationGapMs: gap,
    maxLagMs: trend(input.cumulative, 'e2e_latency')?.max,
    reconnects: input.reconnectTimes.length,
    peakReconnectsPerSecond: Math.max(0, ...perSecond.values()),
    firstCheckpointP99AfterReconnectMs: firstCheckpoint.length ? Math.max(...firstCheckpoint) : undefined,
    errorsByCode: errors.byTag,
    checksumFailures: failures,
    writes: input.writes ? { committed: input.writes.committed, failed: input.writes.failed } : undefined,
  };
  const results: DrillResults = {
    drill: drill.name,
    verdict,
    reasons,
    checks,
    startedAt: input.startedAt,
    endedAt: input.endedAt,
    status,
    ...(input.failure ? { error: input.failure } : {}),
    steps,
    events: input.timeline.events,
    lockSpans: spans,
    lockTable: input.storage?.holderChanges,
    figures,
    verification: v,
    series: {
      synced: input.synced,
      reconnectsPerSecond: [...perSecond]
        .map(([s, count]) => ({ at: s * 1000, count }))
        .sort((a, b) => a.at - b.at),
      checkpointAdvances: advances,
    },
    summary: '',
  };
  results.summary = summaryText(results);
  return results;
}

function nextStart(steps: readonly StepRecord[], step: StepRecord, end: number): number {
  const next = steps[steps.indexOf(step) + 1];
  return next ? next.startedAt : end;
}

function summaryText(r: DrillResults): string {
  const f = r.figures;
  const handovers = r.steps
    .filter((s) => s.handover)
    .map(
      (s) =>
        `${s.signal} → ${s.handover!.newHolder} in ${ms(s.handover!.acquiredAt - s.handover!.signalledAt)}`,
    );
  const rolls = r.steps.flatMap((s) => s.rolls ?? []);
  const lines = [
    `Drill ${r.drill}: ${r.verdict}`,
    `  hand-over: ${handovers.join('; ') || '—'}`,
    `  replication gap ${f.replicationGapMs !== undefined ? ms(f.replicationGapMs) : '—'}, max lag (e2e) ${f.maxLagMs !== undefined ? ms(f.maxLagMs) : '—'}`,
    `  API roll: ${rolls.map((x) => `${x.process} drained in ${ms(x.drainMs)}, all clients back in ${x.allBackMs !== undefined ? ms(x.allBackMs) : 'never'}`).join('; ') || '—'}`,
    ...r.steps.filter((s) => s.recovery).map((s) => `  fault ${s.name}: ${faultLine(s)}`),
    `  reconnects ${f.reconnects} (peak ${f.peakReconnectsPerSecond}/s), first-checkpoint p99 after reconnect ${f.firstCheckpointP99AfterReconnectMs !== undefined ? ms(f.firstCheckpointP99AfterReconnectMs) : '—'}`,
    `  writes ${f.writes ? `${f.writes.committed} committed, ${f.writes.failed} failed` : '—'}; ${r.verification ? `${r.verification.lostRows} lost, ${r.verification.duplicatedOps} duplicated ops over ${r.verification.clients} clients (${r.verification.expectedRows} client-rows checked)` : 'not verified'}; checksum failures ${f.checksumFailures}`,
    `  errors by code: ${
      Object.entries(f.errorsByCode)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ') || 'none'
    }`,
  ];
  for (const reason of r.reasons) lines.push(`  FAIL: ${reason}`);
  return lines.join('\n');
}
