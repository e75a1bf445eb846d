import path from 'node:path';
import { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import type { CliIo } from './io.js';

/** `syncscale report <run-dir>`: regenerates report.md and report.html from the saved results alone. */
export function reportCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('report')
    .description('regenerate report.md and report.html of a run directory from its results.json')
    .argument('<run-dir>', 'a run directory written by `syncscale run`, e.g. reports/<run-id>')
    .action(async (dir: string) => {
      setExitCode(await report(path.resolve(io.cwd, dir), io));
    });
}

async function report(dir: string, io: CliIo): Promise<number> {
  const { RunDirectoryError, writeReports, renderTerminalSummary } = await import('../report/index.js');
  try {
    const written = await writeReports(dir);
    const { results, recommendations, warnings } = written.run;
    for (const warning of warnings) io.stderr(`warning: ${warning}\n`);
    io.stdout(renderTerminalSummary(results, { recommendations, files: [written.markdown, written.html] }));
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof RunDirectoryError) {
      io.stderr(`${error.message}\n`);
      return ExitCode.USAGE;
    }
    io.stderr(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.FAILURE;
  }
}
