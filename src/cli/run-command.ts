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
    .option(
      '--generators <n>',
      'run the clients in n shard processes on this machine beside a coordinator (barrier, merge)',
    )
    .option('--shard <i/N>', "run only shard i's share of the clients (with --run-key; docs/distributed.md)")
    .option(
      '--coordinator <n>',
      'run the writers, actions and probes for n shards elsewhere (with --run-key)',
    )
    .option('--run-key <key>', 'the name shards and their coordinator meet under at the barrier')
    .option(
      '--shard-results <dir>',
      "where remote shards write their run directories (the coordinator's merge)",
    )
    .action(async (file: string, flags: RunFlags) => {
      setExitCode(await run(file, flags, io));
    });
}

interface RunFlags {
  dryRun?: boolean;
  reportsDir: string;
  profile?: string;
  workers?: string;
  generators?: string;
  shard?: string;
  coordinator?: string;
  runKey?: string;
  shardResults?: string;
}

/** The distributed part of `run`'s flags, or the usage problem. */
async function distributedOf(
  file: string,
  flags: RunFlags,
  io: CliIo,
): Promise<{ distributed?: import('../scenario/distributed.js').Distributed } | { error: string }> {
  const given = [flags.generators, flags.shard, flags.coordinator].filter((x) => x !== undefined).length;
  if (given > 1) return { error: '--generators, --shard and --coordinator exclude each other' };
  const count = (text: string, flag: string) => {
    const n = Number(text);
    return Number.isInteger(n) && n >= 1 && n <= 10_000
      ? n
      : `${flag} ${text}: expected a whole number from 1`;
  };
  if (flags.generators !== undefined) {
    const n = count(flags.generators, '--generators');
    if (typeof n === 'string') return { error: n };
    const runKey = flags.runKey ?? `local-${Date.now().toString(36)}-${process.pid}`;
    return {
      distributed: {
        role: 'coordinator',
        shards: n,
        runKey,
        local: { scenarioPath: path.resolve(io.cwd, file) },
      },
    };
  }
  if (flags.shard === undefined && flags.coordinator === undefined) return {};
  if (!flags.runKey)
    return { error: '--shard and --coordinator need --run-key <key> (the same on every member)' };
  if (flags.coordinator !== undefined) {
    const n = count(flags.coordinator, '--coordinator');
    if (typeof n === 'string') return { error: n };
    return {
      distributed: {
        role: 'coordinator',
        shards: n,
        runKey: flags.runKey,
        ...(flags.shardResults ? { shardResultsDir: path.resolve(io.cwd, flags.shardResults) } : {}),
      },
    };
  }
  const { parseShard } = await import('../scenario/shard-plan.js');
  const shard = parseShard(flags.shard!);
  if ('error' in shard) return { error: shard.error };
  const { SHARD_TARGET_ENV } = await import('../scenario/distributed.js');
  const shared = process.env[SHARD_TARGET_ENV];
  return {
    distributed: {
      role: 'shard',
      shard,
      runKey: flags.runKey,
      ...(shared ? { target: JSON.parse(shared) as import('../scenario/distributed.js').SharedTarget } : {}),
    },
  };
}

async function run(file: string, flags: RunFlags, io: CliIo): Promise<number> {
  const distributed = await distributedOf(file, flags, io);
  if ('error' in distributed) {
    io.stderr(`${distributed.error}\n`);
    return ExitCode.USAGE;
  }
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
        ...(distributed.distributed ? { distributed: distributed.distributed } : {}),
        // A shard's figures are merged by its coordinator: it sizes nothing itself.
        ...(distributed.distributed?.role === 'shard' ? { size: false } : {}),
      });
      return outcome.exitCode;
    },
  );
}
