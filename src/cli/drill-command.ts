import { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import { runStoppable, type CliIo } from './io.js';

/** `syncscale drill <drill.yaml>`: rehearse a rolling deploy. Exit 0 PASS, 99 FAIL, 2 bad file, 1 error. */
export function drillCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('drill')
    .description(
      'rehearse a rolling deploy under load: lock hand-over, API roll, reconnects, no op lost or doubled',
    )
    .argument('<drill>', 'drill file (YAML), e.g. scenarios/drill-rolling.yaml')
    .option('--reports-dir <dir>', 'where the drill directory is written', 'reports')
    .option('--dry-run', 'validate the drill file and print its steps; start nothing')
    .action(async (file: string, flags: { reportsDir: string; dryRun?: boolean }) =>
      setExitCode(await drill(file, flags, io)),
    );
}

async function drill(
  file: string,
  flags: { reportsDir: string; dryRun?: boolean },
  io: CliIo,
): Promise<number> {
  const drillModule = await import('../drill/index.js');
  let parsed;
  try {
    parsed = drillModule.loadDrill(file, io.env);
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return ExitCode.USAGE;
  }
  if (flags.dryRun) {
    io.stdout(
      `Drill ${parsed.name}: ${parsed.load.clients} clients, ${parsed.load.writesPerSecond} rows/s\n`,
    );
    parsed.steps.forEach((step, i) => io.stdout(`  ${i + 1}. ${JSON.stringify(step)}\n`));
    return ExitCode.OK;
  }
  const { killAllServiceProcesses } = await import('../scenario/index.js');
  return runStoppable(
    io,
    'stopping the drill, keeping what it observed',
    killAllServiceProcesses,
    async (signal) => {
      const outcome = await drillModule.runDrill(parsed, {
        reportsDir: flags.reportsDir,
        out: io.stdout,
        signal,
      });
      return outcome.exitCode;
    },
  );
}
