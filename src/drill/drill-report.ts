import { writeArtifactAsync } from '../redact/index.js';
import path from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { escapeHtml, renderSvg } from '../report/index.js';
import type { DrillResults } from './drill-verdict.js';

/** Process lanes: each process's life, and each replicator's spans of holding the lock. */
function lanes(r: DrillResults): Array<{ lane: string; from: number; to: number; state: string }> {
  const t = (at: number) => (at - r.startedAt) / 1000;
  const bars: Array<{ lane: string; from: number; to: number; state: string }> = [];
  const started = new Map<string, number>();
  for (const e of r.events) {
    if (e.kind === 'started') started.set(e.subject, e.at);
    if (e.kind === 'exited' && started.has(e.subject)) {
      bars.push({ lane: e.subject, from: t(started.get(e.subject)!), to: t(e.at), state: 'running' });
      started.delete(e.subject);
    }
  }
  for (const [subject, at] of started)
    bars.push({ lane: subject, from: t(at), to: t(r.endedAt), state: 'running' });
  for (const span of r.lockSpans)
    bars.push({ lane: span.holder, from: t(span.from), to: t(span.to), state: 'holds the lock' });
  return bars;
}

function timelineSpec(r: DrillResults): TopLevelSpec {
  const t = (at: number) => (at - r.startedAt) / 1000;
  const steps = r.steps.map((s) => ({ at: t(s.startedAt), step: s.name }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    // The two charts color different things: their color scales must not merge.
    resolve: { scale: { color: 'independent' }, legend: { color: 'independent' } },
    vconcat: [
      {
        width: 760,
        height: { step: 22 },
        title: 'Processes and the replication lock',
        layer: [
          {
            data: { values: lanes(r) },
            mark: { type: 'bar', height: 14 },
            encoding: {
              y: { field: 'lane', type: 'nominal', title: null },
              x: { field: 'from', type: 'quantitative', title: 'seconds' },
              x2: { field: 'to' },
              color: {
                field: 'state',
                type: 'nominal',
                scale: { domain: ['running', 'holds the lock'], range: ['#b0bec5', '#2e7d32'] },
              },
            },
          },
          {
            data: { values: steps },
            mark: { type: 'rule', strokeDash: [4, 3], color: '#555' },
            encoding: { x: { field: 'at', type: 'quantitative' } },
          },
        ],
      },
      {
        width: 760,
        height: 140,
        title: 'Clients synced and reconnects per second',
        layer: [
          {
            data: {
              values: r.series.synced.map((p) => ({
                at: t(p.at),
                value: p.synced,
                series: 'clients synced',
              })),
            },
            mark: { type: 'line', interpolate: 'step-after' },
            encoding: {
              x: { field: 'at', type: 'quantitative', title: 'seconds' },
              y: { field: 'value', type: 'quantitative', title: 'clients' },
              color: { field: 'series', type: 'nominal' },
            },
          },
          {
            data: {
              values: r.series.reconnectsPerSecond.map((p) => ({
                at: t(p.at),
                value: p.count,
                series: 'reconnects/s',
              })),
            },
            mark: { type: 'bar', width: 4 },
            encoding: {
              x: { field: 'at', type: 'quantitative' },
              y: { field: 'value', type: 'quantitative' },
              color: { field: 'series', type: 'nominal' },
            },
          },
        ],
      },
    ],
  };
}

function markdown(r: DrillResults): string {
  return [
    `# syncscale drill: ${r.drill} — ${r.verdict}`,
    '',
    '```',
    r.summary,
    '```',
    '',
    '| check | observed | limit | |',
    '| --- | --- | --- | --- |',
    ...r.checks.map(
      (c) =>
        `| ${c.name} | ${c.observed.replaceAll('|', '\\|')} | ${c.limit} | ${c.passed ? 'pass' : '**FAIL**'} |`,
    ),
    '',
    '## Steps',
    '',
    ...r.steps.map(
      (s) =>
        `- **${s.name}** (${((s.endedAt - s.startedAt) / 1000).toFixed(1)} s)${s.error ? ` error: ${s.error}` : ''}${Object.entries(
          s.figures,
        )
          .map(([k, v]) => `; ${k}: ${v}`)
          .join('')}`,
    ),
    '',
    '## Events',
    '',
    ...r.events.map(
      (e) =>
        `- +${((e.at - r.startedAt) / 1000).toFixed(2)} s ${e.subject} ${e.kind}${e.detail ? ` (${e.detail})` : ''}`,
    ),
    ...(r.verification?.examples.length
      ? ['', '## Verification examples', '', ...r.verification.examples.map((x) => `- ${x}`)]
      : []),
    '',
  ].join('\n');
}

async function html(r: DrillResults): Promise<string> {
  const chart = await renderSvg(timelineSpec(r));
  const rows = r.checks
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.observed)}</td><td>${escapeHtml(c.limit)}</td><td>${c.passed ? 'pass' : '<strong>FAIL</strong>'}</td></tr>`,
    )
    .join('\n');
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>syncscale drill ${escapeHtml(r.drill)}: ${r.verdict}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:1100px} table{border-collapse:collapse;font-size:.9rem} td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left} .PASS{background:#e8f5e9;border:1px solid #66bb6a} .FAIL{background:#ffebee;border:1px solid #e53935} .panel{padding:.5rem 1rem;border-radius:6px} pre{white-space:pre-wrap}</style>',
    '</head><body>',
    `<h1>syncscale drill ${escapeHtml(r.drill)}</h1>`,
    `<div class="panel ${r.verdict}"><pre>${escapeHtml(r.summary)}</pre></div>`,
    '<h2>Checks</h2><table><tr><th>check</th><th>observed</th><th>limit</th><th></th></tr>',
    rows,
    '</table>',
    `<h2>Timeline</h2><figure class="chart">${chart}<figcaption>Dashed lines: steps. Green: a replicator holds the lock (by its own log).</figcaption></figure>`,
    '</body></html>',
    '',
  ].join('\n');
}

/** Writes drill.md and drill.html beside drill.json; returns their paths. */
export async function drillReports(dir: string, results: DrillResults): Promise<string[]> {
  const md = path.join(dir, 'drill.md');
  const page = path.join(dir, 'drill.html');
  await writeArtifactAsync(md, markdown(results));
  await writeArtifactAsync(page, await html(results));
  return [path.join(dir, 'drill.json'), md, page];
}
