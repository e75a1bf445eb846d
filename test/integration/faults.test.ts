import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DrillResults } from '../../src/drill/index.js';
import { CliProcess } from '../support/service-process.js';

/**
 * Faults under load (issue 15): the source Postgres restarted, the storage Postgres restarted, and a
 * replicator SIGKILLed while it replicates one 20,000-row transaction. Every client's rows are compared
 * with the source at the end: nothing lost, nothing doubled; the report shows each fault and its recovery.
 */
describe('faults: database restarts and a replicator killed mid-transaction lose and double nothing', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-faults-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('recovers from each fault and every client holds every source row exactly once', async () => {
    const reports = path.join(root, 'faults');
    const child = new CliProcess([
      'drill',
      path.resolve(__dirname, '../fixtures/drill-faults.yaml'),
      '--reports-dir',
      reports,
    ]);
    const { code } = await child.exited;
    const [runId] = fs.readdirSync(reports);
    const dir = path.join(reports, runId!);
    const r = JSON.parse(fs.readFileSync(path.join(dir, 'drill.json'), 'utf8')) as DrillResults;
    expect(r.reasons, child.output).toEqual([]);
    expect(code, child.output).toBe(0);

    const [source, storage, big] = r.steps;
    expect(source!.figures.server).toBe('the source server only');
    expect(storage!.figures.server).toBe('the storage server only');
    for (const step of [source!, storage!]) {
      // Both are read by the 100 ms storage watch: replication can be seen moving in the same tick (and
      // millisecond) the server is seen up again, never before it.
      expect(step.recovery!.replicationResumedAt).toBeGreaterThanOrEqual(step.recovery!.upAt);
      expect(step.clientsBackMs).toBeDefined();
    }
    // The kill lands while the transaction is being replicated, and the new holder finishes it.
    expect(big!.figures.killed).toMatch(/before the transaction was checkpointed/);
    expect(big!.recovery!.replicationResumedAt).toBeDefined();

    const v = r.verification!;
    expect(v.clients).toBe(20);
    expect(v.lostRows).toBe(0);
    expect(v.duplicatedOps).toBe(0);
    expect(v.phantom).toBe(0);
    expect(v.mismatched).toBe(0);
    expect(v.expectedRows).toBeGreaterThan(20_000); // the big transaction reached its users' clients
    // The writer kept writing through the restarts: some inserts failed while the source was down.
    expect(r.figures.writes!.committed).toBeGreaterThan(50);

    const md = fs.readFileSync(path.join(dir, 'drill.md'), 'utf8');
    expect(md).toContain('replication moving again after restarting postgres (source)');
    expect(md).toContain('postgres-storage exited (fast shutdown)');
    expect(md).toMatch(/20000 rows in one transaction checkpointed across the replicator kill/);
  }, 200_000);
});
