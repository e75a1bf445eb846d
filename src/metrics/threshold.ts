import type { MetricKind } from './metric-kind.js';

export type ComparisonOperator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export const COMPARISON_OPERATORS: readonly ComparisonOperator[] = ['<', '<=', '>', '>=', '==', '!='];

/** Aggregates a threshold may read: `p(N)` is a percentile (0–100, decimals allowed). */
export type ThresholdAggregate =
  { kind: 'avg' | 'min' | 'max' | 'med' | 'count' | 'rate' | 'last' } | { kind: 'p'; percentile: number };

export type ThresholdAggregateName = ThresholdAggregate['kind'];

/** Which aggregates each metric kind has. */
export const AGGREGATES_BY_KIND: Readonly<Record<MetricKind, readonly ThresholdAggregateName[]>> = {
  trend: ['avg', 'min', 'max', 'med', 'p', 'count'],
  counter: ['count', 'rate'],
  gauge: ['last', 'min', 'max'],
};

/** One parsed expression, e.g. `e2e_latency{transport:ws}` and `p(99) < 250`. */
export interface Threshold {
  /** Where it came from: `thresholds["e2e_latency{transport:ws}"][0]`. */
  path: string;
  /** The key as written (metric and tag filter). */
  key: string;
  /** The expression as written. */
  expression: string;
  metric: string;
  /** Series match when they carry every one of these tags (k6 submetric). */
  tags: Record<string, string>;
  metricKind: MetricKind;
  aggregate: ThresholdAggregate;
  operator: ComparisonOperator;
  /** In the metric's unit (milliseconds for trends, per second for rates). */
  value: number;
}

/** One thing wrong with the thresholds, with its path (same shape as a scenario problem). */
export interface ThresholdProblem {
  /** `thresholds["e2e_latency{transport:ws}"][1]` (prefix from the parse options). */
  path: string;
  /** The key the problem is under (absent for a problem with the whole record). */
  key?: string;
  /** The expression's index in the key's list (absent for a problem with the key or its list). */
  index?: number;
  message: string;
}

export function formatThresholdProblem(problem: ThresholdProblem): string {
  return `${problem.path}: ${problem.message}`;
}

/** `p(99)`, `avg`, … as written in expressions. */
export function formatAggregate(aggregate: ThresholdAggregate): string {
  return aggregate.kind === 'p' ? `p(${aggregate.percentile})` : aggregate.kind;
}
