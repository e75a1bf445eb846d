import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliProcess } from '../support/service-process.js';

const TINY = path.resolve(__dirname, '../fixtures/tiny-scenario.yaml');

/**
 * A TMPDIR of the test's own: every process a run starts inherits it, and its embedded Postgres lives
 * under it, so "what did this run leave behind" needs no guess about other test files' servers.
 */
function privateTmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-tmpdir-'));
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

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Processes of this machine whose command line mentions the run's directory (its service children). */
function processesMentioning(fragment: string): string[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        return '';
      }
    })
    .filter((cmd) => cmd.includes(fragment));
}

describe('syncscale run when the sync config does not deliver the stamp column', () => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-nostamp-'));
  afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

  it('names the problem (SSCALE_R0001) instead of leaving an empty end-to-end trend', async () => {
    const child = new CliProcess([
      'run',
      path.resolve(__dirname, '../fixtures/no-stamp-scenario.yaml'),
      '--reports-dir',
      reports,
    ]);
    const { code } = await child.exited;
    expect(code, child.output).toBe(99);
    expect(child.output).toContain('[SSCALE_R0001] stamp column not delivered');
    const [runId] = fs.readdirSync(reports);
    const results = JSON.parse(fs.readFileSync(path.join(reports, runId!, 'results.json'), 'utf8'));
    expect(results.phases[0].problems[0].code).toBe('SSCALE_R0001');
    expect(results.phases[0].problems[0].message).toContain(
      'check that the sync config selects column ss_ts',
    );
  }, 90_000);
});

describe('syncscale run, end to end on a tiny scenario', () => {
  const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-run-'));
  afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

  it('runs the phases, writes the run directory, passes its thresholds and leaves no process behind', async () => {
    const child = new CliProcess(['run', TINY, '--reports-dir', reports]);
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    const [runId] = fs.readdirSync(reports);
    const dir = path.join(reports, runId!);
    for (const file of ['results.json', 'samples.ndjson', 'samples.csv', 'run.log']) {
      expect(fs.existsSync(path.join(dir, file)), file).toBe(true);
    }
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    expect(results.status).toBe('completed');
    expect(results.validity.valid).toBe(true);
    expect(results.phases.map((p: { name: string }) => p.name)).toEqual(['connect', 'write']);
    const write = results.phases[1];
    expect(write.writes.transactions).toBeGreaterThan(20);
    expect(write.actions[0]).toMatchObject({ kind: 'compact' });
    expect(write.actions[0].result.opsExamined).toBeGreaterThan(0);
    expect(write.thresholds).toEqual([
      expect.objectContaining({ key: 'checksum_failures', passed: true, observed: 0 }),
    ]);
    const metrics = new Set(write.aggregates.series.map((s: { metric: string }) => s.metric));
    for (const metric of [
      'e2e_latency',
      'checkpoint_latency',
      'process_rss_bytes',
      'write_commit',
      'pg_database_bytes',
    ]) {
      expect(metrics.has(metric), metric).toBe(true);
    }
    expect(fs.readFileSync(path.join(dir, 'samples.csv'), 'utf8').split('\n')[0]).toBe(
      'time,metric,value,tags',
    );
    expect(processesMentioning(dir)).toEqual([]);
  }, 180_000);

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

  it('exits 99 when a threshold fails, and still writes its results', async () => {
    const failing = path.join(reports, 'failing.yaml');
    fs.writeFileSync(
      failing,
      fs
        .readFileSync(TINY, 'utf8')
        .replace("checksum_failures: ['count == 0']", "checkpoints_completed: ['count > 1000000']")
        .replace(
          'sync_config: ../../fixtures/sync-config.yaml',
          `sync_config: ${path.resolve(__dirname, '../../fixtures/sync-config.yaml')}`,
        )
        .replace('name: tiny', 'name: failing'),
    );
    const child = new CliProcess(['run', failing, '--reports-dir', path.join(reports, 'failing')]);
    const { code } = await child.exited;
    expect(code, child.output).toBe(99);
    expect(child.output).toContain('thresholds failed');
  }, 180_000);

  it('reports every problem of an invalid scenario with its path and exits 2 before starting anything', async () => {
    const bad = path.join(reports, 'bad.yaml');
    fs.writeFileSync(
      bad,
      `name: bad scenario!
target: { embedded: { api: { containers: 0 } } }
phases:
  - name: p1
    duration: soon
    clients: { constant: -5 }
    thresholds: { e2e_latency: ['p99 < 250'] }
`,
    );
    const child = new CliProcess(['run', bad, '--reports-dir', path.join(reports, 'bad')]);
    const { code } = await child.exited;
    expect(code).toBe(2);
    for (const fragment of ['name', 'containers', 'phases[0].duration', 'phases[0].clients', 'p(99)']) {
      expect(child.output).toContain(fragment);
    }
    expect(fs.existsSync(path.join(reports, 'bad'))).toBe(false);
  });

  it('--dry-run prints the plan and starts nothing', async () => {
    const child = new CliProcess(['run', TINY, '--dry-run', '--reports-dir', path.join(reports, 'dry')]);
    const { code } = await child.exited;
    expect(code).toBe(0);
    expect(child.output).toContain('connect');
    expect(child.output).toContain('Checks: ok');
    expect(fs.existsSync(path.join(reports, 'dry'))).toBe(false);
  });

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
    await until(() => processesStartedWith(tmp).length === 0, 'the reaper to exit');
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
    );
    const [runId] = fs.readdirSync(out);
    expect(fs.statSync(path.join(out, runId!, 'samples.ndjson')).size).toBeGreaterThan(0);
  }, 180_000);
});
