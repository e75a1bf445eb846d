import type { TopLevelSpec } from 'vega-lite';
import { escapeHtml } from './format.js';
import { HTML_STYLE } from './html-style.js';
import { renderSvg } from './render-svg.js';

/** What the compare page needs of a gate verdict (gate.json), structurally. */
export interface ComparedMetric {
  id: string;
  label: string;
  unit: string;
  outcome: string;
  reason: string;
  baseline: number[];
  candidate: number[];
}

export interface ComparedRuns {
  outcome: string;
  scenario: string;
  delta: number;
  metrics: ComparedMetric[];
  warnings: string[];
}

function distributionSpec(metric: ComparedMetric): TopLevelSpec {
  const values = [
    ...metric.baseline.map((v) => ({ side: 'baseline', value: v })),
    ...metric.candidate.map((v) => ({ side: 'candidate', value: v })),
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 260,
    height: 160,
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, opacity: 0.7, size: 60 },
        encoding: {
          x: { field: 'side', type: 'nominal', title: null, sort: ['baseline', 'candidate'] },
          y: { field: 'value', type: 'quantitative', title: metric.unit, scale: { zero: false } },
          color: { field: 'side', type: 'nominal', legend: null },
        },
      },
      {
        mark: { type: 'tick', thickness: 2, size: 40, color: '#222' },
        encoding: {
          x: { field: 'side', type: 'nominal', sort: ['baseline', 'candidate'] },
          y: { aggregate: 'median', field: 'value', type: 'quantitative' },
        },
      },
    ],
  };
}

/**
 * The gate's compare page: the verdict, then per metric both distributions of per-run values (one point
 * per run, the median as a tick). Self-contained: inline SVG and CSS, nothing fetched.
 */
export async function renderComparePage(verdict: ComparedRuns): Promise<string> {
  const title = `syncscale gate — ${verdict.scenario}: ${verdict.outcome}`;
  const figures = await Promise.all(
    verdict.metrics.map(async (m) => {
      const chart =
        m.baseline.length + m.candidate.length > 0
          ? await renderSvg(distributionSpec(m))
          : `<p class="no-data">no values</p>`;
      return `<figure class="chart" data-metric="${escapeHtml(m.id)}"><h3>${escapeHtml(m.label)}: ${escapeHtml(m.outcome)}</h3>${chart}<figcaption>${escapeHtml(m.reason)}</figcaption></figure>`;
    }),
  );
  const panel = verdict.outcome === 'regression' ? 'invalid' : 'valid';
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${HTML_STYLE}</style></head><body>`,
    `<h1>${escapeHtml(title)}</h1>`,
    `<div class="panel ${panel}"><p>Tolerance δ ${+(verdict.delta * 100).toFixed(1)} %. One point per run; ticks are medians.</p>`,
    ...verdict.warnings.map((w) => `<p class="note">warning: ${escapeHtml(w)}</p>`),
    '</div>',
    `<div class="charts">${figures.join('\n')}</div>`,
    '</body></html>',
    '',
  ].join('\n');
}
