import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GateVerdict } from '../../src/gate/index.js';
import { CliProcess } from '../support/service-process.js';

const TINY = path.resolve(__dirname, '../fixtures/gate-tiny.yaml');
const BIN = path.resolve(__dirname, '../../bin/syncscale.js');

/**
 * One end-to-end A/A gate: the same build as baseline and candidate, interleaved A B A B A B on this
 * machine. Noise may leave it inconclusive; it must never call it a regression.
 */
describe('syncscale gate, interleaved runs of one build (A/A)', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-gate-aa-'));
  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('makes 3 + 3 real runs, compares them and does not report a regression', async () => {
    const command = `node ${BIN}`;
    const child = new CliProcess([
      'gate',
      '--baseline',
      command,
      '--candidate',
      command,
      '--scenario',
      TINY,
      '--runs',
      '3',
      '--max-runs',
      '3',
      '--metrics',
      'e2e_p50,e2e_p99',
      '--out',
      out,
    ]);
    const { code } = await child.exited;
    expect([0, 4], child.output).toContain(code);
    const verdict = JSON.parse(fs.readFileSync(path.join(out, 'gate.json'), 'utf8')) as GateVerdict;
    expect(verdict.runs.baseline).toHaveLength(3);
    expect(verdict.runs.candidate).toHaveLength(3);
    expect(verdict.outcome).not.toBe('regression');
    expect(verdict.warnings.join()).not.toContain('different machine');
    const order = fs.readdirSync(path.join(out, 'runs')).sort();
    expect(order).toEqual([
      'baseline-01',
      'baseline-02',
      'baseline-03',
      'candidate-01',
      'candidate-02',
      'candidate-03',
    ]);
    for (const file of ['gate.md', 'junit.xml', 'compare.html'])
      expect(fs.existsSync(path.join(out, file))).toBe(true);
    expect(child.output).toMatch(/baseline-01: .*run .* in \d+ s/);
  }, 240_000);
});
