import { redactedJson, writeArtifact } from '../redact/index.js';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import type { CliIo } from './io.js';

interface CalibrateFlags {
  reference: string;
  real: string;
  out: string;
  checkReference?: string;
  checkReal?: string;
}

/** `syncscale calibrate --reference <run> --real <run> --out calibration.json [--check-reference … --check-real …]`. */
export function calibrateCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('calibrate')
    .description('ratio real/reference per cost dimension from two runs of one calibration scenario')
    .requiredOption('--reference <run-dir>', 'run of the calibration scenario on the reference service')
    .requiredOption('--real <run-dir>', 'run of the same scenario on the real deployment (external target)')
    .option('--out <file>', 'where to write the calibration', 'calibration.json')
    .option('--check-reference <run-dir>', 'a second reference run (another connection range or write mix) …')
    .option(
      '--check-real <run-dir>',
      '… and its real counterpart: report how well the calibration predicts it',
    )
    .action(async (flags: CalibrateFlags) => setExitCode(await run(flags, io)));
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(0) : v.toPrecision(3));

async function run(flags: CalibrateFlags, io: CliIo): Promise<number> {
  const analysis = await import('../analysis/index.js');
  const resolve = (p: string) => path.resolve(io.cwd, p);
  try {
    const reference = analysis.loadRunResults(resolve(flags.reference));
    const real = analysis.loadRunResults(resolve(flags.real));
    const checkRuns = [flags.checkReference, flags.checkReal]
      .filter((p): p is string => p !== undefined)
      .map((p) => analysis.loadRunResults(resolve(p)));
    const leftOut: string[] = [];
    // Every run, the check pair too, is used from its valid phases; one with none is refused.
    for (const r of [reference, real, ...checkRuns]) {
      const invalid = analysis.invalidReasonOf(r);
      if (invalid) {
        io.stderr(`run ${r.runId} is invalid: ${invalid}\n`);
        return ExitCode.RUN_INVALID;
      }
      for (const e of analysis.validPart(r).excluded)
        leftOut.push(`  run ${r.runId}: phase ${e.phase} left out (invalid): ${e.reasons.join('; ')}`);
    }
    const serviceOf = (r: typeof reference) => {
      const target = (r.scenario as { target: { kind?: string; endpoint?: string } }).target;
      return target.kind === 'external'
        ? `external target ${target.endpoint ?? ''}`.trim()
        : 'reference service';
    };
    const calibration = analysis.calibrate(reference, real, {
      reference: serviceOf(reference),
      real: serviceOf(real),
    });
    const lines = [
      `Calibration of ${calibration.real.service} (run ${real.runId}) against the ${calibration.reference.service} (run ${reference.runId}), scenario ${calibration.shape.scenario}:`,
    ];
    for (const d of calibration.dimensions) {
      const n = d.n ? `, n = ${d.n[0]}/${d.n[1]} levels` : '';
      lines.push(
        d.difference
          ? `  ${d.name.padEnd(34)} +${fmt(d.difference.value)} ${d.unit} [${fmt(d.difference.interval[0])}–${fmt(d.difference.interval[1])}]  (${fmt(d.reference)} → ${fmt(d.real)} ${d.unit}${n}; a difference: the reference's is within noise of zero)`
          : `  ${d.name.padEnd(34)} ×${fmt(d.ratio)}${d.interval ? ` [${fmt(d.interval[0])}–${fmt(d.interval[1])}]` : ''}  (${fmt(d.reference)} → ${fmt(d.real)} ${d.unit}${n}${d.note ? `; ${d.note}` : ''})`,
      );
    }
    for (const n of calibration.notEstimated) lines.push(`  ${n.name.padEnd(34)} not estimated: ${n.reason}`);
    lines.push(...leftOut);
    let check: ReturnType<typeof analysis.checkCalibration> | undefined;
    if (flags.checkReference && flags.checkReal) {
      check = analysis.checkCalibration(calibration, checkRuns[0]!, checkRuns[1]!);
      lines.push(`Check: ${check.memory.message}`, `       ${check.cpu.message}`);
    }
    const out = resolve(flags.out);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    writeArtifact(out, redactedJson({ ...calibration, ...(check ? { check } : {}) }) + '\n');
    io.stdout(`${lines.join('\n')}\nWrote ${out}\n`);
    return ExitCode.OK;
  } catch (error) {
    if (error instanceof analysis.RunInputError || error instanceof analysis.CalibrationError) {
      io.stderr(`${error.message}\n`);
      return ExitCode.USAGE;
    }
    throw error;
  }
}
