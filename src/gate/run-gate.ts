import { redactor, writeArtifact } from '../redact/index.js';
import fs from 'node:fs';
import path from 'node:path';
import { ExitCode } from '../errors/index.js';
import { renderComparePage } from '../report/index.js';
import {
  compareRuns,
  detectableUpFront,
  exitCodeOf,
  MIN_RUNS_PER_SIDE,
  type GateVerdict,
} from './compare-runs.js';
import { selectMetrics } from './gate-metrics.js';
import { gateJunit, gateMarkdown, gateTerminalText } from './gate-outputs.js';
import { InterleavedRuns, type Side } from './interleaved-runs.js';
import { GateError, isRunSource, loadGateRuns, type GateRun } from './run-set.js';

export interface GateOptions {
  /** Saved runs (paths) or one command, per side. */
  baseline: string[];
  candidate: string[];
  scenarioPath?: string;
  /** Runs per side to start with (commands), default 5. */
  runs: number;
  /** Runs per side at most when inconclusive (commands), default 2 × runs. */
  maxRuns: number;
  delta: number;
  alpha: number;
  metrics?: string[];
  force: boolean;
  outDir: string;
  signal: AbortSignal;
  log: (line: string) => void;
  /** `$GITHUB_STEP_SUMMARY`, when set: the Markdown table is appended to it. */
  stepSummary?: string;
}

export interface GateResult {
  verdict: GateVerdict;
  exitCode: number;
  files: string[];
}

type SideInput = { kind: 'runs'; runs: GateRun[] } | { kind: 'command'; command: string };

/** What a side names: saved runs (every value exists on disk) or one command. */
export function classifySide(values: readonly string[], side: Side): SideInput {
  if (values.length === 0) throw new GateError('SSCALE_G0001', `no ${side} given`, ExitCode.USAGE);
  if (values.every(isRunSource)) return { kind: 'runs', runs: loadGateRuns(values, side) };
  const command = values.length === 1 ? values[0]! : undefined;
  if (command && (/\s/.test(command.trim()) || command.includes('{reports}')))
    return { kind: 'command', command };
  const missing = values.filter((v) => !isRunSource(v));
  throw new GateError(
    'SSCALE_G0001',
    `${side} ${missing.join(', ')}: no such run, run directory or baseline file, and not a command (a command has arguments, e.g. "node ../main/bin/syncscale.js")`,
    ExitCode.USAGE,
  );
}

/**
 * `syncscale gate`: compares saved runs, or makes runs interleaved A B A B … with the sides' commands,
 * extending an inconclusive comparison pair by pair up to `maxRuns`, then writes gate.json, gate.md,
 * junit.xml and compare.html.
 */
export async function runGate(options: GateOptions): Promise<GateResult> {
  const metrics = selectMetrics(options.metrics);
  if (options.runs < MIN_RUNS_PER_SIDE)
    throw new GateError(
      'SSCALE_G0003',
      `--runs ${options.runs}: the gate needs at least ${MIN_RUNS_PER_SIDE} runs per side`,
      ExitCode.USAGE,
    );
  const baseline = classifySide(options.baseline, 'baseline');
  const candidate = classifySide(options.candidate, 'candidate');
  const commands: Partial<Record<Side, string>> = {};
  if (baseline.kind === 'command') commands.baseline = baseline.command;
  if (candidate.kind === 'command') commands.candidate = candidate.command;
  const scenarioPath = options.scenarioPath;
  if (Object.keys(commands).length > 0 && !scenarioPath)
    throw new GateError(
      'SSCALE_G0001',
      'a side is a command: --scenario <scenario.yaml> is required',
      ExitCode.USAGE,
    );
  if (scenarioPath && !fs.existsSync(scenarioPath))
    throw new GateError('SSCALE_G0001', `scenario ${scenarioPath} does not exist`, ExitCode.USAGE);

  const ahead = detectableUpFront(metrics, options.runs, {
    alpha: options.alpha,
    delta: options.delta,
    level: 0.95,
  });
  options.log(
    `with ${options.runs} runs a side and ${metrics.length} metric(s) (Holm: the first at α/${metrics.length}), at each metric's typical noise the gate calls a regression from: ${ahead.map((a) => `${a.id} ×${a.detectable.toFixed(2)}`).join(', ')}`,
  );
  const blind = ahead.filter((a) => a.detectable > 2);
  if (blind.length > 0)
    options.log(
      `warning: ${blind.map((a) => a.id).join(', ')} cannot show less than a doubling with ${options.runs} runs a side: raise --runs or name fewer --metrics`,
    );

  fs.mkdirSync(options.outDir, { recursive: true });
  const made = new InterleavedRuns({
    commands,
    scenarioPath: scenarioPath ?? '',
    outDir: options.outDir,
    signal: options.signal,
    log: options.log,
  });
  const runsOf = (side: Side, input: SideInput) => (input.kind === 'runs' ? input.runs : made.runs[side]);
  const compare = () =>
    compareRuns(runsOf('baseline', baseline), runsOf('candidate', candidate), {
      delta: options.delta,
      alpha: options.alpha,
      level: 0.95,
      metrics,
      force: options.force,
      explicitMetrics: (options.metrics?.length ?? 0) > 0,
    });

  if (Object.keys(commands).length > 0) await made.addPairs(options.runs);
  let verdict = compare();
  while (verdict.outcome === 'inconclusive' && Object.keys(commands).length > 0) {
    const perSide = Math.max(made.runs.baseline.length, made.runs.candidate.length);
    if (perSide >= options.maxRuns) break;
    options.log(`inconclusive after ${perSide} runs per side: one more pair`);
    await made.addPairs(1);
    verdict = compare();
  }
  const files = await writeGateOutputs(verdict, options.outDir, options.stepSummary);
  return { verdict, exitCode: exitCodeOf(verdict.outcome), files };
}

export async function writeGateOutputs(
  verdict: GateVerdict,
  outDir: string,
  stepSummary?: string,
): Promise<string[]> {
  fs.mkdirSync(outDir, { recursive: true });
  const write = (name: string, text: string) => {
    const file = path.join(outDir, name);
    writeArtifact(file, text);
    return file;
  };
  const markdown = gateMarkdown(verdict);
  const files = [
    write('gate.json', JSON.stringify(verdict, null, 2) + '\n'),
    write('gate.md', markdown),
    write('junit.xml', gateJunit(verdict)),
    write('compare.html', await renderComparePage(verdict)),
    write('gate.txt', gateTerminalText(verdict)),
  ];
  if (stepSummary) fs.appendFileSync(stepSummary, redactor.text(markdown) + '\n');
  return files;
}
