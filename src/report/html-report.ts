import { backlogLines, exclusionLines, sizingLimitLines } from './measurement-notes.js';
import { phaseValidityLines } from './run-results.js';
import { chartPanels, type ChartPanel } from './chart-specs.js';
import { escapeHtml } from './format.js';
import { apiDecisionTables, measuredOnText, recommendationRows } from './recommendations.js';
import { renderSvg } from './render-svg.js';
import type { RunResults } from './run-results.js';
import {
  compactionTable,
  phaseTable,
  recommendationTable,
  resourceTable,
  summaryRows,
  thresholdTable,
  type Table,
} from './tables.js';
import { HTML_STYLE } from './html-style.js';

/**
 * `report.html`: one self-contained file (inline CSS, charts rendered to inline SVG, a CSP that forbids
 * every fetch), from the saved results and `recommendations.json` when there is one.
 */
export async function renderHtmlReport(results: RunResults, recommendations?: unknown): Promise<string> {
  const panels = chartPanels(results, recommendations);
  const figures = await Promise.all(panels.map(renderPanel));
  const recRows = recommendations === undefined ? [] : recommendationRows(recommendations);
  const title = `syncscale report: ${results.scenario.name} (${results.runId})`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${HTML_STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(title)}</h1>`,
    summaryList(results),
    validityPanel(results),
    '<h2>Charts</h2>',
    `<div class="charts">${figures.join('\n')}</div>`,
    tableSection(
      'Phases',
      phaseTable(results),
      'Latencies p50 / p99 from HDR histograms; n = samples in the phase.',
    ),
    tableSection('Thresholds', thresholdTable(results), 'No thresholds in this scenario.'),
    tableSection(
      'Resources per phase',
      resourceTable(results),
      'Gauges sampled every second: last (min–max).',
    ),
    tableSection('Compaction', compactionTable(results), 'No compaction ran.'),
    measuredOnText(recommendations)
      ? `<p class="panel valid">${escapeHtml(measuredOnText(recommendations)!)}</p>`
      : '',
    recRows.length > 0
      ? tableSection('Recommendations', recommendationTable(recRows), '')
      : '<h2>Recommendations</h2><p class="no-data">None yet: run <code>syncscale size</code> to add recommendations.</p>',
    ...(() => {
      const decision = apiDecisionTables(recommendations);
      return [
        decision.limits.rows.length ? tableSection('API limits', decision.limits, '') : '',
        decision.shapes.rows.length
          ? `<div data-panel="shapes">${tableSection('Container shapes', decision.shapes, decision.ceiling ?? '')}</div>`
          : '',
      ];
    })(),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

async function renderPanel(panel: ChartPanel): Promise<string> {
  const body = panel.spec ? await renderSvg(panel.spec) : `<p class="no-data">${escapeHtml(panel.empty)}</p>`;
  return [
    `<figure class="chart" data-chart="${panel.id}" data-state="${panel.spec ? 'data' : 'no-data'}">`,
    `<h3>${escapeHtml(panel.title)}</h3>`,
    body,
    `<figcaption>${escapeHtml(panel.caption)}</figcaption>`,
    '</figure>',
  ].join('\n');
}

function summaryList(results: RunResults): string {
  const items = summaryRows(results).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`);
  return `<dl class="summary">${items.join('')}</dl>`;
}

function validityPanel(results: RunResults): string {
  const { valid, reasons } = results.validity;
  const thresholds = results.phases.flatMap((p) => p.thresholds);
  const failed = thresholds.filter((t) => !t.passed).length;
  const lines = [
    `<section class="panel ${valid ? 'valid' : 'invalid'}" data-panel="validity">`,
    `<h2>Run validity: ${valid ? 'valid' : 'INVALID'}</h2>`,
    `<p>${
      valid
        ? 'The load generator kept up (event loop, CPU, write schedule) in every phase judged; phases where it did not are listed and left out.'
        : 'Nothing that was asked can be judged from this run.'
    }</p>`,
  ];
  if (reasons.length > 0) lines.push(list(reasons));
  const phaseLines = phaseValidityLines(results);
  if (phaseLines.length > 0) lines.push('<p>Phases:</p>', list(phaseLines));
  const backlog = backlogLines(results);
  if (backlog.length > 0) lines.push('<p>Catching up after backlog actions:</p>', list(backlog));
  const leftOut = exclusionLines(results);
  if (leftOut.length > 0)
    lines.push(
      `<details data-panel="left-out"><summary>Left out of the figures</summary><p>${escapeHtml(leftOut[0]!)}</p>`,
      list(leftOut.slice(1)),
      '</details>',
    );
  const limits = sizingLimitLines(results);
  if (limits.length > 0) lines.push('<p>What limits the sizing:</p>', list(limits));
  lines.push(`<p>Thresholds: ${thresholds.length - failed} passed, ${failed} failed.</p>`);
  if (results.probesUnavailable.length > 0) {
    lines.push('<p>Probe notes:</p>', list(results.probesUnavailable));
  }
  lines.push('</section>');
  return lines.join('\n');
}

function list(items: string[]): string {
  return `<ul>${items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
}

function tableSection(title: string, table: Table, note: string): string {
  const heading = `<h2>${escapeHtml(title)}</h2>`;
  if (table.rows.length === 0) return `${heading}<p class="no-data">${escapeHtml(note || 'No data.')}</p>`;
  const head = table.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = table.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`);
  return `${heading}<div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>${body.join('')}</tbody></table></div>${
    note ? `<p class="note">${escapeHtml(note)}</p>` : ''
  }`;
}
