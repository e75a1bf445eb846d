import type { Sample } from '../metrics/index.js';
import { describeError, UnavailableNotes, type Probe } from './probe.js';
import { parsePrometheusText } from './prometheus-text.js';

/** The series a sync service process exports that a capacity run needs (service.md §8.2, prom-client defaults). */
export const DEFAULT_PROMETHEUS_SERIES: readonly string[] = [
  'powersync_concurrent_connections',
  'powersync_operations_synced_total',
  'powersync_data_synced_bytes_total',
  'powersync_replication_lag_seconds',
  'powersync_rows_replicated_total',
  'powersync_operation_storage_size_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
];

export interface PrometheusProbeOptions {
  /** Series names to emit. Default `DEFAULT_PROMETHEUS_SERIES`. */
  series?: readonly string[];
  /** Whole-request timeout. Default 2000 ms. */
  timeoutMs?: number;
}

/** Labels the OpenTelemetry exporter adds to every series; they say nothing about the series. */
const NOISE_LABELS = new Set(['otel_scope_name', 'otel_scope_version', 'otel_scope_schema_url']);

/**
 * Scrapes one Prometheus metrics URL (exactly the URL given: no path guessing, redirects not followed) and
 * emits the selected series as samples named as exposed, tagged with the series' own labels and
 * `process: label`. Non-finite values (an unset gauge exported as NaN) are not emitted. Series the endpoint
 * does not export are noted once after the first successful scrape; each process exports only its mode's.
 */
export class PrometheusProbe implements Probe {
  readonly name: string;
  private readonly notes = new UnavailableNotes();
  private readonly wanted: Set<string>;
  private readonly timeoutMs: number;
  private readonly closing = new AbortController();
  private scraped = false;

  constructor(
    readonly url: string,
    readonly label: string,
    options: PrometheusProbeOptions = {},
  ) {
    this.name = `prometheus ${label}`;
    this.wanted = new Set(options.series ?? DEFAULT_PROMETHEUS_SERIES);
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  async sample(time: number): Promise<Sample[]> {
    if (this.closing.signal.aborted) return [];
    const text = await this.fetchText();
    if (text === undefined) return [];
    const exposition = parsePrometheusText(text);
    const first = exposition.errors[0];
    if (first) {
      this.notes.add(
        'parse',
        `metrics at ${this.url} (${this.label}) has malformed lines, e.g. line ${first.line}: ${first.message}`,
      );
    }
    const samples: Sample[] = [];
    const seen = new Set<string>();
    for (const series of exposition.series) {
      if (!this.wanted.has(series.name)) continue;
      seen.add(series.name);
      if (!Number.isFinite(series.value)) continue;
      const tags: Record<string, string> = {};
      for (const [key, value] of Object.entries(series.labels)) if (!NOISE_LABELS.has(key)) tags[key] = value;
      tags.process = this.label;
      samples.push({ metric: series.name, value: series.value, time, tags });
    }
    if (!this.scraped) {
      this.scraped = true;
      const missing = [...this.wanted].filter((name) => !seen.has(name));
      if (missing.length > 0) {
        this.notes.add(
          'missing',
          `metrics at ${this.url} (${this.label}) do not export ${missing.join(', ')}`,
        );
      }
    }
    return samples;
  }

  unavailable(): string[] {
    return this.notes.list();
  }

  async close(): Promise<void> {
    this.closing.abort();
  }

  private async fetchText(): Promise<string | undefined> {
    const signal = AbortSignal.any([this.closing.signal, AbortSignal.timeout(this.timeoutMs)]);
    try {
      const response = await fetch(this.url, {
        signal,
        redirect: 'manual',
        headers: { accept: 'text/plain;version=0.0.4;q=1, */*;q=0.1' },
      });
      if (response.status !== 200) {
        await response.body?.cancel();
        const where = response.headers.get('location');
        const detail = where ? ` (redirect to ${where}, not followed)` : '';
        this.notes.add(
          `status ${response.status}`,
          `could not read metrics at ${this.url} (${this.label}): HTTP ${response.status}${detail}`,
        );
        return undefined;
      }
      return await response.text();
    } catch (error) {
      if (this.closing.signal.aborted) return undefined;
      const timedOut = signal.aborted;
      const reason = timedOut ? `no answer within ${this.timeoutMs} ms` : describeError(causeOf(error));
      this.notes.add(
        timedOut ? 'timeout' : `error ${reason}`,
        `could not read metrics at ${this.url} (${this.label}): ${reason}`,
      );
      return undefined;
    }
  }
}

/** fetch wraps network errors as `TypeError: fetch failed` with the useful error as `cause`. */
function causeOf(error: unknown): unknown {
  return error instanceof Error && error.cause instanceof Error ? error.cause : error;
}
