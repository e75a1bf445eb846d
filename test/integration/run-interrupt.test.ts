import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliProcess } from '../support/service-process.js';
import { until } from '../support/until.js';
import { processesMentioning } from '../support/processes.js';

const TINY = path.resolve(__dirname, '../fixtures/tiny-scenario.yaml');

/**
 * A TMPDIR of the test's own: every process a run starts inherits it, and its embedded Postgres lives
 * under it, so "what did this run leave behind" needs no guess about other test files' servers.
 */
const privateTmpDirs: string[] = [];
afterAll(() => {
  for (const dir of privateTmpDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function privateTmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-tmpdir-'));
  privateTmpDirs.push(dir);
  fs.chmodSync(dir, 0o755); // the embedded server runs as the unprivileged postgres user
  return dir;
}

/** Processes whose environment has TMPDIR=dir: everything a run started with that TMPDIR, however deep. */
function processesStartedWith(tmp: string): string[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`TMPDIR=${tmp}`);
      } catch {
        return false;
      }
    });
}

describe('syncscale run: worker threads, Ctrl-C and SIGKILL', () => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-run-interrupt-'));
  afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

  it('runs the clients in worker threads with merged histograms (--workers 2)', async () => {
    const out = path.join(reports, 'workers');
    const child = new CliProcess(['run', TINY, '--reports-dir', out, '--workers', '2']);
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    const [runId] = fs.readdirSync(out);
    const results = JSON.parse(fs.readFileSync(path.join(out, runId!, 'results.json'), 'utf8'));
    const series = results.phases[1].aggregates.series as Array<{
      metric: string;
      aggregate: { n?: number };
    }>;
    expect(series.find((s) => s.metric === 'checkpoint_latency')!.aggregate.n).toBeGreaterThan(0);
    expect(series.find((s) => s.metric === 'e2e_latency')!.aggregate.n).toBeGreaterThan(0);
    expect(results.phases[1].thresholds[0]).toMatchObject({ passed: true });
    expect(processesMentioning(path.join(out, runId!))).toEqual([]);
  }, 180_000);

  it('Ctrl-C keeps the results gathered so far and stops every process, the database and its temp dir', async () => {
    const out = path.join(reports, 'interrupted');
    const tmp = privateTmpDir();
    const child = new CliProcess(['run', TINY, '--reports-dir', out], { TMPDIR: tmp });
    await child.waitFor('[connect]', 120_000);
    expect(processesStartedWith(tmp).length).toBeGreaterThan(0); // the check sees the run's processes
    child.kill('SIGINT');
    const { code } = await child.exited;
    expect(code).toBe(1);
    const [runId] = fs.readdirSync(out);
    const dir = path.join(out, runId!);
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    expect(results.status).toBe('interrupted');
    expect(fs.statSync(path.join(dir, 'samples.ndjson')).size).toBeGreaterThan(0);
    // Stopped by the run itself before it exits; only its reaper may still be finishing.
    expect(processesMentioning(dir)).toEqual([]);
    expect(processesMentioning(`-D ${tmp}`)).toEqual([]);
    expect(fs.readdirSync(tmp)).toEqual([]);
    await until(() => processesStartedWith(tmp).length === 0, 'the reaper to exit', 15_000, 100);
  }, 180_000);

  it('a SIGKILLed run leaves no service process, database or temp dir behind (its reaper cleans up)', async () => {
    const out = path.join(reports, 'killed');
    const tmp = privateTmpDir();
    const child = new CliProcess(['run', TINY, '--reports-dir', out], { TMPDIR: tmp });
    await child.waitFor('[connect]', 120_000);
    expect(processesMentioning(`-D ${tmp}`).length).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await child.exited;
    await until(
      () => processesStartedWith(tmp).length === 0 && fs.readdirSync(tmp).length === 0,
      'every process and temp dir of the killed run gone',
      30_000,
      100,
    );
    const [runId] = fs.readdirSync(out);
    expect(fs.statSync(path.join(out, runId!, 'samples.ndjson')).size).toBeGreaterThan(0);
  }, 180_000);
});
