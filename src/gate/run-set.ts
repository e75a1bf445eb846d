import fs from 'node:fs';
import path from 'node:path';
import { loadRunResults, validPart, type RunResults } from '../analysis/index.js';
import type { ErrorCode } from '../errors/index.js';
import type { MachineFingerprint } from '../probes/index.js';
import { GATE_METRICS } from './gate-metrics.js';

/** One run as the gate sees it: its identity, validity, machine and one value per gate metric. */
export interface GateRun {
  runId: string;
  /** Where it was read from. */
  source: string;
  scenario: { name: string; phases: string[] };
  valid: boolean;
  reasons: string[];
  machine?: MachineFingerprint;
  values: Record<string, number | { unavailable: string }>;
}

/** A gate input problem with its code (docs/errors.md); `exitCode` is what the CLI returns. */
export class GateError extends Error {
  override name = 'GateError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly exitCode: number,
  ) {
    super(`[${code}] ${message}`);
  }
}

export const BASELINE_KIND = 'syncscale-baseline';

/** A saved baseline: the per-run statistics of a set of runs, e.g. kept from main. */
export interface BaselineFile {
  kind: typeof BASELINE_KIND;
  version: 1;
  savedAt: string;
  scenario: GateRun['scenario'];
  runs: GateRun[];
}

/** Computes every gate metric of a saved run. */
export function gateRunOf(results: RunResults, source: string): GateRun {
  const values: GateRun['values'] = {};
  for (const metric of GATE_METRICS) values[metric.id] = metric.of(results);
  // The gate's figures pool the whole run: a phase left out of the run's fits would still be in them.
  const { excluded } = validPart(results);
  const phaseReasons = excluded.map((e) => `phase ${e.phase} invalid: ${e.reasons.join('; ')}`);
  return {
    runId: results.runId,
    source,
    scenario: { name: results.scenario.name, phases: results.phases.map((p) => p.name) },
    valid: results.validity.valid && excluded.length === 0,
    reasons: [...results.validity.reasons, ...phaseReasons],
    machine: (results as { machine?: MachineFingerprint }).machine,
    values,
  };
}

/**
 * Reads the runs a side names: a baseline file (`syncscale baseline save`), a run directory (holds
 * results.json), a results.json file, or a directory of run directories (e.g. `reports/`).
 */
export function loadGateRuns(sources: readonly string[], side: string): GateRun[] {
  const runs: GateRun[] = [];
  for (const source of sources) runs.push(...loadSource(source, side));
  return runs;
}

/** True when `value` names something on disk the gate can read runs from. */
export function isRunSource(value: string): boolean {
  return fs.existsSync(value);
}

function loadSource(source: string, side: string): GateRun[] {
  if (!fs.existsSync(source)) throw new GateError('SSCALE_G0001', `${side}: ${source} does not exist`, 2);
  const stat = fs.statSync(source);
  if (stat.isFile()) {
    const data = readJson(source, side);
    if ((data as { kind?: unknown }).kind === BASELINE_KIND) return (data as BaselineFile).runs;
    return [gateRunOf(loadRunResults(source), source)];
  }
  if (fs.existsSync(path.join(source, 'results.json'))) return [gateRunOf(loadRunResults(source), source)];
  const children = fs
    .readdirSync(source, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(source, d.name, 'results.json')))
    .map((d) => path.join(source, d.name))
    .sort();
  if (children.length === 0)
    throw new GateError('SSCALE_G0001', `${side}: ${source} holds no results.json and no run directories`, 2);
  return children.map((dir) => gateRunOf(loadRunResults(dir), dir));
}

function readJson(file: string, side: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new GateError('SSCALE_G0001', `${side}: ${file} is not JSON: ${(error as Error).message}`, 2);
  }
}

/** A baseline file for `runs` (all of one scenario, all valid, checked by the caller). */
export function baselineOf(runs: readonly GateRun[]): BaselineFile {
  return {
    kind: BASELINE_KIND,
    version: 1,
    savedAt: new Date().toISOString(),
    scenario: runs[0]!.scenario,
    runs: [...runs],
  };
}
