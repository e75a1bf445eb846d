import path from 'node:path';
import { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import type { CliIo } from './io.js';

/** `syncscale size --from <run-dir> --profile <profile>`: recommendations from a saved run. */
export function sizeCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('size')
    .description(
      'size a deployment for a capacity profile from a saved run; writes recommendations.json/.csv',
    )
    .requiredOption('--from <run-dir>', 'run directory written by syncscale run (holds results.json)')
    .requiredOption('--profile <profile>', 'capacity profile (YAML), e.g. scenarios/profile-default.yaml')
    .option('--out <dir>', 'where to write recommendations.json and .csv (default: the run directory)')
    .action(async (flags: { from: string; profile: string; out?: string }) => {
      setExitCode(await size(flags, io));
    });
}

async function size(flags: { from: string; profile: string; out?: string }, io: CliIo): Promise<number> {
  const analysis = await import('../analysis/index.js');
  const from = path.resolve(io.cwd, flags.from);
  const profile = path.resolve(io.cwd, flags.profile);
  let result;
  try {
    result = analysis.sizeRun(from, profile);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof analysis.InvalidRunError) {
      io.stderr(`${message}\n`);
      return ExitCode.RUN_INVALID;
    }
    if (error instanceof analysis.ProfileError || error instanceof analysis.RunInputError) {
      io.stderr(`${message}\n`);
      return ExitCode.USAGE;
    }
    io.stderr(`${error instanceof Error ? (error.stack ?? message) : message}\n`);
    return ExitCode.FAILURE;
  }
  const outDir = flags.out
    ? path.resolve(io.cwd, flags.out)
    : from.endsWith('.json')
      ? path.dirname(from)
      : from;
  const files = analysis.writeRecommendations(outDir, result.recommendations);
  io.stdout(result.text);
  io.stdout(`Wrote ${files.join(' and ')}\n`);
  return ExitCode.OK;
}
