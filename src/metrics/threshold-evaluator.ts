import type { MetricAggregate, WindowAggregates } from './aggregates.js';
import { decodeHistogram, percentileMs } from './histogram.js';
import { mergeAggregates } from './merge-aggregates.js';
import { tagsMatch } from './tags.js';
import {
  AGGREGATES_BY_KIND,
  formatAggregate,
  type ComparisonOperator,
  type Threshold,
  type ThresholdAggregate,
} from './threshold.js';

export type ThresholdStatus = 'passed' | 'failed' | 'no data';

export interface ThresholdResult {
  threshold: Threshold;
  status: ThresholdStatus;
  /** Only `passed` passes: `no data` fails too. */
  passed: boolean;
  /** The aggregate's value in the window, or `null` with no data. */
  observed: number | null;
  /** Trend samples behind the value (synthetic ones not included). */
  n?: number;
  /** How many series matched the metric and tag filter. */
  series: number;
  /** Why it failed: `observed 312 (n=5000), expected < 250`, or `no samples`. */
  reason?: string;
  /** The window evaluated. */
  window: string;
}

/**
 * Evaluates thresholds against one window's aggregates (a phase, or the cumulative window). Series of the
 * threshold's metric whose tags include its filter are merged (trend percentiles from the merged histogram).
 * A threshold with no matching series fails with reason `no samples`.
 */
export function evaluateThresholds(
  thresholds: readonly Threshold[],
  window: WindowAggregates,
): ThresholdResult[] {
  return thresholds.map((threshold) => evaluateOne(threshold, window));
}

function evaluateOne(threshold: Threshold, window: WindowAggregates): ThresholdResult {
  const matching = window.series.filter(
    (series) => series.metric === threshold.metric && tagsMatch(series.tags, threshold.tags),
  );
  const base = { threshold, window: window.name, series: matching.length };
  const aggregates = matching.map((series) => series.aggregate);
  if (aggregates.length === 0) {
    return { ...base, status: 'no data', passed: false, observed: null, reason: 'no samples' };
  }
  const kinds = new Set(aggregates.map((aggregate) => aggregate.kind));
  const merged = kinds.size === 1 ? mergeAggregates(aggregates) : undefined;
  if (!merged || !AGGREGATES_BY_KIND[merged.kind].includes(threshold.aggregate.kind)) {
    const reason = `"${formatAggregate(threshold.aggregate)}" cannot be read from ${[...kinds].join('/')} series`;
    return { ...base, status: 'failed', passed: false, observed: null, reason };
  }
  const observed = observe(merged, threshold.aggregate);
  const counted = merged.kind === 'trend' ? { ...base, n: merged.n } : base;
  if (observed === null) {
    return { ...counted, status: 'no data', passed: false, observed, reason: 'window has no duration yet' };
  }
  const passed = compare(observed, threshold.operator, threshold.value);
  if (passed) return { ...counted, status: 'passed', passed, observed };
  const sampleCount = merged.kind === 'trend' ? ` (n=${merged.n})` : '';
  const reason = `observed ${observed}${sampleCount}, expected ${threshold.operator} ${threshold.value}`;
  return { ...counted, status: 'failed', passed, observed, reason };
}

/** The wanted aggregate's value; the caller has checked it exists for this kind. */
function observe(aggregate: MetricAggregate, wanted: ThresholdAggregate): number | null {
  if (aggregate.kind === 'counter') return wanted.kind === 'rate' ? aggregate.rate : aggregate.count;
  if (wanted.kind === 'min') return aggregate.min;
  if (wanted.kind === 'max') return aggregate.max;
  if (aggregate.kind === 'gauge') return aggregate.last;
  if (wanted.kind === 'avg') return aggregate.mean;
  if (wanted.kind === 'count') return aggregate.n;
  const percentile = wanted.kind === 'p' ? wanted.percentile : 50;
  const value = percentileMs(decodeHistogram(aggregate.histogram), percentile);
  return Math.min(aggregate.max, Math.max(aggregate.min, value));
}

function compare(observed: number, operator: ComparisonOperator, value: number): boolean {
  switch (operator) {
    case '<':
      return observed < value;
    case '<=':
      return observed <= value;
    case '>':
      return observed > value;
    case '>=':
      return observed >= value;
    case '==':
      return observed === value;
    case '!=':
      return observed !== value;
  }
}
