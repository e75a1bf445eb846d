import { stringify } from 'csv-stringify/sync';
import type { WindowAggregates } from './aggregates.js';
import { formatTags } from './tags.js';

/** Rows as CSV with a header; `columns` fixes their order (default: the first row's keys). */
export function toCsv(rows: readonly Record<string, unknown>[], columns?: readonly string[]): string {
  const header = columns ?? Object.keys(rows[0] ?? {});
  return stringify(rows as Record<string, unknown>[], { header: true, columns: [...header] });
}

export const AGGREGATE_CSV_COLUMNS = [
  'window',
  'start',
  'end',
  'metric',
  'tags',
  'kind',
  'n',
  'synthetic',
  'min',
  'max',
  'mean',
  'stdev',
  'p50',
  'p90',
  'p95',
  'p99',
  'p999',
  'count',
  'rate',
  'last',
] as const;

/** One row per series per window (trend figures in ms); cells a kind does not have are empty. */
export function aggregatesToCsv(windows: readonly WindowAggregates[]): string {
  const rows = windows.flatMap((window) =>
    window.series.map(({ metric, tags, aggregate }) => {
      const { kind, ...figures } = aggregate;
      const values: Record<string, unknown> = { ...figures };
      delete values.histogram;
      delete values.lastTime;
      return {
        window: window.name,
        start: window.start,
        end: window.end,
        metric,
        tags: formatTags(tags),
        kind,
        ...values,
      };
    }),
  );
  return toCsv(rows, AGGREGATE_CSV_COLUMNS);
}
