/** One thing wrong with a scenario file: where (`phases[2].clients.ramp.to`, line 31) and what. */
export interface ScenarioProblem {
  /** Dotted path of the offending key; `''` for the file itself. */
  path: string;
  /** 1-based line in the scenario file, when the path (or its nearest parent) is in the file. */
  line?: number;
  message: string;
}

/** A key path as written in messages: `['phases', 0, 'clients']` → `phases[0].clients`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let text = '';
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_][\w-]*$/.test(segment))
      text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(String(segment))}]`;
  }
  return text;
}

export function formatScenarioProblem(problem: ScenarioProblem): string {
  const where = [problem.line !== undefined ? `line ${problem.line}` : '', problem.path]
    .filter(Boolean)
    .join(': ');
  return where ? `${where}: ${problem.message}` : problem.message;
}

/**
 * The scenario is invalid: nothing was started. Carries every problem found, in file order, so the file can
 * be fixed in one go; the message lists them one per line.
 */
export class ScenarioError extends Error {
  readonly problems: ScenarioProblem[];
  /** Where the scenario came from (a file path, or `inline`). */
  readonly source: string;

  constructor(problems: ScenarioProblem[], source: string) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((problem) => `  - ${formatScenarioProblem(problem)}`);
    super([`Invalid scenario (${source}): ${count}`, ...lines].join('\n'));
    this.name = 'ScenarioError';
    this.problems = problems;
    this.source = source;
  }
}
