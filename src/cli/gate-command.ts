import path from 'node:path';
import { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import type { CliIo } from './io.js';

interface GateFlags {
  baseline: string[];
  candidate: string[];
  scenario?: string;
  runs: string;
  maxRuns?: string;
  delta: string;
  alpha: string;
  metrics?: string;
  force?: boolean;
  out?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `syncscale gate`: the CI performance regression gate. Exit codes: 0, 3 regression, 4 inconclusive, 98, 2. */
export function gateCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  return new Command('gate')
    .description(
      'compare a candidate with a baseline, one statistic per run: regression (exit 3), no regression (0) or inconclusive (4)',
    )
    .requiredOption(
      '--baseline <runs|command>',
      'saved runs (run directory, folder of runs, results.json, baseline file; repeatable) or a command',
      collect,
    )
    .requiredOption('--candidate <runs|command>', 'as --baseline', collect)
    .option('--scenario <scenario.yaml>', 'scenario the commands run (required with a command)')
    .option('--runs <k>', 'runs per side to start with (commands)', '5')
    .option('--max-runs <K>', 'runs per side at most while inconclusive (default 2 × --runs)')
    .option('--delta <percent>', 'tolerated slowdown δ, e.g. 5%', '5%')
    .option('--alpha <level>', 'family-wise significance level (Holm–Bonferroni)', '0.05')
    .option('--metrics <ids>', 'comma-separated gate metrics (default: all measurable)')
    .option('--force', 'compare machine-dependent metrics of runs from different machines')
    .option(
      '--out <dir>',
      'where gate.json, gate.md, junit.xml and compare.html go (default reports/gate-<time>)',
    )
    .action(async (flags: GateFlags) => setExitCode(await gate(flags, io)));
}

function parseDelta(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(%?)$/.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2] ? value / 100 : value;
}

async function gate(flags: GateFlags, io: CliIo): Promise<number> {
  const gateModule = await import('../gate/index.js');
  const runs = Number(flags.runs);
  const maxRuns = flags.maxRuns === undefined ? 2 * runs : Number(flags.maxRuns);
  const delta = parseDelta(flags.delta);
  const alpha = Number(flags.alpha);
  const problems: string[] = [];
  if (!Number.isInteger(runs) || runs < 1) problems.push(`--runs ${flags.runs}: a whole number ≥ 3`);
  if (!Number.isInteger(maxRuns) || maxRuns < runs)
    problems.push(`--max-runs ${flags.maxRuns}: a whole number ≥ --runs`);
  if (delta === undefined || delta <= 0 || delta >= 1)
    problems.push(`--delta ${flags.delta}: a percentage between 0 and 100, e.g. 5%`);
  if (!(alpha > 0 && alpha < 1)) problems.push(`--alpha ${flags.alpha}: between 0 and 1`);
  if (problems.length) {
    io.stderr(`[SSCALE_E0003] Invalid command-line usage:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
    return ExitCode.USAGE;
  }
  const resolve = (p: string) =>
    io.cwd && !path.isAbsolute(p) && !/\s/.test(p) ? path.resolve(io.cwd, p) : p;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const outDir = path.resolve(io.cwd, flags.out ?? path.join('reports', `gate-${stamp}`));
  const interrupt = new AbortController();
  void io.onShutdownSignal(() => undefined).then(() => interrupt.abort());
  try {
    const result = await gateModule.runGate({
      baseline: flags.baseline.map(resolve),
      candidate: flags.candidate.map(resolve),
      scenarioPath: flags.scenario ? path.resolve(io.cwd, flags.scenario) : undefined,
      runs,
      maxRuns,
      delta: delta!,
      alpha,
      metrics: flags.metrics
        ?.split(',')
        .map((m) => m.trim())
        .filter(Boolean),
      force: flags.force ?? false,
      outDir,
      signal: interrupt.signal,
      log: (line) => io.stdout(`${line}\n`),
      stepSummary: io.env.GITHUB_STEP_SUMMARY || undefined,
    });
    io.stdout(gateModule.gateTerminalText(result.verdict));
    io.stdout(`Wrote ${result.files.join(', ')}\n`);
    return result.exitCode;
  } catch (error) {
    if (error instanceof gateModule.GateError) {
      io.stderr(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof gateModule.UnknownMetricError) {
      io.stderr(`[SSCALE_E0003] ${error.message}\n`);
      return ExitCode.USAGE;
    }
    if (interrupt.signal.aborted) {
      io.stderr('Gate interrupted: no verdict.\n');
      return ExitCode.FAILURE;
    }
    const { RunInputError } = await import('../analysis/index.js');
    if (error instanceof RunInputError) {
      io.stderr(`[SSCALE_G0001] ${error.message}\n`);
      return ExitCode.USAGE;
    }
    io.stderr(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.FAILURE;
  }
}
