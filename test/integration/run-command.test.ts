import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CliProcess } from '../support/service-process.js';
import { processesMentioning } from '../support/processes.js';

const TINY = path.resolve(__dirname, '../fixtures/tiny-scenario.yaml');

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
    expect(results.phases.map((p: { name: string }) => p.name)).toEqual(['connect', 'write', 'backlog']);
    // A settled start: the dataset was replicated before the first phase, and its rows (loaded unstamped)
    // never become end-to-end samples: the phase without writes has none.
    expect(results.initialReplication).toMatchObject({ rows: 30 });
    expect(results.initialReplication.durationMs).toBeGreaterThan(0);
    expect(child.output).toMatch(/initial replication of 30 rows: \d+\.\d s/);
    const e2eOf = (phase: {
      aggregates: { series: Array<{ metric: string; tags: object; aggregate: { n?: number } }> };
    }) =>
      phase.aggregates.series.find((s) => s.metric === 'e2e_latency' && Object.keys(s.tags).length === 0)
        ?.aggregate.n ?? 0;
    expect(e2eOf(results.phases[0])).toBe(0);
    expect(e2eOf(results.phases[1])).toBeGreaterThan(0);
    // A sample belongs to its phase: the phase after the writes has no writers, so no e2e sample, even for
    // write-phase rows that reach clients after it began (those are counted as earlier rows).
    expect(e2eOf(results.phases[2])).toBe(0);
    expect(results.phases[2].settle.excludedSamples.e2e_latency ?? 0).toBe(0);
    // Each phase's first 2 s are its settle window: its aggregates start after it.
    for (const phase of results.phases) {
      expect(phase.settle.measuredFrom - phase.settle.start).toBeGreaterThanOrEqual(1_900);
      expect(phase.aggregates.start).toBe(phase.settle.measuredFrom);
    }
    // Backlog actions are timed until the service is caught up again.
    const [bulk, restart] = results.phases[2].actions;
    expect(bulk).toMatchObject({ kind: 'large_transaction', result: { rows: 2000, caughtUp: true } });
    expect(bulk.result.rowsPerSecond).toBeGreaterThan(0);
    expect(restart).toMatchObject({ kind: 'restart', result: { caughtUp: true } });
    expect(restart.result.caughtUpMs).toBeGreaterThan(0);
    expect(child.output).toMatch(/Left out: each phase's settle window/);
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
});
