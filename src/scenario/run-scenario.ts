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
  const run = await RunState.open(scenario, options);
  try {
    const data = await prepareTarget(run); // start or connect, load the dataset
    await settleStart(run, data); // wait until the service has replicated it
    await openWriters(run);
    await startProbes(run);
    createClientPools(run, data.users, options.workers ?? 0);
    await measureClock(run, 'before'); // e2e compares the database's stamps with our clock
    for (const phase of scenario.phases) {
      if (run.stop.aborted) break;
      await runJudgedPhase(run, data, phase); // run it, judge it, keep it, write results.json
    }
    if (!run.stop.aborted) await measureClock(run, 'after');
  } catch (error) {
    run.fail(error);
  } finally {
    await run.stopEverything();
  }
  const verdict = await finishRun(run, options.size !== false, options.profilePath);
  return { ...verdict, runDir: run.dir.path };
}

export { MetricName } from '../metrics/index.js';
