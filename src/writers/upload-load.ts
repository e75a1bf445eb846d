import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import type { SampleSink } from '../metrics/index.js';

/** Metric names of the upload path (the application backend's endpoint, driven by autocannon). */
export const UploadMetric = {
  /** Request → response of one upload, ms (coordinated omission corrected by the registry). */
  latency: 'upload_latency',
  /** Responses, tagged `status`. */
  responses: 'upload_responses',
  /** Connection errors and timeouts. */
  errors: 'upload_errors',
} as const;

/** Kinds of the upload metrics for the registry (unknown names would be gauges). */
export const UPLOAD_METRIC_KINDS = {
  [UploadMetric.latency]: 'trend',
  [UploadMetric.responses]: 'counter',
  [UploadMetric.errors]: 'counter',
} as const;

export interface UploadRunOptions {
  url: string;
  method: 'POST' | 'PUT' | 'PATCH';
  headers: Record<string, string>;
  /** Body template: {{id}} (unique per request), {{user}} (the dataset's users in turn), {{payload}}, {{now}}. */
  body: string;
  perSecond: number;
  connections: number;
  durationMs: number;
  users: readonly string[];
  payloadBytes: number;
  /** Unique per run and phase, so ids never collide with earlier runs' rows. */
  idPrefix: string;
  sink: SampleSink;
  tags?: Record<string, string>;
  signal?: AbortSignal;
}

export interface UploadSummary {
  requests: number;
  /** Responses outside 2xx. */
  non2xx: number;
  errors: number;
  timeouts: number;
  targetRate: number;
  achievedRate: number;
  /** autocannon's own latency percentiles (ms), coordinated omission corrected (a rate is set). */
  latencyMs: { p50: number; p99: number; max: number };
  aborted: boolean;
}

/** Fills a body template for one request. */
export function renderUploadBody(
  template: string,
  values: { id: string; user: string; payload: string; now: number },
): string {
  return template
    .replaceAll('{{id}}', values.id)
    .replaceAll('{{user}}', values.user)
    .replaceAll('{{payload}}', values.payload)
    .replaceAll('{{now}}', String(values.now));
}

/**
 * Client writes the way real apps make them: requests to the application's own backend, which writes the
 * source database. Open loop at `perSecond` over `connections` (autocannon's `overallRate`); every
 * response is a sample (status, latency) and the run's end-to-end latency flows through the same stamped
 * rows as the direct writers' — the backend stamps what it inserts.
 */
export async function runUpload(options: UploadRunOptions): Promise<UploadSummary> {
  let n = 0;
  const payload = () =>
    randomBytes(Math.ceil(options.payloadBytes / 2))
      .toString('hex')
      .slice(0, options.payloadBytes);
  let finish!: (outcome: { error: unknown; result?: autocannon.Result }) => void;
  const finished = new Promise<{ error: unknown; result?: autocannon.Result }>(
    (resolve) => (finish = resolve),
  );
  const instance = autocannon(
    {
      url: options.url,
      connections: options.connections,
      overallRate: options.perSecond,
      duration: Math.max(1, Math.round(options.durationMs / 1000)),
      headers: { 'content-type': 'application/json', ...options.headers },
      requests: [
        {
          method: options.method,
          setupRequest: (request) => {
            const index = n++;
            return {
              ...request,
              body: renderUploadBody(options.body, {
                id: `${options.idPrefix}-${index}`,
                user: options.users[index % options.users.length] ?? 'user0',
                payload: payload(),
                now: Date.now(),
              }),
            };
          },
        },
      ],
    },
    (error, result) => finish({ error, result }),
  );
  const tags = options.tags ?? {};
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    const time = Date.now();
    options.sink.add({ metric: UploadMetric.latency, value: responseTime, time, tags });
    options.sink.add({
      metric: UploadMetric.responses,
      value: 1,
      time,
      tags: { ...tags, status: String(statusCode) },
    });
  });
  instance.on('reqError', () =>
    options.sink.add({ metric: UploadMetric.errors, value: 1, time: Date.now(), tags }),
  );
  const onAbort = () => instance.stop();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { error, result } = await finished;
    if (error || !result)
      throw error instanceof Error ? error : new Error(`autocannon failed: ${String(error)}`);
    const seconds = Math.max(result.duration, 0.001);
    return {
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      targetRate: options.perSecond,
      achievedRate: result.requests.total / seconds,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      aborted: options.signal?.aborted ?? false,
    };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}
