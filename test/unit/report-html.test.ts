import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartPanels, parseRunResults, renderHtmlReport } from '../../src/report/index.js';

const RUN_DIR = path.resolve(__dirname, '../fixtures/runs/quickstart');
const results = parseRunResults(JSON.parse(fs.readFileSync(path.join(RUN_DIR, 'results.json'), 'utf8')));

/** A recommendations.json shaped like src/analysis output: a serialised fit and the container limits. */
const RECOMMENDATIONS = {
  apiContainers: {
    name: 'API containers',
    number: 2,
    unit: 'containers',
    evidence: 'connection cap binds; N+1',
    limits: { connections: 2, memory: 1, cpu: 1, latency: 1 },
    binding: 'connections',
  },
  fits: [
    {
      kind: 'api-memory',
      x: { name: 'connections', unit: 'connections' },
      y: { name: 'RSS', unit: 'bytes' },
      n: 4,
      estimates: [
        { name: 'RSS per connection', value: 40_000, unit: 'bytes/connections' },
        { name: 'RSS at zero', value: 85_000_000, unit: 'bytes' },
      ],
      points: [25, 50, 100, 200].map((x) => ({ x, y: 85_000_000 + 40_000 * x })),
      band: [25, 200].map((x) => ({ x, low: 80_000_000 + 40_000 * x, high: 90_000_000 + 40_000 * x })),
    },
  ],
};

/** The figure elements of the report, by chart id. */
function figures(html: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const match of html.matchAll(/<figure class="chart" data-chart="([^"]+)"[\s\S]*?<\/figure>/g)) {
    map.set(match[1]!, match[0]);
  }
  return map;
}

/** Everything but text: tags and their attributes (text may mention URLs, e.g. a probe's address). */
function markupOnly(html: string): string {
  return (html.match(/<[^>]*>/g) ?? []).join('\n');
}

describe('report.html from the saved quickstart run', async () => {
  const html = await renderHtmlReport(results);
  const charts = figures(html);
  const panels = chartPanels(results);

  it('has one <svg> per chart with data, and "no data" (no svg) for the rest', () => {
    expect(charts.size).toBe(panels.length);
    for (const panel of panels) {
      const figure = charts.get(panel.id)!;
      const svgs = figure.match(/<svg/g)?.length ?? 0;
      if (panel.spec) {
        expect(svgs, panel.id).toBe(1);
        expect(figure, panel.id).toMatch(/class="mark-\w+ role-mark[^"]*"[^>]*><path aria-label="/);
      } else {
        expect(svgs, panel.id).toBe(0);
        expect(figure, panel.id).toMatch(/no data|syncscale size/i);
      }
    }
    expect(html.match(/<svg/g)).toHaveLength(panels.filter((p) => p.spec).length);
  });

  it('charts every measurement the quickstart run has', () => {
    const withData = panels.filter((p) => p.spec).map((p) => p.id);
    expect(withData).toEqual([
      'memory',
      'heap',
      'cpu-connections',
      'cpu-writes',
      'latency',
      'replication-lag',
      'compaction',
    ]);
    expect(charts.get('capacity')).toContain('run `syncscale size` to add recommendations');
  });

  it('is self-contained: no script, no external reference in any tag, inline CSS and a CSP', () => {
    const markup = markupOnly(html);
    expect(markup).not.toMatch(/https?:\/\//);
    expect(markup).not.toMatch(/<script|<link|<img|@import|url\(/i);
    expect(html).toContain('<style>');
    expect(html).toContain("default-src 'none'");
    expect(html).toContain('data-panel="validity"');
    expect(html).toContain('Run validity: valid');
  });

  it('is deterministic', async () => {
    expect(await renderHtmlReport(results)).toBe(html);
  });
});

describe('report.html with recommendations.json', async () => {
  const html = await renderHtmlReport(results, RECOMMENDATIONS);
  const charts = figures(html);

  it('draws the fit line and band on the memory chart', () => {
    const memory = charts.get('memory')!;
    expect(memory).toContain('stroke-dasharray="6,3"');
    expect(memory).toMatch(
      /role-mark[^"]*" role="graphics-object" aria-roledescription="area mark container"/,
    );
  });

  it('fills the capacity panel with the limits, the binding one marked', () => {
    const capacity = charts.get('capacity')!;
    expect(capacity.match(/<svg/g)).toHaveLength(1);
    expect(capacity).toContain('connections');
    expect(capacity).toContain('binds');
  });

  it('lists the recommendations', () => {
    expect(html).toContain('<td>API containers</td><td>2</td><td>containers</td>');
  });
});
