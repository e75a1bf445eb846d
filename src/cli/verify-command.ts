import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import { runStoppable, type CliIo } from './io.js';

interface VerifyFlags {
  from: string;
  profile: string;
  target: string;
  duration: string;
  reportsDir: string;
  calibration?: string;
}

/**
 * `syncscale verify --from <run-dir> --profile <profile>`: runs the recommended load of one API container —
 * its connections with one container down, at the profile's peak write rate with headroom — for a steady
 * window, and compares objectives, RSS and CPU with what the sizing promised. PASS exit 0, FAIL exit 99.
 */
export function verifyCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('verify')
    .description('run the recommended load of one API container and check the sizing held (PASS/FAIL)')
    .requiredOption('--from <run-dir>', 'the sized run (holds results.json)')
    .requiredOption('--profile <profile>', 'the capacity profile it was sized for')
    .option(
      '--target <embedded|scenario.yaml>',
      'embedded (default), or a scenario file whose target.external is the deployment to verify',
      'embedded',
    )
    .option('--duration <seconds>', 'steady window at the peak write rate', '30')
    .option('--reports-dir <dir>', 'where the verification run directory is written', 'reports')
    .option('--calibration <file>', 'the calibration the sizing used (syncscale calibrate)')
    .action(async (flags: VerifyFlags) => setExitCode(await verify(flags, io)));
}

async function verify(flags: VerifyFlags, io: CliIo): Promise<number> {
  const analysis = await import('../analysis/index.js');
  const verifyModule = await import('../verify/index.js');
  const resolve = (p: string) => path.resolve(io.cwd, p);
  let scenarioText: string;
  let load;
  let sizedFrom: string;
  try {
    const run = analysis.loadRunResults(resolve(flags.from));
    const profile = analysis.loadProfile(resolve(flags.profile));
    const calibration = flags.calibration ? analysis.loadCalibration(resolve(flags.calibration)) : undefined;
    const recs = analysis.recommend(run, profile, calibration ? { calibration } : {});
    load = verifyModule.verifyLoad(recs);
    sizedFrom = run.runId;
    const seconds = Number(flags.duration);
    if (!(seconds > 0))
      throw new analysis.RunInputError(`--duration ${flags.duration}: expected seconds > 0`);
    scenarioText = verifyModule.verifyScenarioYaml({
      load,
      sized: run.scenario as { dataset?: Record<string, unknown>; compression?: string; source?: string },
      ...(flags.target !== 'embedded' ? { externalScenario: resolve(flags.target) } : {}),
      steadyMs: seconds * 1000,
    });
  } catch (error) {
    io.stderr(`${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof analysis.InvalidRunError ? ExitCode.RUN_INVALID : ExitCode.USAGE;
  }
  const reportsDir = resolve(flags.reportsDir);
  fs.mkdirSync(reportsDir, { recursive: true });
  const scenarioFile = path.join(reportsDir, `verify-${Date.now()}.yaml`);
  fs.writeFileSync(scenarioFile, scenarioText);
  const { loadScenario } = await import('../scenario/index.js');
  let scenario;
  try {
    scenario = await loadScenario(scenarioFile);
  } catch (error) {
    io.stderr(
      `the verification scenario is not valid (a bug): ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return ExitCode.FAILURE;
  }
  io.stdout(
    `Verifying run ${sizedFrom}'s recommendation: ${load.connections} connections at ${Math.round(load.txPerSecond * 10) / 10} tx/s on one ${load.shape.cpu} vCPU / ${load.shape.memoryMb} MB container (heap ${load.heapMb} MB)\n`,
  );
  const { runScenario } = await import('../scenario/run-scenario.js');
  const { killAllServiceProcesses } = await import('../scenario/child-processes.js');
  return runStoppable(
    io,
    'stopping the verification, keeping what was gathered',
    killAllServiceProcesses,
    async (signal) => {
      const outcome = await runScenario(scenario, {
        reportsDir,
        out: io.stdout,
        signal,
        size: false,
      });
      fs.renameSync(scenarioFile, path.join(outcome.runDir, 'verify-scenario.yaml'));
      if (signal.aborted) return ExitCode.FAILURE;
      const results = JSON.parse(fs.readFileSync(path.join(outcome.runDir, 'results.json'), 'utf8'));
      const verdict = verifyModule.verifyVerdict(load, results, sizedFrom, outcome.runDir);
      const { redactedJson, writeArtifact } = await import('../redact/index.js');
      writeArtifact(path.join(outcome.runDir, 'verify.json'), redactedJson(verdict) + '\n');
      writeArtifact(path.join(outcome.runDir, 'verify.md'), verifyModule.verdictMarkdown(verdict));
      const { writeReports } = await import('../report/index.js');
      await writeReports(outcome.runDir);
      io.stdout(
        `\n${verifyModule.formatVerdict(verdict)}verdict: ${path.join(outcome.runDir, 'verify.json')}\n`,
      );
      return verdict.outcome === 'pass'
        ? ExitCode.OK
        : verdict.outcome === 'fail'
          ? ExitCode.THRESHOLDS_FAILED
          : ExitCode.RUN_INVALID;
    },
  );
}
