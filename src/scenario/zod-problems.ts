import type { z } from 'zod';
import { formatPath } from './scenario-error.js';

/** A problem before it is located in the file. */
export interface PathProblem {
  path: readonly PropertyKey[];
  message: string;
}

/** zod issues → problems with key paths; an unknown key is one problem per key, at that key. */
export function zodProblems(issues: readonly z.core.$ZodIssue[]): PathProblem[] {
  return issues.flatMap((issue): PathProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: [...issue.path, key], message: `unknown key ${key}` }));
    }
    return [{ path: issue.path, message: issue.message }];
  });
}

/** Per-parse zod error map: short messages for the common issue kinds. Schema-level messages win. */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required';
      return `expected ${issue.expected === 'int' ? 'an integer' : issue.expected}, got ${describe(issue.input)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((value) => JSON.stringify(value)).join(' | ')}, got ${describe(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `takes at most ${String(issue.maximum)} item(s)`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    default:
      return undefined;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && !Number.isInteger(value)) return String(value);
  return typeof value === 'number' ? `number ${value}` : typeof value;
}

/** True when `path` is `prefix` or lies under it. */
export function isAtOrUnder(path: readonly PropertyKey[], prefix: string): boolean {
  const text = formatPath(path);
  return text === prefix || text.startsWith(`${prefix}.`) || text.startsWith(`${prefix}[`);
}
