import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { memoryIo as memoryIoIn } from '../support/memory-io.js';
import { main } from '../../src/cli/index.js';
import { BASELINE_KIND, type BaselineFile, type GateRun } from '../../src/gate/index.js';

const FIXTURE = path.resolve(__dirname, '../fixtures/runs/quickstart/results.json');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-gate-cmd-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const memoryIo = (env: NodeJS.ProcessEnv = {}) => memoryIoIn(tmp, env);

/** Copies of the saved quickstart run, as separate run directories under `dir`. */
function savedRuns(
  dir: string,
  count: number,
  edit: (results: Record<string, unknown>, i: number) => void = () => undefined,
): string {
  const base = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
  for (let i = 0; i < count; i++) {
    const results = structuredClone(base);
    results.runId = `${dir}-${i}`;
    edit(results, i);
    fs.mkdirSync(path.join(tmp, dir, `run-${i}`), { recursive: true });
    fs.writeFileSync(path.join(tmp, dir, `run-${i}`, 'results.json'), JSON.stringify(results));
  }
  return path.join(tmp, dir);
}

function baselineFile(name: string, e2e: number[]): string {
  const runs: GateRun[] = e2e.map((v, i) => ({
    runId: `${name}-${i}`,
    source: 'synthetic',
    scenario: { name: 'gate', phases: ['p'] },
    valid: true,
    reasons: [],
    values: { e2e_p99: v },
  }));
  const file: BaselineFile = {
    kind: BASELINE_KIND,
    version: 1,
    savedAt: '',
    scenario: runs[0]!.scenario,
    runs,
  };
  const target = path.join(tmp, `${name}.json`);
  fs.writeFileSync(target, JSON.stringify(file));
  return target;
}

const gate = (args: string[], io = memoryIo()) => main(['node', 'syncscale', 'gate', ...args], io);

describe('syncscale baseline and gate on saved runs', () => {
  it('baseline save keeps the per-run statistics; show prints them; gate of a run set against itself passes', async () => {
    const dir = savedRuns('same', 3);
    let io = memoryIo();
    expect(
      await main(['node', 'syncscale', 'baseline', 'save', dir, '--out', 'baselines/q.json'], io),
      io.err,
    ).toBe(0);
    const saved = JSON.parse(fs.readFileSync(path.join(tmp, 'baselines/q.json'), 'utf8')) as BaselineFile;
    expect(saved.kind).toBe(BASELINE_KIND);
    expect(saved.runs).toHaveLength(3);
    expect(typeof saved.runs[0]!.values.e2e_p99).toBe('number');
    io = memoryIo();
    expect(await main(['node', 'syncscale', 'baseline', 'show', 'baselines/q.json'], io)).toBe(0);
    expect(io.out).toMatch(/Scenario quickstart .* 3 runs/);
    expect(io.out).toMatch(/p99 end-to-end latency: median 54\.02 ms/);
    const summary = path.join(tmp, 'step-summary.md');
    io = memoryIo({ GITHUB_STEP_SUMMARY: summary });
    const code = await gate(['--baseline', 'baselines/q.json', '--candidate', dir, '--out', 'gate-aa'], io);
    expect(code, io.err + io.out).toBe(0);
    expect(io.out).toContain('NO REGRESSION');
    for (const file of ['gate.json', 'gate.md', 'junit.xml', 'compare.html'])
      expect(fs.existsSync(path.join(tmp, 'gate-aa', file)), file).toBe(true);
    expect(fs.readFileSync(summary, 'utf8')).toContain('syncscale gate');
  });

  it('exit 3 on a regression, 4 when inconclusive', async () => {
    const base = baselineFile('base', [20, 21, 19, 20.5, 22]);
    let io = memoryIo();
    expect(
      await gate(
        ['--baseline', base, '--candidate', baselineFile('slow', [30, 31, 29, 32, 30.5]), '--out', 'g3'],
        io,
      ),
    ).toBe(3);
    expect(io.out).toContain('REGRESSION: p99 end-to-end latency');
    expect(fs.readFileSync(path.join(tmp, 'g3', 'junit.xml'), 'utf8')).toContain('<failure');
    io = memoryIo();
    expect(
      await gate(
        ['--baseline', base, '--candidate', baselineFile('noisy', [15, 28, 19, 24, 21]), '--out', 'g4'],
        io,
      ),
    ).toBe(4);
    expect(io.out).toContain('INCONCLUSIVE');
  });

  it('names bad input with its exit code', async () => {
    const three = baselineFile('three', [20, 21, 22]);
    let io = memoryIo();
    expect(await gate(['--baseline', 'no/such/dir', '--candidate', three], io)).toBe(2);
    expect(io.err).toContain('SSCALE_G0001');
    io = memoryIo();
    expect(await gate(['--baseline', baselineFile('two', [20, 21]), '--candidate', three], io)).toBe(2);
    expect(io.err).toContain('SSCALE_G0003');
    io = memoryIo();
    expect(await gate(['--baseline', savedRuns('quick', 3), '--candidate', three], io)).toBe(2);
    expect(io.err).toContain('SSCALE_G0002');
    io = memoryIo();
    const invalid = savedRuns('invalid', 3, (r, i) => {
      if (i === 1) r.validity = { valid: false, reasons: ['load generator saturated: event-loop delay'] };
    });
    expect(await gate(['--baseline', invalid, '--candidate', savedRuns('ok', 3)], io)).toBe(98);
    expect(io.err).toContain('SSCALE_G0004');
    io = memoryIo();
    expect(await gate(['--baseline', three, '--candidate', three, '--delta', 'lots'], io)).toBe(2);
    expect(io.err).toContain('--delta lots');
    io = memoryIo();
    expect(await gate(['--baseline', three, '--candidate', three, '--metrics', 'nope'], io)).toBe(2);
    expect(io.err).toContain('unknown gate metric nope');
  });

  it('commands: a run the generator saturated stops the gate with 98; a failing command with 1', async () => {
    const invalidResults = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, unknown>;
    invalidResults.validity = { valid: false, reasons: ['load generator saturated: CPU'] };
    const invalidFile = path.join(tmp, 'invalid-results.json');
    fs.writeFileSync(invalidFile, JSON.stringify(invalidResults));
    const scenario = path.join(tmp, 'scenario.yaml');
    fs.writeFileSync(scenario, 'name: quickstart\n');
    const saturated = `mkdir -p {reports}/r && cp '${invalidFile}' {reports}/r/results.json && exit 98`;
    let io = memoryIo();
    expect(
      await gate(
        [
          '--baseline',
          saturated,
          '--candidate',
          saturated,
          '--scenario',
          scenario,
          '--runs',
          '3',
          '--out',
          'gc',
        ],
        io,
      ),
    ).toBe(98);
    expect(io.err).toContain('SSCALE_G0004');
    expect(io.err).toContain('load generator saturated: CPU');
    io = memoryIo();
    expect(
      await gate(
        [
          '--baseline',
          'echo broken {reports}; exit 7',
          '--candidate',
          saturated,
          '--scenario',
          scenario,
          '--out',
          'gf',
        ],
        io,
      ),
    ).toBe(1);
    expect(io.err).toContain('SSCALE_G0006');
    expect(io.err).toContain('exited with 7');
    io = memoryIo();
    expect(await gate(['--baseline', 'node x.js', '--candidate', saturated], io)).toBe(2);
    expect(io.err).toContain('--scenario');
  });
});
