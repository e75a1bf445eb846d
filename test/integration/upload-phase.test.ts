import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/index.js';
import { CliProcess } from '../support/service-process.js';

type Series = { metric: string; tags: Record<string, string>; aggregate: Record<string, number> };

/**
 * The write path through an application backend (issue 13): a phase's `upload` drives the example backend
 * with autocannon at a set rate; the backend writes stamped rows, so end-to-end latency flows through the
 * same pipeline as direct writes; the phase reports requests, statuses and latency.
 */
describe('syncscale run with an upload phase (autocannon → example backend → source → clients)', () => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-upload-'));
  afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

  it('sends the requests at the rate, every one lands as a row, and the rows reach the clients', async () => {
    const child = new CliProcess([
      'run',
      path.resolve(__dirname, '../fixtures/upload-scenario.yaml'),
      '--reports-dir',
      reports,
    ]);
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    const [runId] = fs.readdirSync(reports);
    const results = JSON.parse(fs.readFileSync(path.join(reports, runId!, 'results.json'), 'utf8'));
    const phase = results.phases[0];
    expect(phase.problems ?? []).toEqual([]);
    const upload = phase.upload;
    // 25/s for 4 s; autocannon's open loop may start a request or two late at the edges.
    expect(upload.requests).toBeGreaterThan(60);
    expect(upload.requests).toBeLessThan(120);
    expect(upload.non2xx).toBe(0);
    expect(upload.errors).toBe(0);
    expect(upload.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/todos$/);
    const series = phase.aggregates.series as Series[];
    const latency = series.find((s) => s.metric === 'upload_latency');
    // Every request has a latency sample: those of the settle window are counted in the phase's settle record.
    const settled = phase.settle.excludedSamples.upload_latency ?? 0;
    expect(latency!.aggregate.n! + settled).toBeGreaterThanOrEqual(upload.requests - 5);
    const created = series.filter((s) => s.metric === 'upload_responses' && s.tags.status === '201');
    expect(created.reduce((sum, s) => sum + s.aggregate.count!, 0)).toBe(upload.requests);
    // The backend stamped the rows: end-to-end latency measured through it.
    const e2e = series.find((s) => s.metric === 'e2e_latency');
    expect(e2e!.aggregate.n! + (phase.settle.excludedSamples.e2e_latency ?? 0)).toBeGreaterThan(10);
    expect(fs.readFileSync(path.join(reports, runId!, 'run.log'), 'utf8')).toContain('example backend up');
  }, 120_000);

  it('validates the upload block: one of backend or url, a positive rate, an http URL', () => {
    const base = `name: u\ndataset: { sync_config: ${path.resolve(__dirname, '../../fixtures/sync-config.yaml')} }\nphases:\n  - name: p\n    duration: 1s\n    clients: { constant: 1 }\n`;
    const problems = (upload: string) => {
      try {
        parseScenario(`${base}    upload: ${upload}\n`, { env: {} });
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(problems('{ backend: example, rate: 10 }')).toBe('');
    expect(problems('{ rate: 10 }')).toMatch(
      /line 7: phases\[0\]\.upload: one of backend or url is required/,
    );
    expect(problems('{ backend: example, url: "http://127.0.0.1:1/x", rate: 10 }')).toMatch(
      /give only one of backend or url/,
    );
    expect(problems('{ url: "ftp://x", rate: 10 }')).toMatch(/phases\[0\]\.upload\.url/);
    expect(problems('{ backend: example, rate: 0 }')).toMatch(/phases\[0\]\.upload\.rate/);
  });
});
