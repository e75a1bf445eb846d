import { finishRun } from './run-outputs.js';
import { RunState } from './run-state.js';
import {
  createClientPools,
  measureClock,
  openWriters,
  prepareTarget,
  runJudgedPhase,
  settleStart,
  startProbes,
} from './run-steps.js';
import {
  checkShards,
  collectShards,
  joinTarget,
  startTogether,
  waitForPhaseSlot,
  type Distributed,
} from './distributed.js';
import { coordinatorScenario, shardScenario } from './shard-plan.js';
import type { Scenario } from './types.js';

export interface RunOptions {
  reportsDir: string;
  /** Capacity profile for the sizing summary at the end of a valid run (default scenarios/profile-default.yaml). */
  profilePath?: string;
  out: (text: string) => void;
  /** Aborted on Ctrl-C: the run stops, keeps what it gathered and stops every process. */
  signal: AbortSignal;
  /** Fleet worker threads per API endpoint; 0 (default) runs the clients in this thread. */
  workers?: number;
  /** Progress line refresh; 0 disables it (tests). */
  progressIntervalMs?: number;
  /** Print and write the sizing summary at the end (default true; a verification run is not sized). */
  size?: boolean;
  /** Part of a distributed run: the coordinator of N shards, or one shard (docs/distributed.md). */
  distributed?: Distributed;
}

export interface RunOutcome {
  exitCode: number;
  runDir: string;
  valid: boolean;
  reasons: string[];
}

/**
 * `syncscale run`: its steps in order. Every exit path stops the fleet, the writers, the probes, the service
 * processes and Postgres, and writes the results gathered so far.
 */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<RunOutcome> {
  const d = options.distributed;
  // A shard runs only its share of the clients; a coordinator everything but clients.
  const planned =
    d?.role === 'shard'
      ? shardScenario(scenario, d.shard)
      : d?.role === 'coordinator'
        ? coordinatorScenario(scenario)
        : scenario;
  const run = await RunState.open(planned, options);
  try {
    const data = d?.role === 'shard' ? await joinTarget(run, d, scenario) : await prepareTarget(run);
    if (d?.role !== 'shard') await settleStart(run, data); // wait until the service has replicated it
    await openWriters(run);
    await startProbes(run);
    createClientPools(run, data.users, options.workers ?? 0);
    await measureClock(run, 'before'); // e2e compares the database's stamps with our clock
    // The barrier: every member starts the phases at one moment, and each phase in its slot.
    const startedAt = d ? await startTogether(run, d) : undefined;
    for (const [index, phase] of planned.phases.entries()) {
      if (run.stop.aborted) break;
      const slot = startedAt !== undefined ? await waitForPhaseSlot(run, startedAt, index) : phase;
      await runJudgedPhase(run, data, slot); // run it, judge it, keep it, write results.json
      if (d) await checkShards(run, d, phase.name);
    }
    if (!run.stop.aborted) await measureClock(run, 'after');
    if (d?.role === 'coordinator') await collectShards(run, d); // merge the shards' figures in
  } catch (error) {
    run.fail(error);
  } finally {
    await run.stopEverything();
  }
  const verdict = await finishRun(run, options.size !== false, options.profilePath);
  return { ...verdict, runDir: run.dir.path };
}

export { MetricName } from '../metrics/index.js';
