import { closest } from './near-miss.js';
import type { ThresholdAggregate, ThresholdAggregateName } from './threshold.js';

const PLAIN = ['avg', 'min', 'max', 'med', 'count', 'rate', 'last'] as const;

/** Words people write for an aggregate, and what they mean here. */
const SYNONYMS: Readonly<Record<string, string>> = {
  mean: 'avg',
  average: 'avg',
  median: 'med',
  minimum: 'min',
  maximum: 'max',
  sum: 'count',
  cnt: 'count',
  total: 'count',
  value: 'last',
  current: 'last',
};

const PERCENTILE_WORDS = new Set(['p', 'percentile', 'pct', 'perc', 'quantile']);

export const AGGREGATE_LIST = 'avg, min, max, med, count, rate, last, p(N)';

/**
 * Reads an aggregate from its name and, for `p`, its parenthesised argument (`undefined` when there were no
 * parentheses). Returns the aggregate or a message with a near-miss suggestion.
 */
export function readAggregate(name: string, argument: string | undefined): ThresholdAggregate | string {
  if (PERCENTILE_WORDS.has(name.toLowerCase())) {
    if (argument === undefined) return `unknown aggregate "${name}"; did you mean "p(N)", e.g. "p(99)"?`;
    const percentile = readPercentile(argument);
    if (typeof percentile === 'string') return percentile;
    return name === 'p' ? { kind: 'p', percentile } : unknown(name, `p(${argument.trim()})`);
  }
  if (argument !== undefined) {
    if ((PLAIN as readonly string[]).includes(name)) return `"${name}" takes no argument; write "${name}"`;
    return unknown(name, suggestPlain(name));
  }
  if ((PLAIN as readonly string[]).includes(name))
    return { kind: name as Exclude<ThresholdAggregateName, 'p'> };
  return unknown(name, suggestShorthandPercentile(name) ?? suggestPlain(name));
}

function readPercentile(argument: string): number | string {
  const text = argument.trim();
  if (!/^(\d+(\.\d*)?|\.\d+)$/.test(text)) {
    return `percentile must be a number from 0 to 100, got "${text}" in "p(${argument})"`;
  }
  const percentile = Number(text);
  if (percentile > 100) return `percentile must be a number from 0 to 100, got ${text}`;
  return percentile;
}

/** `p99` → `p(99)`, `p999` → `p(99.9)`, `p95.5` → `p(95.5)`. */
function suggestShorthandPercentile(name: string): string | undefined {
  const match = /^p_?(\d+(?:[._]\d+)?)$/i.exec(name);
  if (!match) return undefined;
  let digits = (match[1] as string).replace('_', '.');
  if (/^99\d+$/.test(digits)) digits = `99.${digits.slice(2)}`;
  return Number(digits) <= 100 ? `p(${digits})` : undefined;
}

function suggestPlain(name: string): string | undefined {
  const lower = name.toLowerCase();
  if (Object.hasOwn(SYNONYMS, lower)) return SYNONYMS[lower];
  return closest(name, PLAIN, name.length <= 3 ? 1 : 2);
}

function unknown(name: string, suggestion: string | undefined): string {
  const hint = suggestion ? `did you mean "${suggestion}"?` : `expected one of ${AGGREGATE_LIST}`;
  return `unknown aggregate "${name}"; ${hint}`;
}
