import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliProcess } from '../support/service-process.js';

const SCENARIO = path.resolve(__dirname, '../fixtures/validity-scenario.yaml');

/**
 * The validity rule end to end, with injected lateness far beyond what a busy 2-core box produces: every
 * arrival of `late` handed over 400 ms after its time (ten gaps at 40 tx/s), every transaction of
 * `slow-source` held 600 ms on its connection (8 connections: at most ≈ 13 tx/s of the 40 asked).
 */
describe('syncscale run judges each phase on its own', () => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-validity-'));
  afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

  it('leaves out the late phase, reports the slow source as a finding, and the run stays valid', async () => {
    const child = new CliProcess(['run', SCENARIO, '--reports-dir', reports], {
      SYNCSCALE_FAULT_WRITER_LATE_MS: '400',
      SYNCSCALE_FAULT_SOURCE_COMMIT_MS: '600',
      SYNCSCALE_FAULT_WRITER_LATE_PHASES: 'late',
      SYNCSCALE_FAULT_SOURCE_COMMIT_PHASES: 'slow-source',
    });
    const { code } = await child.exited;
    const [runId] = fs.readdirSync(reports);
    const results = JSON.parse(fs.readFileSync(path.join(reports, runId!, 'results.json'), 'utf8'));
    const phase = (name: string) => results.phases.find((p: { name: string }) => p.name === name);

    expect(phase('late').validity.valid).toBe(false);
    expect(phase('late').validity.reasons.join()).toMatch(
      /starts .* later than 50 ms .* with a writer connection free/,
    );
    expect(results.validity.invalidPhases.map((p: { name: string }) => p.name)).toContain('late');
    // The slow source is a finding about the source, not the generator.
    expect(phase('slow-source').writes.behindSchedule).toBe(false);
    expect(phase('slow-source').writes.sustained).toBe(false);
    expect(phase('slow-source').writes.sourceBackpressure).toMatch(
      /source commit p99 \d+(\.\d)? ms: the source database did not keep up with 40 tx\/s/,
    );
    expect(child.output).toMatch(/slow-source: source commit p99/);
    expect(child.output).toMatch(/phase late left out \(invalid\)/);
    // The run is valid: the phase with thresholds is the clean one. (Its own schedule is not asserted: it is
    // judged on this box's real scheduling.)
    if (phase('on-time').validity.valid) {
      expect(results.validity.valid, child.output).toBe(true);
      expect(code, child.output).toBe(0);
    }
  }, 120_000);
});
