import { redactedJson, writeArtifact } from '../redact/index.js';
import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { ExitCode } from '../errors/index.js';
import type { CliIo } from './io.js';

/** `syncscale baseline save|show`: keep the per-run statistics of a set of runs, and read them back. */
export function baselineCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const command = new Command('baseline').description('keep and inspect gate baselines');
  command
    .command('save')
    .description('save the gate statistics of runs (run directories or folders of runs) as a baseline file')
    .argument('<runs...>', 'run directories, folders of runs, or results.json files')
    .requiredOption('--out <file>', 'baseline file to write, e.g. baselines/gate.json')
    .action(async (runs: string[], flags: { out: string }) => setExitCode(await save(runs, flags.out, io)));
  command
    .command('show')
    .description('print a baseline: scenario, machine, runs and each metric per run')
    .argument('<file>', 'baseline file (or runs, to preview what would be saved)')
    .action(async (file: string) => setExitCode(await show([file], io)));
  return command;
}

async function load(sources: string[], io: CliIo, check = true) {
  const gate = await import('../gate/index.js');
  const runs = gate.loadGateRuns(
    sources.map((s) => path.resolve(io.cwd, s)),
    'baseline',
  );
  // A baseline is compared later: it must hold enough valid runs of one scenario. Showing needs none of that.
  if (check) gate.checkComparable(runs, runs);
  return { gate, runs };
}

async function save(sources: string[], out: string, io: CliIo): Promise<number> {
  return guarded(io, async () => {
    const { gate, runs } = await load(sources, io);
    const file = path.resolve(io.cwd, out);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeArtifact(file, redactedJson(gate.baselineOf(runs)) + '\n');
    io.stdout(`Saved ${runs.length} runs of scenario ${runs[0]!.scenario.name} to ${file}\n`);
    return ExitCode.OK;
  });
}

async function show(sources: string[], io: CliIo): Promise<number> {
  return guarded(io, async () => {
    const { gate, runs } = await load(sources, io, false);
    const machine = runs[0]!.machine;
    const lines = [
      `Scenario ${runs[0]!.scenario.name} (phases ${runs[0]!.scenario.phases.join(', ')}), ${runs.length} runs`,
      machine
        ? `Machine: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.nodeVersion}, cgroup cpu ${machine.cgroup.cpuMax ?? 'none'}, memory ${machine.cgroup.memoryMax ?? 'none'}`
        : 'Machine: not recorded',
      '',
    ];
    for (const metric of gate.GATE_METRICS) {
      const values = runs.map((r) => r.values[metric.id]).filter((v): v is number => typeof v === 'number');
      const summary = values.length
        ? `median ${fmt(gate.median(values))} ${metric.unit}, ±${(gate.relativeMad(values) * 100).toFixed(1)} % MAD, n ${values.length}: ${values.map(fmt).join(', ')}`
        : 'not measured';
      lines.push(`  ${metric.label}: ${summary}`);
    }
    io.stdout(lines.join('\n') + '\n');
    return ExitCode.OK;
  });
}

const fmt = (v: number) =>
  Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);

async function guarded(io: CliIo, body: () => Promise<number>): Promise<number> {
  const gate = await import('../gate/index.js');
  const { RunInputError } = await import('../analysis/index.js');
  try {
    return await body();
  } catch (error) {
    if (error instanceof gate.GateError) {
      io.stderr(`${error.message}\n`);
      return error.exitCode;
    }
    if (error instanceof RunInputError) {
      io.stderr(`[SSCALE_G0001] ${error.message}\n`);
      return ExitCode.USAGE;
    }
    throw error;
  }
}
