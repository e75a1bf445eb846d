import { ServiceError } from '../../errors/index.js';

/** One thing wrong with a configuration: where (`replication.connections[0].uri`) and what. */
export interface ConfigProblem {
  /** Dotted path of the offending key; `''` for the document itself or its source. */
  path: string;
  message: string;
  /** The service error code this problem corresponds to, when there is one (e.g. `PSYNC_S1109`). */
  code?: string;
}

/** A key path segment list as the dotted form used in messages: `['a', 0, 'b']` → `a[0].b`. */
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

export function formatProblem(problem: ConfigProblem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

/**
 * The service configuration is invalid (PSYNC_S3201). Carries every problem found, not just the first, so an
 * operator can fix the file in one go; the message lists them one per line.
 */
export class ConfigError extends ServiceError {
  override readonly code = 'PSYNC_S3201' as const;
  readonly problems: ConfigProblem[];
  /** Where the configuration came from (a file path, `env:POWERSYNC_CONFIG_B64`, ...). */
  readonly source: string;

  constructor(problems: ConfigProblem[], source: string) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    const lines = problems.map((problem) => `  - ${formatProblem(problem)}`);
    super('PSYNC_S3201', [`Invalid service configuration (${source}): ${count}`, ...lines].join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
    this.source = source;
  }
}
