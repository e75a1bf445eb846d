import path from 'node:path';
import { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import { runStoppable, type CliIo } from './io.js';

/** `syncscale run <scenario>`: the capacity scenario, end to end. */
export function runCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('run')
    .description(
      'run a capacity scenario (embedded reference service or an external target); write reports/<run-id>/',
    )
    .argument('<scenario>', 'scenario file (YAML), e.g. scenarios/quickstart.yaml')
    .option('--dry-run', 'validate the scenario and print the planned schedule; start nothing')
    .option('--reports-dir <dir>', 'where run directories are written', 'reports')
    .option(
      '--workers <n>',
      'run the simulated clients in n worker threads per API endpoint (default: this thread)',
    )
    .option(
      '--profile <profile.yaml>',
      'capacity profile for the sizing summary (default scenarios/profile-default.yaml)',
    )
    .action(
      async (
        file: string,
        flags: { dryRun?: boolean; reportsDir: string; profile?: string; workers?: string },
      ) => {
        setExitCode(await run(file, flags, io));
      },
    );
}

async function run(
  file: string,
  flags: { dryRun?: boolean; reportsDir: string; profile?: string; workers?: string },
  io: CliIo,
): Promise<number> {
  const workers = flags.workers === undefined ? 0 : Number(flags.workers);
  if (!Number.isInteger(workers) || workers < 0) {
    io.stderr(`--workers ${flags.workers}: expected a whole number ≥ 0\n`);
    return ExitCode.USAGE;
  }
  const scenarioModule = await import('../scenario/index.js');
  let scenario;
  try {
    scenario = await scenarioModule.loadScenario(file);
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.USAGE;
  }
  if (flags.dryRun) {
    io.stdout(`${scenarioModule.formatPlan(scenarioModule.planScenario(scenario))}\n`);
    return ExitCode.OK;
  }
  if (scenario.target.kind === 'external') {
    // Every declared part must answer before any load starts: a named error, and nothing to clean up.
    const { checkExternalTarget, TargetCheckError } = await import('../scenario/external-checks.js');
    try {
      await checkExternalTarget(scenario.target);
    } catch (error) {
      if (!(error instanceof TargetCheckError)) throw error;
      io.stderr(`${error.message}\n`);
      return ExitCode.USAGE;
    }
  }
  const { runScenario } = await import('../scenario/run-scenario.js');
  const { killAllServiceProcesses } = await import('../scenario/child-processes.js');
  return runStoppable(
    io,
    'stopping the run, keeping the results gathered so far',
    killAllServiceProcesses,
    async (signal) => {
      const outcome = await runScenario(scenario, {
        reportsDir: flags.reportsDir,
        out: io.stdout,
        signal,
        workers,
        ...(flags.profile ? { profilePath: path.resolve(io.cwd, flags.profile) } : {}),
      });
      return outcome.exitCode;
    },
  );
}
