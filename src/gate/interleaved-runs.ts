import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadRunResults } from '../analysis/index.js';
import { ExitCode } from '../errors/index.js';
import { GateError, gateRunOf, type GateRun } from './run-set.js';
import { guardProcess, releaseProcess } from '../reaper/index.js';

export type Side = 'baseline' | 'candidate';

/** How many times an invalid run of a side is replaced by a new one before the gate gives up. */
export const INVALID_RETRIES = 2;

/**
 * How a side makes a run. A command containing `{reports}` is used as written (`{scenario}` and `{reports}`
 * are replaced by quoted paths); any other command is a syncscale launcher (`node ../main/bin/syncscale.js`,
 * `npx syncscale`, possibly with environment assignments before it) and gets
 * `run {scenario} --reports-dir {reports}` appended.
 */
export function commandLine(command: string, scenarioPath: string, reportsDir: string): string {
  const template = command.includes('{reports}')
    ? command
    : `${command} run {scenario} --reports-dir {reports}`;
  return template
    .replaceAll('{scenario}', shellQuote(scenarioPath))
    .replaceAll('{reports}', shellQuote(reportsDir));
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export interface InterleaveOptions {
  /** The sides that make runs; a side without a command has saved runs and makes none. */
  commands: Partial<Record<Side, string>>;
  scenarioPath: string;
  /** The gate's output folder; each run gets `runs/<side>-<nn>/` and a log there. */
  outDir: string;
  signal: AbortSignal;
  log: (line: string) => void;
}

/**
 * Runs the two sides alternately on this machine (A B A B …) so slow drifts of the machine hit both
 * equally. Each call adds one pair.
 */
export class InterleavedRuns {
  readonly runs: Record<Side, GateRun[]> = { baseline: [], candidate: [] };
  private index = 0;

  constructor(private readonly options: InterleaveOptions) {}

  async addPairs(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.index++;
      for (const side of ['baseline', 'candidate'] as const) {
        if (!this.options.commands[side]) continue;
        this.options.signal.throwIfAborted();
        this.runs[side].push(await this.validRun(side, this.index));
      }
    }
  }

  /**
   * One valid run of a side. An invalid run (its load generator, not the build, was the bottleneck) is never
   * compared: it is kept on disk, named in the log, and replaced by a new run, at most INVALID_RETRIES times.
   */
  private async validRun(side: Side, index: number): Promise<GateRun> {
    const base = `${side}-${String(index).padStart(2, '0')}`;
    for (let attempt = 0; ; attempt++) {
      const name = attempt === 0 ? base : `${base}-retry${attempt}`;
      const outcome = await this.runOnce(side, name);
      if (!('invalid' in outcome)) return outcome;
      if (attempt >= INVALID_RETRIES)
        throw new GateError(
          'SSCALE_G0004',
          `${name} is an invalid run (${outcome.invalid}), after ${attempt} replacement run(s); invalid runs are never compared. Log: ${outcome.logFile}`,
          ExitCode.RUN_INVALID,
        );
      this.options.log(`${name}: invalid run (${outcome.invalid}); replaced by a new run`);
    }
  }

  private async runOnce(side: Side, name: string): Promise<GateRun | { invalid: string; logFile: string }> {
    const reportsDir = path.join(this.options.outDir, 'runs', name);
    fs.mkdirSync(reportsDir, { recursive: true });
    const logFile = path.join(reportsDir, 'command.log');
    const line = commandLine(this.options.commands[side]!, this.options.scenarioPath, reportsDir);
    this.options.log(`${name}: ${line}`);
    const started = Date.now();
    const code = await runShell(line, logFile, side, this.options.signal);
    this.options.signal.throwIfAborted();
    const runDir = newestRunDir(reportsDir);
    if (code === ExitCode.RUN_INVALID) {
      const reasons = runDir ? loadRunResults(runDir).validity.reasons.join('; ') : 'see its log';
      return { invalid: reasons, logFile };
    }
    if ((code !== ExitCode.OK && code !== ExitCode.THRESHOLDS_FAILED) || !runDir)
      throw new GateError(
        'SSCALE_G0006',
        `${name} ${code === 0 || code === 99 ? 'wrote no run directory' : `exited with ${code}`}: ${tail(logFile)}\nLog: ${logFile}`,
        ExitCode.FAILURE,
      );
    const run = gateRunOf(loadRunResults(runDir), runDir);
    if (!run.valid) return { invalid: run.reasons.join('; '), logFile };
    this.options.log(`${name}: run ${run.runId} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return run;
  }
}

function runShell(line: string, logFile: string, side: Side, signal: AbortSignal): Promise<number> {
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn('sh', ['-c', line], {
      stdio: ['ignore', out, out],
      env: { ...process.env, SYNCSCALE_GATE_SIDE: side },
    });
    // Ctrl-C: the run command stops its own children and keeps what it gathered.
    const onAbort = () => child.kill('SIGINT');
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', () => undefined);
    guardProcess(child.pid, 'SIGINT'); // a gate killed outright still stops its runs
    child.on('close', (code, sig) => {
      releaseProcess(child.pid);
      signal.removeEventListener('abort', onAbort);
      fs.closeSync(out);
      resolve(code ?? (sig ? 128 : 1));
    });
  });
}

function newestRunDir(reportsDir: string): string | undefined {
  const dirs = fs
    .readdirSync(reportsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(reportsDir, d.name, 'results.json')))
    .map((d) => path.join(reportsDir, d.name));
  return dirs.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}

function tail(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '(no output)';
  }
}
