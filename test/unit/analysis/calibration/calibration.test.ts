import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  calibrate,
  checkCalibration,
  fitRun,
  loadRunResults,
  shapeDifferences,
  shapeOf,
  sizeRun,
  translateFits,
  type Calibration,
} from '../../../../src/analysis/index.js';
import { main } from '../../../../src/cli/index.js';
import type { CliIo } from '../../../../src/cli/io.js';

/**
 * Four recorded runs of the reference service (npm run bench… see README "Calibration"): scenarios/calibrate.yaml
 * and test/fixtures/calibration/calibrate-b.yaml (another connection range and write mix), each once as is
 * ("reference") and once with the test-only cost knobs SYNCSCALE_FAULT_STREAM_MEMORY_KB=64 and
 * SYNCSCALE_FAULT_CHECKPOINT_CPU_US=20 ("real"): every stream holds 64 KB more and spends 20 µs more per
 * checkpoint, so the true ratios are known.
 */
const fixture = (name: string) => path.resolve(__dirname, '../../../fixtures/calibration', name);
const refA = loadRunResults(fixture('ref-a'));
const realA = loadRunResults(fixture('real-a'));
const refB = loadRunResults(fixture('ref-b'));
const realB = loadRunResults(fixture('real-b'));
const services = { reference: 'reference service', real: 'reference service with cost knobs' };
const PROFILE = path.resolve(__dirname, '../../../../scenarios/profile-default.yaml');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-calibration-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function dimension(c: Calibration, name: string) {
  const d = c.dimensions.find((x) => x.name === name);
  if (!d) throw new Error(`${name} not estimated: ${c.notEstimated.find((n) => n.name === name)?.reason}`);
  return d;
}

describe('calibration against a service with known extra costs', () => {
  const calibration = calibrate(refA, realA, services);

  it('recovers the known memory ratio within its interval: +64 KB per stream', () => {
    const rss = dimension(calibration, 'api_rss_per_connection');
    const trueRatio = (rss.reference + 64 / 1024) / rss.reference;
    expect(rss.interval![0]).toBeLessThanOrEqual(trueRatio);
    expect(rss.interval![1]).toBeGreaterThanOrEqual(trueRatio);
    // The knob adds per-stream memory only: the baseline is unchanged (its interval covers 1).
    const baseline = dimension(calibration, 'api_baseline_rss');
    expect(baseline.interval![0]).toBeLessThanOrEqual(1);
    expect(baseline.interval![1]).toBeGreaterThanOrEqual(1);
  });

  it('the known CPU ratio (+20 µs per stream per checkpoint) is carried within its interval, or refused as too uncertain with the truth inside the interval it names', () => {
    const carried = calibration.dimensions.find((d) => d.name === 'api_cpu_per_connection');
    if (carried) {
      // Checkpoints per second at 10 tx/s: at most 10 (several transactions may share one).
      const trueLow = (carried.reference + 20e-6 * 5) / carried.reference;
      const trueHigh = (carried.reference + 20e-6 * 10) / carried.reference;
      expect(carried.interval![0]).toBeLessThanOrEqual(trueHigh);
      expect(carried.interval![1]).toBeGreaterThanOrEqual(trueLow);
      return;
    }
    // On 2 cores the reference slope is small and noisy: the ratio's interval spans more than ×3 either way,
    // and a ratio no one should apply is not carried (issue: refuse what cannot be carried).
    const refused = calibration.notEstimated.find((n) => n.name === 'api_cpu_per_connection')!;
    expect(refused.reason).toMatch(
      /too uncertain to carry: ×[\d.]+ with a 95 % interval \[[\d.]+–[\d.]+\], wider than ×3/,
    );
  });

  it('says which dimensions it could not estimate, and why', () => {
    const maxRate = calibration.notEstimated.find((n) => n.name === 'replication_max_rate');
    expect(maxRate?.reason).toMatch(/lower bound/);
    for (const n of calibration.notEstimated) expect(n.reason.length).toBeGreaterThan(10);
  });

  it('predicts a second, different pair of runs: memory within 20 %, CPU within 30 %', () => {
    const check = checkCalibration(calibration, refB, realB);
    expect(check.memory.levels.length).toBeGreaterThanOrEqual(4);
    expect(check.memory.maxErrorPercent!).toBeLessThanOrEqual(20);
    // CPU is checked only when its ratio was carried; otherwise the check says why not.
    if (check.cpu.maxErrorPercent === null) expect(check.cpu.message).toMatch(/CPU: not checked/);
    else expect(check.cpu.maxErrorPercent).toBeLessThanOrEqual(30);
    expect(check.memory.message).toMatch(/within ±20 %/);
  });

  it('translated fits say so, and their bands widen with the calibration uncertainty', () => {
    const plain = fitRun(refB);
    const translated = translateFits(plain, calibration);
    expect(translated.apiMemory.notes.join(' ')).toContain('translated by calibration');
    const p = plain.apiMemory.predict(1500)!;
    const t = translated.apiMemory.predict(1500)!;
    expect(t.value).toBeGreaterThan(p.value);
    expect(t.high - t.low).toBeGreaterThan(p.high - p.low);
  });

  it('size --calibration names both services; a different shape is refused unless forced', async () => {
    const file = path.join(tmp, 'calibration.json');
    fs.writeFileSync(file, JSON.stringify(calibration));
    const { recommendations, text } = sizeRun(fixture('ref-b'), PROFILE, { calibrationPath: file });
    expect(recommendations.run.service).toMatch(/translated from reference service .* by calibration/);
    expect(text).toContain('translated from reference service');
    expect(recommendations.run.caveat).toBeUndefined();
    // Every figure drawn from a translated fit says so.
    expect(text).toMatch(/memory limit .* \(translated by calibration\)/);
    expect(text).toMatch(/Replication .* \(translated\)/);
    const other = { ...calibration, shape: { ...calibration.shape, compression: 'none' } };
    expect(shapeDifferences(other.shape, shapeOf(refB))).toEqual([
      'compression: calibrated with none, run uses sdk',
    ]);
    fs.writeFileSync(file, JSON.stringify(other));
    expect(() => sizeRun(fixture('ref-b'), PROFILE, { calibrationPath: file })).toThrow(
      /SSCALE_C0001.*compression: calibrated with none, run uses sdk/,
    );
    expect(() => sizeRun(fixture('ref-b'), PROFILE, { calibrationPath: file, force: true })).not.toThrow();
  });
});

describe('syncscale calibrate', () => {
  const io = (): CliIo & { out: string; err: string } => {
    const x = {
      out: '',
      err: '',
      stdout: (t: string) => void (x.out += t),
      stderr: (t: string) => void (x.err += t),
      env: {},
      cwd: tmp,
      onShutdownSignal: () => new Promise<string>(() => undefined),
    };
    return x;
  };

  it('writes calibration.json with every ratio and the check of a second pair', async () => {
    const out = io();
    const code = await main(
      [
        'node',
        'syncscale',
        'calibrate',
        '--reference',
        fixture('ref-a'),
        '--real',
        fixture('real-a'),
        '--out',
        'cal.json',
        '--check-reference',
        fixture('ref-b'),
        '--check-real',
        fixture('real-b'),
      ],
      out,
    );
    expect(code, out.err).toBe(0);
    expect(out.out).toMatch(/api_rss_per_connection\s+×[\d.]+ \[/);
    expect(out.out).toMatch(/Check: memory: calibrated prediction/);
    const written = JSON.parse(fs.readFileSync(path.join(tmp, 'cal.json'), 'utf8')) as Calibration & {
      check: unknown;
    };
    expect(written.kind).toBe('syncscale-calibration');
    expect(written.check).toBeDefined();
  });

  it('refuses runs of different scenarios (exit 2)', async () => {
    const out = io();
    expect(
      await main(
        ['node', 'syncscale', 'calibrate', '--reference', fixture('ref-a'), '--real', fixture('ref-b')],
        out,
      ),
    ).toBe(2);
    expect(out.err).toMatch(/different scenarios/);
  });
});
