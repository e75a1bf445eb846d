import { resolve } from 'node:path';
import { partialChecks } from './partial-checks.js';
import { planScenario } from './plan-scenario.js';
import { formatPath, ScenarioError, type ScenarioProblem } from './scenario-error.js';
import { scenarioSchema, type ParsedScenarioFile } from './scenario-schema.js';
import { syncConfigCheck } from './sync-config-check.js';
import type { Scenario } from './types.js';
import { YamlSource } from './yaml-source.js';
import { redactor } from '../redact/index.js';
import { isAtOrUnder, issueMessage, zodProblems, type PathProblem } from './zod-problems.js';

export interface ParseScenarioOptions {
  /** Directory `dataset.sync_config` and `target.embedded.postgres.data_dir` are relative to (default: cwd). */
  baseDir?: string;
  /** Environment for `!env NAME` values (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** The scenario file, for messages and `Scenario.sourcePath`. */
  sourcePath?: string;
}

/**
 * Parses and validates a scenario: the schema, each phase's times and steps, the run against its limits, and
 * the sync config it names. Throws {@link ScenarioError} with every problem found, each with its line.
 */
export function parseScenario(text: string, options: ParseScenarioOptions = {}): Scenario {
  const source = new YamlSource(text, options.env ?? process.env);
  // Keys, passwords in URLs and tokens of the scenario are registered before anything is written.
  redactor.addFrom(source.value);
  const sourceName = options.sourcePath ?? 'inline';
  if (source.value === undefined && source.problems.length > 0)
    throw new ScenarioError(source.problems, sourceName);

  const baseDir = resolve(options.baseDir ?? process.cwd());
  const result = scenarioSchema.safeParse(source.value, { error: issueMessage });
  const problems: PathProblem[] = result.success
    ? []
    : zodProblems(result.error.issues).filter(
        (problem) => !source.unresolvedPaths.some((path) => isAtOrUnder(problem.path, path)),
      );
  problems.push(...syncConfigCheck(source.value, baseDir));
  let scenario: Scenario | undefined;
  if (result.success) {
    scenario = toScenario(result.data, baseDir, options.sourcePath);
    problems.push(...planErrors(scenario));
  } else {
    problems.push(...partialChecks(source.value));
  }
  const located = [...source.problems, ...problems.map((problem) => locate(source, problem))];
  if (located.length > 0 || !scenario) throw new ScenarioError(sortProblems(located), sourceName);
  return scenario;
}

function toScenario(file: ParsedScenarioFile, baseDir: string, sourcePath: string | undefined): Scenario {
  const { syncConfig, ...dataset } = file.dataset;
  const target =
    file.target.kind === 'embedded' && file.target.postgres.dataDir !== undefined
      ? { ...file.target, postgres: { dataDir: resolve(baseDir, file.target.postgres.dataDir) } }
      : file.target;
  return {
    name: file.name,
    description: file.description,
    ...(sourcePath !== undefined ? { sourcePath } : {}),
    target,
    compression: file.compression,
    dataset: { ...dataset, syncConfigPath: resolve(baseDir, syncConfig) },
    phases: file.phases,
    limits: { maxDurationMs: file.limits.max_duration },
  };
}

function planErrors(scenario: Scenario): PathProblem[] {
  return planScenario(scenario)
    .checks.filter((check) => check.level === 'error')
    .map((check) => ({ path: check.keyPath, message: check.message }));
}

function locate(source: YamlSource, problem: PathProblem): ScenarioProblem {
  const path = problem.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
  return { path: formatPath(path), line: source.lineOf(path), message: problem.message };
}

function sortProblems(problems: ScenarioProblem[]): ScenarioProblem[] {
  return [...problems].sort(
    (a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );
}
