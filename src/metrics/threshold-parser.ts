import {
  isKnownMetric,
  MetricKinds,
  metricKind,
  type MetricKind,
  type MetricKindTable,
} from './metric-kind.js';
import { closest } from './near-miss.js';
import { parseThresholdExpression, type ThresholdExpression } from './threshold-expression.js';
import { parseThresholdKey } from './threshold-key.js';
import { AGGREGATES_BY_KIND, formatAggregate, type Threshold, type ThresholdProblem } from './threshold.js';

export interface ParseThresholdsOptions {
  /** Path of the thresholds object in messages, e.g. `phases[2].thresholds`. Default `thresholds`. */
  path?: string;
  /** Kinds of metrics not in `MetricKinds` (unknown names are gauges). */
  kinds?: MetricKindTable;
}

export type ParseThresholdsResult =
  { ok: true; thresholds: Threshold[] } | { ok: false; problems: ThresholdProblem[] };

/**
 * Parses k6-style thresholds, `{ "e2e_latency{transport:ws}": ["p(99) < 250", "avg < 100"] }`. Returns every
 * threshold, or every problem (never some of each: a threshold that does not parse must never pass), each with
 * its path, e.g. `thresholds["e2e_latency{transport:ws}"][1]: unknown aggregate "p99"; did you mean "p(99)"?`.
 * Checks that each aggregate exists for the metric's kind, and flags an unknown metric name one or two edits
 * from a known one.
 */
export function parseThresholds(
  record: Readonly<Record<string, unknown>>,
  options: ParseThresholdsOptions = {},
): ParseThresholdsResult {
  const root = options.path ?? 'thresholds';
  const kinds = options.kinds ?? {};
  const problems: ThresholdProblem[] = [];
  const thresholds: Threshold[] = [];
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return {
      ok: false,
      problems: [{ path: root, message: 'expected a map of metric → list of expressions' }],
    };
  }
  for (const [key, expressions] of Object.entries(record)) {
    const keyPath = `${root}[${JSON.stringify(key)}]`;
    const report = (path: string, index?: number) => (message: string) =>
      problems.push(index === undefined ? { path, key, message } : { path, key, index, message });
    const parsedKey = parseThresholdKey(key);
    if (!parsedKey.ok) parsedKey.messages.forEach(report(keyPath));
    else checkMetricName(parsedKey.metric, kinds).forEach(report(keyPath));
    if (!Array.isArray(expressions) || expressions.length === 0) {
      report(keyPath)('expected a non-empty list of expressions, e.g. ["p(99) < 250"]');
      continue;
    }
    expressions.forEach((expression: unknown, index) => {
      const path = `${keyPath}[${index}]`;
      if (typeof expression !== 'string') {
        report(path, index)(`expected an expression string, got ${describe(expression)}`);
        return;
      }
      const parsed = parseThresholdExpression(expression);
      if (!parsed.ok) {
        parsed.messages.forEach(report(path, index));
        return;
      }
      if (!parsedKey.ok) return;
      const kind = metricKind(parsedKey.metric, kinds);
      const mismatch = kindMismatch(parsed.expression, parsedKey.metric, kind, kinds);
      if (mismatch) report(path, index)(mismatch);
      else
        thresholds.push({
          path,
          key,
          expression,
          metric: parsedKey.metric,
          tags: parsedKey.tags,
          metricKind: kind,
          ...parsed.expression,
        });
    });
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, thresholds };
}

function checkMetricName(metric: string, kinds: MetricKindTable): string[] {
  if (isKnownMetric(metric, kinds) || metric.length < 5) return [];
  const suggestion = closest(metric, [...Object.keys(MetricKinds), ...Object.keys(kinds)], 2);
  return suggestion ? [`unknown metric "${metric}"; did you mean "${suggestion}"?`] : [];
}

function kindMismatch(
  expression: ThresholdExpression,
  metric: string,
  kind: MetricKind,
  kinds: MetricKindTable,
): string | undefined {
  const allowed = AGGREGATES_BY_KIND[kind];
  if (allowed.includes(expression.aggregate.kind)) return undefined;
  const list = allowed.map((name) => (name === 'p' ? 'p(N)' : name)).join(', ');
  const unknown = isKnownMetric(metric, kinds) ? '' : ' (metrics not in the kind table are gauges)';
  return `"${formatAggregate(expression.aggregate)}" is not an aggregate of ${kind} metric "${metric}"${unknown}; use one of ${list}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}
