import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DrillResults } from '../../src/drill/index.js';
import { processesMentioning } from '../support/processes.js';
import { CliProcess } from '../support/service-process.js';

const fixture = (name: string) => path.resolve(__dirname, '../fixtures', name);

function drillResults(reports: string): DrillResults {
  const [dir] = fs.readdirSync(reports);
  return JSON.parse(fs.readFileSync(path.join(reports, dir!, 'drill.json'), 'utf8')) as DrillResults;
}

describe('syncscale drill on the embedded target', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-drill-'));
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('passes a rolling deploy: both hand-overs timed, APIs rolled, every row exactly once in every client', async () => {
    const reports = path.join(root, 'pass');
    const child = new CliProcess(['drill', fixture('drill-small.yaml'), '--reports-dir', reports]);
    const { code } = await child.exited;
    expect(code, child.output).toBe(0);
    expect(child.output).toContain('Drill drill-small: PASS');
    const r = drillResults(reports);
    expect(r.verdict).toBe('PASS');
    const [term, kill] = r.steps.filter((s) => s.kind === 'stop_replicator');
    // SIGTERM: the old holder releases, the standby takes over within a retry period or two.
    expect(term!.handover!.acquiredAt - term!.handover!.signalledAt).toBeLessThan(5_000);
    // SIGKILL: nothing released; the standby waits out the 4 s lease.
    const killHandover = kill!.handover!.acquiredAt - kill!.handover!.signalledAt;
    expect(killHandover).toBeGreaterThan(1_000);
    expect(killHandover).toBeLessThan(4_000 + 5_000);
    expect(r.steps.find((s) => s.kind === 'roll_api')!.rolls).toHaveLength(2);
    expect(r.figures.reconnects).toBeGreaterThan(0);
    expect(r.verification!.clients).toBe(40);
    expect(r.verification!.lostRows).toBe(0);
    expect(r.verification!.duplicatedOps).toBe(0);
    expect(r.verification!.expectedRows).toBeGreaterThan(40 * 5);
    expect(r.figures.writes!.committed).toBeGreaterThan(100);
    expect(r.checks.every((c) => c.passed)).toBe(true);
    const dir = path.join(reports, fs.readdirSync(reports)[0]!);
    expect(fs.readFileSync(path.join(dir, 'drill.html'), 'utf8')).toContain('<svg');
    expect(fs.readFileSync(path.join(dir, 'drill.md'), 'utf8')).toContain('| one replicator at a time |');
    expect(processesMentioning(dir)).toEqual([]);
  }, 150_000);

  it('fails a deploy whose replicators skip the lock, naming two holders at once', async () => {
    const reports = path.join(root, 'fault');
    const child = new CliProcess(['drill', fixture('drill-fault.yaml'), '--reports-dir', reports], {
      SYNCSCALE_FAULT_SKIP_LOCK: '1',
    });
    const { code } = await child.exited;
    expect(code, child.output).toBe(99);
    expect(child.output).toContain('Drill drill-fault: FAIL');
    const r = drillResults(reports);
    expect(r.reasons.join('\n')).toMatch(/two replicators held the lock at once/);
    expect(r.reasons.join('\n')).toMatch(
      /replicator-1 stood by while the lock was held: never reported standby/,
    );
  }, 150_000);

  it('rejects a bad drill file with every problem before starting anything (exit 2)', async () => {
    const bad = path.join(root, 'bad.yaml');
    fs.writeFileSync(bad, 'name: x\nsteps:\n  - roll_api: {}\n  - explode: {}\nload: { clients: 0 }\n');
    const child = new CliProcess(['drill', bad, '--reports-dir', path.join(root, 'bad')]);
    const { code } = await child.exited;
    expect(code).toBe(2);
    expect(child.output).toMatch(/line 4: steps\[1\]/);
    expect(child.output).toMatch(/line 5: load\.clients/);
    expect(fs.existsSync(path.join(root, 'bad'))).toBe(false);
  });
});
