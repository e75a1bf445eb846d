export { MetricName, type MetricNameValue, type Sample, type SampleSink } from './sample.js';
export {
  MetricKinds,
  metricKind,
  isKnownMetric,
  type MetricKind,
  type MetricKindTable,
} from './metric-kind.js';
export { formatTags, seriesKey, sortedTags, tagsMatch, type Tags } from './tags.js';
export type {
  CounterAggregate,
  GaugeAggregate,
  MetricAggregate,
  RegistrySnapshot,
  SeriesAggregate,
  TrendAggregate,
  WindowAggregates,
} from './aggregates.js';
export {
  HISTOGRAM_SIGNIFICANT_DIGITS,
  HISTOGRAM_UNITS_PER_MS,
  decodeHistogram,
  encodeHistogram,
  mergeEncodedHistograms,
} from './histogram.js';
export { mergeAggregates } from './merge-aggregates.js';
export { CUMULATIVE_WINDOW, MetricRegistry, type MetricRegistryOptions } from './metric-registry.js';
export {
  AGGREGATES_BY_KIND,
  COMPARISON_OPERATORS,
  formatAggregate,
  formatThresholdProblem,
  type ComparisonOperator,
  type Threshold,
  type ThresholdAggregate,
  type ThresholdAggregateName,
  type ThresholdProblem,
} from './threshold.js';
export {
  parseThresholds,
  type ParseThresholdsOptions,
  type ParseThresholdsResult,
} from './threshold-parser.js';
export { evaluateThresholds, type ThresholdResult, type ThresholdStatus } from './threshold-evaluator.js';
export {
  SAMPLES_CSV,
  SAMPLES_CSV_COLUMNS,
  SAMPLES_NDJSON,
  SamplesWriter,
  type SamplesWriterOptions,
  type SamplesWriterSummary,
} from './samples-writer.js';
export { AGGREGATE_CSV_COLUMNS, aggregatesToCsv, toCsv } from './csv.js';
export { TrendSink, type TrendPart } from './trend-sink.js';
export { phaseAggregates, settleWindowName, type SettleSummary } from './settle-window.js';
export { mergeWindows } from './merge-windows.js';
