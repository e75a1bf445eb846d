import { Command, Option } from 'commander';
import { ExitCode, isServiceError } from '../errors/index.js';
import type { CliIo } from './io.js';

/** Seconds a runner gets to stop after SIGTERM/SIGINT before it is forced out (like the service image). */
const SHUTDOWN_GRACE_MS = 30_000;

interface ConfigFlags {
  configPath?: string;
  configBase64?: string;
  syncBase64?: string;
}

function addConfigOptions(command: Command): Command {
  return command
    .option(
      '-c, --config-path <path>',
      'service config file (env POWERSYNC_CONFIG_PATH; default ./powersync.yaml)',
    )
    .option('--config-base64 <base64>', 'service config as base64, also -c64 (env POWERSYNC_CONFIG_B64)')
    .option('--sync-base64 <base64>', 'sync config as base64, also -sync64 (env POWERSYNC_SYNC_CONFIG_B64)');
}

async function loadConfig(flags: ConfigFlags, io: CliIo) {
  const { loadServiceConfig } = await import('../service/config/index.js');
  return loadServiceConfig({
    configPath: flags.configPath,
    configBase64: flags.configBase64,
    syncBase64: flags.syncBase64,
    env: io.env,
    cwd: io.cwd,
  });
}

/** `syncscale service …`: the reference service's runner commands, mirroring the service image. */
export function serviceCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const service = new Command('service').description(
    'run the reference sync service (start, compact, migrate)',
  );

  addConfigOptions(
    service
      .command('start')
      .description('start a runner: sync (replication), api (sync API), or unified (both)')
      .addOption(
        new Option('-r, --runner-type <type>', 'runner type (env PS_RUNNER_TYPE)')
          .choices(['sync', 'api', 'unified'])
          .default(io.env.PS_RUNNER_TYPE ?? 'unified'),
      ),
  ).action(async (flags: ConfigFlags & { runnerType: 'sync' | 'api' | 'unified' }) => {
    setExitCode(await runStart(flags, io));
  });

  addConfigOptions(
    service
      .command('compact')
      .description('compact bucket storage once (MOVE and CLEAR), then exit')
      .option('-b, --buckets <list>', 'comma-separated full bucket names, e.g. global[],1#by_user["u1"]')
      .option(
        '--memory-limit-mb <mb>',
        'override the compactor memory budget (default min(heap - 128, 1024))',
      ),
  ).action(async (flags: ConfigFlags & { buckets?: string; memoryLimitMb?: string }) => {
    setExitCode(await runCompact(flags, io));
  });

  addConfigOptions(
    service
      .command('migrate')
      .description('apply (up) or revert (down) bucket storage migrations')
      .argument('<direction>', 'up or down'),
  ).action(async (direction: string, flags: ConfigFlags) => {
    setExitCode(await runMigrate(direction, flags, io));
  });
  return service;
}

async function runStart(
  flags: ConfigFlags & { runnerType: 'sync' | 'api' | 'unified' },
  io: CliIo,
): Promise<number> {
  let running;
  try {
    const loaded = await loadConfig(flags, io);
    const { startService } = await import('../service/runner/index.js');
    running = await startService(flags.runnerType, loaded, { env: io.env, cwd: io.cwd });
  } catch (error) {
    io.stderr(`${describe(error)}\n`);
    return isServiceError(error, 'PSYNC_S3201') || isConfigError(error)
      ? ExitCode.USAGE
      : ExitCode.STARTUP_FAILED;
  }
  let forced = false;
  const signal = await io.onShutdownSignal(() => {
    forced = true;
  });
  io.stdout(`Received ${signal}; shutting down\n`);
  const stopped = await Promise.race([
    running.stop().then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), SHUTDOWN_GRACE_MS).unref()),
  ]);
  return stopped && !forced ? ExitCode.OK : ExitCode.FAILURE;
}

async function runCompact(flags: ConfigFlags & { buckets?: string; memoryLimitMb?: string }, io: CliIo) {
  const { compact, validateBucketNames } = await import('../service/compact/index.js');
  const buckets =
    flags.buckets === undefined ? undefined : flags.buckets.split(',').filter((b) => b.length > 0);
  const problems = buckets ? validateBucketNames(buckets) : [];
  if (problems.length > 0) {
    io.stderr(problems.map((p) => `${p}\n`).join(''));
    return ExitCode.FAILURE;
  }
  try {
    const loaded = await loadConfig(flags, io);
    const { createStoragePool, assertMigrated } = await import('../service/storage/index.js');
    const storage = createStoragePool(
      loaded.config.storage.connectionString,
      loaded.config.storage.maxPoolSize,
    );
    try {
      await assertMigrated(storage);
      const result = await compact(storage, {
        buckets,
        memoryLimitMB: flags.memoryLimitMb === undefined ? undefined : Number(flags.memoryLimitMb),
      });
      // Peak RSS of this process: the compact job's real memory, for the sizing model.
      const peakRssMb = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
      io.stdout(`${JSON.stringify({ ...result, peakRssMb })}\n`);
      return ExitCode.OK;
    } finally {
      await storage.end();
    }
  } catch (error) {
    io.stderr(`${describe(error)}\n`);
    return ExitCode.FAILURE;
  }
}

async function runMigrate(direction: string, flags: ConfigFlags, io: CliIo): Promise<number> {
  if (direction !== 'up' && direction !== 'down') {
    io.stderr(`migrate: direction must be "up" or "down", got "${direction}"\n`);
    return ExitCode.USAGE;
  }
  try {
    const loaded = await loadConfig(flags, io);
    const { createStoragePool, migrate } = await import('../service/storage/index.js');
    const storage = createStoragePool(loaded.config.storage.connectionString, 2);
    try {
      const result = await migrate(storage, direction);
      io.stdout(
        `migrate ${direction}: ${result.applied.length === 0 ? 'nothing to do' : result.applied.join(', ')}; ` +
          `current: ${result.current ?? 'none'}\n`,
      );
      return ExitCode.OK;
    } finally {
      await storage.end();
    }
  } catch (error) {
    io.stderr(`${describe(error)}\n`);
    return ExitCode.FAILURE;
  }
}

function isConfigError(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConfigError';
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `\n  caused by: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
