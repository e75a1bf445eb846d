import type pg from 'pg';
import type { Fleet, WorkerFleet } from '../fleet/index.js';
import {
  MetricRegistry,
  phaseAggregates,
  SamplesWriter,
  type Sample,
  type SampleSink,
} from '../metrics/index.js';
import { machineFingerprint, type MachineFingerprint, type ProbeScheduler } from '../probes/index.js';
import type { ClientPool } from './client-controller.js';
import { killAllServiceProcesses } from './child-processes.js';
import type { startExampleBackend } from './example-backend.js';
import type { RunTarget as RunningTarget } from './external-target.js';
import { formatPlan } from './format-plan.js';
import type { RunValidity } from './phase-validity.js';
import { planScenario } from './plan-scenario.js';
import type { RunPlan } from './plan-types.js';
import { ProgressLine } from './progress-line.js';
import { observedSources, redactFilesIn } from './run-outputs.js';
import { RUN_METRIC_KINDS, type PhaseRecord } from './run-phase.js';
import { RunDirectory } from './run-directory.js';
import { scenarioRecord } from './scenario-record.js';
import type { ClockOffset } from './clock-offset.js';
import type { ServiceProcess } from './child-processes.js';
import { shardMembers, type Distributed, type ShardOutcome } from './distributed.js';
import type { InitialReplication } from './settled-start.js';
import type { Scenario } from './types.js';

/** What a run's steps need from the caller (see RunOptions in run-scenario.ts). */
export interface RunStateOptions {
  reportsDir: string;
  /** Part of a distributed run: the coordinator of N shards, or one shard. */
  distributed?: Distributed;
  out: (text: string) => void;
  signal: AbortSignal;
  progressIntervalMs?: number;
}

/**
 * Everything one run holds while it goes: the run directory and its samples, the registry, the deadline, the
 * target and what was started on it (probes, clients, source pool, example backend), the phases so far and
 * the verdicts. The steps of run-scenario.ts fill it in; `stopEverything` undoes every one of them.
 */
export class RunState {
  readonly registry = new MetricRegistry({ kinds: RUN_METRIC_KINDS, firstWindow: 'setup' });
  /** The load generator's own samples (event loop, CPU): each phase's saturation is judged on them. */
  readonly selfSamples: Sample[] = [];
  readonly sink: SampleSink;
  readonly phases: PhaseRecord[] = [];
  readonly deadline: AbortSignal;
  /** Aborted on Ctrl-C or at the deadline. */
  readonly stop: AbortSignal;
  readonly progress: ProgressLine;
  readonly startedAt = Date.now();
  validity: RunValidity = { valid: true, reasons: [], invalidPhases: [] };
  target: RunningTarget | undefined;
  scheduler: ProbeScheduler | undefined;
  fleets: Fleet[] = [];
  workerFleets: WorkerFleet[] = [];
  pools: ClientPool[] = [];
  source: pg.Pool | undefined;
  backend: Awaited<ReturnType<typeof startExampleBackend>> | undefined;
  failure: unknown;
  initialReplication: InitialReplication | undefined;
  /** A distributed run's shards: their processes (--generators), the ones lost, and what each gave. */
  readonly shardProcesses: ServiceProcess[] = [];
  readonly shardsLost = new Map<number, string>();
  shards: ShardOutcome[] = [];
  /** A shard's heartbeat at the barrier, stopped (and marked done) when the run ends. */
  stopHeartbeat: (() => Promise<void>) | undefined;
  /** The fleet's clock against the source database's, before and after the phases. */
  readonly clock: { before?: ClockOffset; after?: ClockOffset } = {};
  /** Bucket definitions of the sync config: part of the scenario shape a calibration depends on. */
  syncConfigBuckets: number | null = null;
  private readonly deadlineTimer: NodeJS.Timeout;

  private constructor(
    readonly scenario: Scenario,
    readonly options: RunStateOptions,
    readonly plan: RunPlan,
    readonly dir: RunDirectory,
    private readonly samples: SamplesWriter,
    /** Stored with the results: the gate refuses to compare machine-dependent figures across machines. */
    readonly machine: MachineFingerprint,
  ) {
    this.sink = {
      add: (sample) => {
        this.registry.add(sample);
        this.samples.add(sample);
        if (sample.metric.startsWith('generator_')) this.selfSamples.push(sample);
      },
    };
    const deadline = new AbortController();
    this.deadlineTimer = setTimeout(() => deadline.abort(), scenario.limits.maxDurationMs);
    this.deadline = deadline.signal;
    this.stop = AbortSignal.any([options.signal, this.deadline]);
    this.progress = new ProgressLine(options.out, options.progressIntervalMs ?? 2000);
  }

  /** Creates the run directory (printing the plan) and opens its samples. */
  static async open(scenario: Scenario, options: RunStateOptions): Promise<RunState> {
    const plan = planScenario(scenario);
    const dir = RunDirectory.create(options.reportsDir, scenario.name);
    options.out(`syncscale run ${scenario.name} → ${dir.path}\n${formatPlan(plan)}\n`);
    dir.line(`run ${dir.id} started; scenario ${scenario.sourcePath ?? scenario.name}`);
    const samples = await SamplesWriter.open(dir.path);
    return new RunState(scenario, options, plan, dir, samples, await machineFingerprint());
  }

  fail(error: unknown): void {
    this.failure = error;
    this.dir.line(`run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }

  /** Stops the fleet, the writers' pool, the probes, the backend, the service processes and Postgres. */
  async stopEverything(): Promise<void> {
    clearTimeout(this.deadlineTimer);
    this.progress.stop();
    await this.stopHeartbeat?.();
    for (const shard of this.shardProcesses) shard.kill();
    for (const fleet of this.fleets) fleet.stopAll();
    await Promise.all(this.workerFleets.map((fleet) => fleet.stopAll()));
    await this.scheduler?.stop().catch(() => undefined);
    await this.backend?.process.stop(5_000).catch(() => undefined);
    await this.source?.end().catch(() => undefined);
    await this.target?.stop().catch(() => killAllServiceProcesses());
    await this.samples.close().catch(() => undefined);
    // The generated service configs held the run's key and database passwords while the services ran.
    redactFilesIn(this.dir.path, /^service-.*\.ya?ml$/);
  }

  /** results.json as it stands (written after each phase and at the end). */
  results() {
    const snapshot = this.registry.snapshot();
    const { failure, target, scheduler, initialReplication } = this;
    return {
      runId: this.dir.id,
      scenario: scenarioRecord(this.scenario, this.syncConfigBuckets),
      plan: this.plan,
      machine: this.machine,
      startedAt: new Date(this.startedAt).toISOString(),
      finishedAt: new Date().toISOString(),
      status: failure
        ? 'error'
        : this.options.signal.aborted
          ? 'interrupted'
          : this.shards.some((s) => s.problem)
            ? 'incomplete'
            : 'completed',
      error: failure instanceof Error ? failure.message : failure === undefined ? undefined : String(failure),
      validity: this.validity,
      targetService: target?.reported,
      ...(initialReplication ? { initialReplication } : {}),
      ...(this.clock.before ? { clockOffset: this.clock } : {}),
      ...(this.options.distributed ? { distributed: describeDistributed(this) } : {}),
      probesUnavailable: [...(target?.blind ?? []), ...(scheduler?.unavailable() ?? [])],
      observed: observedSources(snapshot.cumulative, target?.serviceProcesses().map((p) => p.label) ?? []),
      phases: this.phases.map((p) => {
        // A phase's figures are its registry windows as they stand, unless the shard merge fixed them.
        if (p.aggregates) return p;
        const window = phaseAggregates(snapshot.windows, p.name);
        return { ...p, aggregates: window?.aggregates, ...(window?.settle ? { settle: window.settle } : {}) };
      }),
      cumulative: snapshot.cumulative,
    };
  }
}

/** results.json's account of a distributed run: the role, and per shard what it gave or why not. */
function describeDistributed(run: RunState) {
  const d = run.options.distributed!;
  if (d.role === 'shard')
    return { role: 'shard', shard: `${d.shard.index}/${d.shard.count}`, runKey: d.runKey };
  return {
    role: 'coordinator',
    shards: d.shards,
    runKey: d.runKey,
    complete: run.shards.length === d.shards && run.shards.every((s) => !s.problem),
    members: shardMembers(run.shards),
  };
}
