import { AGGREGATE_LIST, readAggregate } from './threshold-aggregate.js';
import { COMPARISON_OPERATORS, type ComparisonOperator, type ThresholdAggregate } from './threshold.js';

export interface ThresholdExpression {
  aggregate: ThresholdAggregate;
  operator: ComparisonOperator;
  value: number;
}

export type ParsedExpression =
  { ok: true; expression: ThresholdExpression } | { ok: false; messages: string[] };

/** Operators people write, and the one meant. */
const OPERATOR_FIXES: Readonly<Record<string, ComparisonOperator>> = {
  '=': '==',
  '===': '==',
  '!==': '!=',
  '<>': '!=',
  '=<': '<=',
  '=>': '>=',
  '≤': '<=',
  '≥': '>=',
  '≠': '!=',
};

const UNIT_FACTORS: Readonly<Record<string, number>> = { us: 0.001, µs: 0.001, ms: 1, s: 1000, m: 60_000 };

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/;

/**
 * Parses `aggregate comparison number` (`p(99) < 250`, `count==0`, ` avg  <=  1.5 `). Reports every problem
 * it can tell apart (an unknown aggregate and a bad operator are two messages), each with a suggestion when
 * the text is a near miss.
 */
export function parseThresholdExpression(text: string): ParsedExpression {
  const messages: string[] = [];
  if (text.trim() === '') return { ok: false, messages: ['empty expression; expected e.g. "p(99) < 250"'] };

  const head = /^\s*([A-Za-z_]\w*)\s*(?:\(([^)]*)(\))?)?\s*/.exec(text);
  let aggregate: ThresholdAggregate | undefined;
  if (!head) {
    messages.push(`expected an aggregate (${AGGREGATE_LIST}) at the start of "${text.trim()}"`);
  } else if (head[2] !== undefined && head[3] === undefined) {
    return { ok: false, messages: [`missing ")" in "${text.trim()}"`] };
  } else {
    const read = readAggregate(head[1] as string, head[2]);
    if (typeof read === 'string') messages.push(read);
    else aggregate = read;
  }
  const rest = head ? text.slice(head[0].length) : text.trimStart();

  const comparison = /^([<>=!≤≥≠]+)\s*/.exec(rest);
  let operator: ComparisonOperator | undefined;
  if (!comparison) {
    const after = head ? `after "${head[0].trim()}"` : 'in the expression';
    messages.push(`expected a comparison (${COMPARISON_OPERATORS.join(', ')}) ${after}`);
    return { ok: false, messages };
  }
  const written = comparison[1] as string;
  if ((COMPARISON_OPERATORS as readonly string[]).includes(written)) operator = written as ComparisonOperator;
  else messages.push(unknownOperator(written));

  const value = readNumber(rest.slice(comparison[0].length).trimEnd(), written, messages);
  if (messages.length > 0 || !aggregate || !operator || value === undefined) return { ok: false, messages };
  return { ok: true, expression: { aggregate, operator, value } };
}

function unknownOperator(written: string): string {
  const fix = OPERATOR_FIXES[written];
  const hint = fix ? `did you mean "${fix}"?` : `expected one of ${COMPARISON_OPERATORS.join(', ')}`;
  return `unknown comparison "${written}"; ${hint}`;
}

function readNumber(text: string, operator: string, messages: string[]): number | undefined {
  if (text === '') {
    messages.push(`expected a number after "${operator}"`);
    return undefined;
  }
  const match = NUMBER.exec(text);
  if (!match) {
    messages.push(`expected a number after "${operator}", got "${text}"`);
    return undefined;
  }
  const value = Number(match[0]);
  const trailing = text.slice(match[0].length).trim();
  if (trailing === '') return value;
  const factor = UNIT_FACTORS[trailing];
  if (factor !== undefined) {
    messages.push(
      `thresholds compare plain numbers in the metric's unit (milliseconds for trends); write ${value * factor} instead of "${text}"`,
    );
  } else if (trailing.startsWith(',') || trailing.startsWith('&')) {
    messages.push(`unexpected "${trailing}" after ${match[0]}; put each expression in its own list item`);
  } else {
    messages.push(`unexpected "${trailing}" after ${match[0]}`);
  }
  return undefined;
}
