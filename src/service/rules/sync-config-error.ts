import { ServiceError } from '../../errors/index.js';

/** One problem in a sync config, located in the YAML text. */
export interface SyncConfigProblem {
  message: string;
  /** Where in the config, e.g. `bucket_definitions.by_user.data[1]`. */
  path: string;
  /** 1-based line in the YAML text. */
  line: number;
  /** 1-based column in the YAML text, when known. */
  column?: number;
}

/** Every problem found while parsing a sync config (code PSYNC_R0001), listed one per line in the message. */
export class SyncConfigError extends ServiceError {
  readonly problems: ReadonlyArray<SyncConfigProblem>;

  constructor(problems: ReadonlyArray<SyncConfigProblem>) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super('PSYNC_R0001', `Sync config has ${count}:\n${problems.map(formatProblem).join('\n')}`);
    this.name = 'SyncConfigError';
    this.problems = problems;
  }
}

export function formatProblem(problem: SyncConfigProblem): string {
  return `line ${problem.line}: ${problem.path}: ${problem.message}`;
}
