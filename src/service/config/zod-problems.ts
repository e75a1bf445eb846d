import type { z } from 'zod';
import { formatPath, type ConfigProblem } from './config-error.js';

/**
 * zod issues → config problems with dotted paths and operator-readable messages. Unknown keys become one
 * problem per key; problems at or under a path whose `!env` substitution failed are dropped (that failure is
 * already reported).
 */
export function zodProblems(
  issues: readonly z.core.$ZodIssue[],
  failedPaths: readonly string[],
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key]), message: 'unknown key' });
      }
      continue;
    }
    const path = formatPath(issue.path);
    if (failedPaths.some((failed) => isAtOrUnder(path, failed))) continue;
    problems.push({ path, message: issue.message });
  }
  return problems;
}

function isAtOrUnder(path: string, prefix: string): boolean {
  return prefix === '' || path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

/** Per-parse zod error map: short messages for the common issue kinds, zod's own for the rest. */
export function issueMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'required';
      const expected = issue.expected === 'int' ? 'integer' : issue.expected;
      const hint =
        typeof issue.input === 'string' &&
        (expected === 'number' || expected === 'integer' || expected === 'boolean')
          ? ` (with !env, add ::${expected === 'boolean' ? 'boolean' : 'number'})`
          : '';
      return `expected ${expected}, got ${describeType(issue.input)}${hint}`;
    }
    case 'invalid_value':
      if (issue.input === undefined) return 'required';
      return `expected ${issue.values.map((value) => JSON.stringify(value)).join(' | ')}, got ${JSON.stringify(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'number' || issue.origin === 'int') {
        return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`;
      }
      return undefined;
    case 'too_big':
      if (issue.origin === 'number' || issue.origin === 'int') {
        return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
      }
      return undefined;
    default:
      return undefined;
  }
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' && !Number.isInteger(value)) return String(value);
  return typeof value;
}
