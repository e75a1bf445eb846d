import { parseThresholds } from '../metrics/index.js';
import type { PathProblem } from './zod-problems.js';

/**
 * The one seam between scenario validation and the metrics area's threshold parser: every problem of a
 * phase's `thresholds` (key syntax, expression syntax, an aggregate the metric's kind lacks, a misspelt
 * metric), with paths relative to the thresholds map (`[key]` or `[key, index]`).
 */
export function validateThresholds(record: Readonly<Record<string, unknown>>): PathProblem[] {
  return Object.entries(record).flatMap(([key, expressions]) => {
    const result = parseThresholds({ [key]: expressions }, { path: '' });
    if (result.ok) return [];
    const keyPath = `[${JSON.stringify(key)}]`;
    return result.problems.map((problem): PathProblem => {
      const rest = problem.path.startsWith(keyPath) ? problem.path.slice(keyPath.length) : '';
      const index = /^\[(\d+)\]$/.exec(rest)?.[1];
      return { path: index === undefined ? [key] : [key, Number(index)], message: problem.message };
    });
  });
}
