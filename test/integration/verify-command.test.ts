import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliProcess } from '../support/service-process.js';

const FROM = path.resolve(__dirname, '../fixtures/runs/quickstart');
const PROFILE = path.resolve(__dirname, '../fixtures/profile-small.yaml');

/**
 * A recommendation is a prediction: `syncscale verify` runs it. Proven both ways on the reference service:
 * the recommendation passes; with a cost the sizing run did not have (every checkpoint handed to the streams
 * 3 s late, set only for the verification), it fails on the e2e objective.
 */
describe('syncscale verify', () => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-verify-'));
  afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));
  const verify = (out: string, env: NodeJS.ProcessEnv = {}) =>
    new CliProcess(
      [
        'verify',
        '--from',
        FROM,
        '--profile',
        PROFILE,
        '--duration',
        '8',
        '--reports-dir',
        path.join(reports, out),
      ],
      env,
    );

  it('passes on the service it was sized on, with a verdict, a report section and exit 0', async () => {
    const child = verify('pass');
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    expect(child.output).toMatch(
      /VERIFY PASS: \d+ connections at 12 tx\/s on one 1 vCPU \/ 1024 MB container/,
    );
    const [runId] = fs.readdirSync(path.join(reports, 'pass')).filter((d) => !d.endsWith('.yaml'));
    const dir = path.join(reports, 'pass', runId!);
    const verdict = JSON.parse(fs.readFileSync(path.join(dir, 'verify.json'), 'utf8'));
    expect(verdict.outcome).toBe('pass');
    expect(verdict.checks.map((c: { name: string }) => c.name)).toEqual([
      'checkpoint p99 (steady)',
      'e2e p99 (steady)',
      'API RSS (max)',
      'API CPU (mean over the steady window)',
    ]);
    expect(fs.readFileSync(path.join(dir, 'report.md'), 'utf8')).toContain(
      '## Verify: the recommendation, run',
    );
    expect(fs.readFileSync(path.join(dir, 'report.html'), 'utf8')).toContain('data-panel="verify"');
  }, 180_000);

  it('fails (exit 99) when the service is slower than the one sized: an objective is missed', async () => {
    const child = verify('fail', { SYNCSCALE_FAULT_CHECKPOINT_DELAY_MS: '3000' });
    const { code } = await child.exited;
    expect(code, child.output).toBe(99);
    expect(child.output).toMatch(/VERIFY FAIL/);
    expect(child.output).toMatch(/FAIL e2e p99 \(steady\): \d+/);
  }, 180_000);
});
