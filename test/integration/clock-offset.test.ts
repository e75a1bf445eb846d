import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliProcess } from '../support/service-process.js';

const SCENARIO = path.resolve(__dirname, '../fixtures/clock-scenario.yaml');

/**
 * A load generator whose clock is off: the test-only knob SYNCSCALE_TEST_CLOCK_SKEW_MS moves the fleet's clock
 * 5 s ahead. Row stamps are the source database's clock, so without the correction every e2e latency would
 * read 5 s too long; the run measures the offset against the database and takes it out.
 */
describe('clock-corrected end-to-end latency', () => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-clock-'));
  afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

  it('measures a 5 s skew against the source database and takes it out of every e2e sample', async () => {
    const child = new CliProcess(['run', SCENARIO, '--reports-dir', reports], {
      SYNCSCALE_TEST_CLOCK_SKEW_MS: '5000',
    });
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    const [runId] = fs.readdirSync(reports);
    const results = JSON.parse(fs.readFileSync(path.join(reports, runId!, 'results.json'), 'utf8'));
    const { before, after } = results.clockOffset;
    expect(Math.abs(before.offsetMs - 5000)).toBeLessThan(50);
    expect(before.uncertaintyMs).toBeLessThan(50);
    expect(Math.abs(after.offsetMs - 5000)).toBeLessThan(50);
    const e2e = results.phases[0].aggregates.series.find(
      (s: { metric: string; tags: object }) => s.metric === 'e2e_latency' && Object.keys(s.tags).length === 0,
    ).aggregate;
    expect(e2e.n).toBeGreaterThan(5);
    // Uncorrected, every sample would be over 5,000 ms.
    expect(e2e.max).toBeLessThan(2500);
    expect(child.output).toMatch(
      /clock offset \+(49|50)\d\d\.\d ms ± \d+\.\d ms against the source database/,
    );
  }, 120_000);
});
