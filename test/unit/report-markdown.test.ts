import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunResults, renderMarkdownReport, renderTerminalSummary } from '../../src/report/index.js';

const RUN_DIR = path.resolve(__dirname, '../fixtures/runs/quickstart');
const results = parseRunResults(JSON.parse(fs.readFileSync(path.join(RUN_DIR, 'results.json'), 'utf8')));

describe('report.md from the saved quickstart run', () => {
  const markdown = renderMarkdownReport(results);

  it('matches the file snapshot (deterministic: only the run’s own timestamps)', async () => {
    await expect(markdown).toMatchFileSnapshot('__snapshots__/report-quickstart.md.txt');
    expect(renderMarkdownReport(results)).toBe(markdown);
  });

  it('has every section, with units and n on its numbers', () => {
    for (const heading of [
      '## Validity',
      '## Phases',
      '## Thresholds',
      '## Resources per phase',
      '## Compaction',
      '## Recommendations',
    ]) {
      expect(markdown).toContain(heading);
    }
    expect(markdown).toContain('**Valid**');
    expect(markdown).toMatch(/\| connections-200 \| 15 s \| 200 \| 200 \|/);
    expect(markdown).toMatch(/ms \(n=\d+\)/);
    expect(markdown).toContain('20 tx/s / 20 tx/s');
    expect(markdown).toContain('| writes-100 | e2e_latency | p(99) < 2000 | pass | 73 |');
    expect(markdown).toMatch(/\| compaction \| 3 s \| 5155 \| 1723 \| 134 \| 311 \| 1088 ms \|/);
    expect(markdown).toMatch(/\| api-0 \| [\d.]+ MiB \([\d.]+ MiB–[\d.]+ MiB\) \|/);
    expect(markdown).toContain('run `syncscale size` to add recommendations');
    expect(markdown).not.toMatch(/NaN|undefined|Infinity/);
  });

  it('renders recommendations.json entries generically as number, unit and evidence rows', () => {
    const withRecs = renderMarkdownReport(results, {
      apiContainers: {
        name: 'API containers',
        number: 2,
        unit: 'containers',
        evidence: ['memory fit', 'HA rule N+1'],
      },
      heap: { value: 820, unit: 'MB', evidence: { fit: 'api-heap', n: 4 } },
      notes: 'ignored: not an object with a number',
    });
    expect(withRecs).toContain('| API containers | 2 | containers | memory fit; HA rule N+1 |');
    expect(withRecs).toContain('| heap | 820 | MB | fit: api-heap; n: 4 |');
    expect(withRecs).not.toContain('ignored');
  });
});

describe('report.md with a recommendations.json shaped like src/analysis output', () => {
  it('lists the numbers one level down (api.containers), with band and evidence', () => {
    const markdown = renderMarkdownReport(results, {
      schemaVersion: 1,
      api: {
        containers: {
          value: 3,
          unit: 'containers',
          evidence: { source: 'fit', fit: 'api-memory', n: 4 },
          assumptions: [],
        },
        limits: [{ name: 'memory', containers: 2 }],
      },
      storage: {
        bytes: { value: null, unit: 'bytes', evidence: { source: 'fit', refused: 'too few levels' } },
      },
      fits: { apiMemory: { value: 1, unit: 'x' } },
    });
    expect(markdown).toContain('| api.containers | 3 | containers | source: fit; fit: api-memory; n: 4 |');
    expect(markdown).toContain('| storage.bytes | — | bytes | source: fit; refused: too few levels |');
    expect(markdown).not.toContain('fits.apiMemory');
  });
});

describe('terminal summary', () => {
  it('fits in 30 plain-text lines and names every phase and the validity', () => {
    const text = renderTerminalSummary(results, { files: ['reports/x/report.md', 'reports/x/report.html'] });
    const lines = text.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(lines[0]).toBe('Run 20261128-035239-quickstart (quickstart): completed, valid');
    for (const phase of results.phases) expect(text).toContain(phase.name);
    expect(text).toContain('Thresholds: 5 passed, 0 failed');
    expect(text).not.toContain('\u001b[');
  });

  it('clamps a long run to 30 lines', () => {
    const many = {
      ...results,
      phases: Array.from({ length: 40 }, (_, i) => ({ ...results.phases[0]!, name: `p${i}` })),
    };
    expect(renderTerminalSummary(many).trimEnd().split('\n')).toHaveLength(30);
  });
});
