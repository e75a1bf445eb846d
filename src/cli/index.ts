import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors/index.js';
import { baselineCommand } from './baseline-command.js';
import { calibrateCommand } from './calibrate-command.js';
import { exportCommand, ingestCommand } from './k6-commands.js';
import { mergeCommand } from './merge-command.js';
import { drillCommand } from './drill-command.js';
import { gateCommand } from './gate-command.js';
import { processIo, type CliIo } from './io.js';
import { reportCommand } from './report-command.js';
import { runCommand } from './run-command.js';
import { serviceCommand } from './service-command.js';
import { sizeCommand } from './size-command.js';
import { verifyCommand } from './verify-command.js';

/** The service image's multi-letter short flags, which commander cannot declare, mapped to long ones. */
const FLAG_ALIASES: Record<string, string> = { '-c64': '--config-base64', '-sync64': '--sync-base64' };

/**
 * The CLI entry point. This layer owns the process boundary: it returns the exit code (the launcher sets
 * it) and reaches streams and signals only through `CliIo`. Exit codes: errors/exit-codes.ts.
 */
export async function main(argv: string[], rawIo: CliIo = processIo()): Promise<number> {
  // Errors and summaries can print a config or URL: what reaches the terminal is redacted like every file.
  const { redactor } = await import('../redact/index.js');
  const io: CliIo = {
    ...rawIo,
    stdout: (text) => rawIo.stdout(redactor.text(text)),
    stderr: (text) => rawIo.stderr(redactor.text(text)),
  };
  let exitCode: number = ExitCode.OK;
  const program = new Command('syncscale')
    .description('Load-testing and capacity planning for self-hosted sync services of the PowerSync kind')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError();
  program.addCommand(runCommand(io, (code) => (exitCode = code)));
  program.addCommand(reportCommand(io, (code) => (exitCode = code)));
  program.addCommand(serviceCommand(io, (code) => (exitCode = code)));
  program.addCommand(sizeCommand(io, (code) => (exitCode = code)));
  program.addCommand(verifyCommand(io, (code) => (exitCode = code)));
  program.addCommand(gateCommand(io, (code) => (exitCode = code)));
  program.addCommand(baselineCommand(io, (code) => (exitCode = code)));
  program.addCommand(drillCommand(io, (code) => (exitCode = code)));
  program.addCommand(calibrateCommand(io, (code) => (exitCode = code)));
  program.addCommand(exportCommand(io, (code) => (exitCode = code)));
  program.addCommand(ingestCommand(io, (code) => (exitCode = code)));
  program.addCommand(mergeCommand(io, (code) => (exitCode = code)));
  for (const command of program.commands) {
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    for (const sub of command.commands)
      sub.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  }
  try {
    await program.parseAsync(argv.map((arg) => FLAG_ALIASES[arg] ?? arg));
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    throw error;
  }
}
