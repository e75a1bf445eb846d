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
    .option(
      '--calibration <file>',
      'translate a reference-service run to a real service (syncscale calibrate)',
    )
    .option('--force', 'apply a calibration made on a different scenario shape')
    .action(async (flags: SizeFlags) => {
      setExitCode(await size(flags, io));
    });
}

interface SizeFlags {
  from: string;
  profile: string;
  out?: string;
  calibration?: string;
  force?: boolean;
}

async function size(flags: SizeFlags, io: CliIo): Promise<number> {
  const analysis = await import('../analysis/index.js');
  const from = path.resolve(io.cwd, flags.from);
  const profile = path.resolve(io.cwd, flags.profile);
  let result;
  try {
    result = analysis.sizeRun(from, profile, {
      calibrationPath: flags.calibration ? path.resolve(io.cwd, flags.calibration) : undefined,
      force: flags.force,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof analysis.InvalidRunError) {
      io.stderr(`${message}\n`);
      return ExitCode.RUN_INVALID;
    }
    if (
      error instanceof analysis.ProfileError ||
      error instanceof analysis.RunInputError ||
      error instanceof analysis.CalibrationError
    ) {
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
