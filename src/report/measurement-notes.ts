import { MetricName } from '../metrics/index.js';
import { phaseCount } from './phase-metrics.js';
import type { RunResults } from './run-results.js';

/**
 * What each phase's figures leave out, in words: first a sentence on the settle windows, then one line per
 * phase with the trend samples its settle window held and the rows committed before it that reached clients
 * during it (counted, not timed). Empty when nothing was left out.
 */
export function exclusionLines(results: RunResults): string[] {
  const lines: string[] = [];
  const settles = results.phases.flatMap((p) => (p.settle ? [p.settle.measuredFrom - p.settle.start] : []));
  if (settles.length > 0) {
    const seconds = [...new Set(settles.map((ms) => (ms / 1000).toFixed(1)))];
    lines.push(
      `Each phase's first ${seconds.join(' or ')} s (its settle window) is left out of its latencies and probe readings; counters, connect time and first checkpoint count the whole phase.`,
    );
  }
  for (const phase of results.phases) {
    const parts = Object.entries(phase.settle?.excludedSamples ?? {})
      .filter(([, n]) => n > 0)
      .map(([metric, n]) => `${n} ${metric}`);
    const earlier = phaseCount(phase, MetricName.endToEndEarlierRows) ?? 0;
    if (earlier > 0) parts.push(`${earlier} rows committed before the phase (not timed)`);
    if (parts.length > 0) lines.push(`${phase.name}: ${parts.join(', ')}`);
  }
  if (settles.length === 0 && lines.length > 0)
    lines.unshift('Rows committed before a phase that reached clients during it are counted, not timed.');
  return lines;
}

/** One line for the whole run (terminal summary): the settle windows and earlier rows, summed. */
export function exclusionSummary(results: RunResults): string | undefined {
  const settled = results.phases.filter((p) => p.settle);
  const earlier = results.phases.reduce(
    (sum, p) => sum + (phaseCount(p, MetricName.endToEndEarlierRows) ?? 0),
    0,
  );
  if (settled.length === 0 && earlier === 0) return undefined;
  const samples = settled.reduce(
    (sum, p) => sum + (p.settle!.excludedSamples[MetricName.endToEndLatency] ?? 0),
    0,
  );
  const parts: string[] = [];
  if (settled.length > 0)
    parts.push(
      `each phase's settle window left out of its latencies and probe readings (${samples} e2e samples)`,
    );
  if (earlier > 0) parts.push(`${earlier} rows committed before their phase not timed`);
  return `Left out: ${parts.join('; ')}`;
}

/**
 * How long the service took to catch up after each backlog action: "backlog: one transaction of 2000 rows
 * replicated in 0.4 s (5000 rows/s)", "backlog: restart replicator: replication caught up 1.2 s after it".
 */
export function backlogLines(results: RunResults): string[] {
  const lines: string[] = [];
  for (const phase of results.phases)
    for (const action of phase.actions) {
      const r = action.result as
        { caughtUp?: unknown; caughtUpMs?: unknown; note?: unknown; rows?: unknown } | undefined;
      if (!r || typeof r.caughtUp !== 'boolean') continue;
      const rows = typeof r.rows === 'number' ? r.rows : undefined;
      const what =
        action.kind === 'large_transaction'
          ? `one transaction of ${rows ?? '?'} rows`
          : action.kind === 'restart' && action.process
            ? `restart ${action.process}`
            : action.kind.replace('_', ' ');
      if (!r.caughtUp) {
        lines.push(`${phase.name}: ${what}: ${typeof r.note === 'string' ? r.note : 'not caught up'}`);
        continue;
      }
      const seconds = (typeof r.caughtUpMs === 'number' ? r.caughtUpMs : 0) / 1000;
      lines.push(
        action.kind === 'large_transaction'
          ? `${phase.name}: ${what} replicated in ${seconds.toFixed(1)} s (${Math.round((rows ?? 0) / Math.max(seconds, 0.001))} rows/s)`
          : `${phase.name}: ${what}: replication caught up ${seconds.toFixed(1)} s after it`,
      );
    }
  return lines;
}

/** What a quantity not measured does to the sizing. */
const EFFECT: Record<string, string> = {
  rss: 'memory per connection is not fitted',
  cpu: 'CPU per connection and per write is not fitted',
  heap: 'no heap size is recommended (heap not measured)',
  connections: "connections are the fleet's count, not the service's",
};

/**
 * Probe notes that limit the sizing, grouped by quantity: "heap not measured for api-0, replicator-0: no heap
 * size is recommended". Quantities read another way (RSS from /proc instead of a metric) are not listed.
 */
export function sizingLimitLines(results: RunResults): string[] {
  const missing = new Map<string, string[]>();
  for (const [proc, sources] of Object.entries(results.observed ?? {})) {
    for (const [quantity, source] of Object.entries(sources)) {
      if (source !== 'unavailable' || !(quantity in EFFECT)) continue;
      missing.set(quantity, [...(missing.get(quantity) ?? []), proc]);
    }
  }
  return [...missing].map(([quantity, procs]) => {
    const name = quantity === 'rss' ? 'RSS' : quantity === 'cpu' ? 'CPU' : quantity.replace('_', ' ');
    return `${name} not measured for ${procs.join(', ')}: ${EFFECT[quantity]}`;
  });
}
