import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors/index.js';

/**
 * The CLI entry point. Commands are registered from one file each; this is the only layer that touches
 * process exit codes (returned, never called) and argument parsing.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command('syncscale')
    .description('Load-testing and capacity planning for self-hosted sync services of the PowerSync kind')
    .exitOverride()
    .showHelpAfterError();
  try {
    await program.parseAsync(argv);
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    throw error;
  }
}
