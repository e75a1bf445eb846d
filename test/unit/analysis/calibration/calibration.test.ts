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
 * Four recorded runs of the reference service: scenarios/calibrate.yaml and
 * test/fixtures/calibration/calibrate-b.yaml (other connection levels and write rates), each once as is
 * ("reference") and once with the test-only cost knobs shaped like PowerSync 1.25 ("real"):
 * SYNCSCALE_FAULT_STREAM_MEMORY_KB=128 (memory per stream), SYNCSCALE_FAULT_CHECKPOINT_CPU_US=10 (CPU per
 * stream per checkpoint), SYNCSCALE_FAULT_BASELINE_CPU_PERCENT=25 (a fixed 0.25 core) and
 * SYNCSCALE_FAULT_STREAM_LATENCY_US=200 (each checkpoint 200 µs later per open stream: latency that grows
 * with streams, and checkpoints batched as on the real service). The memory truth is known exactly.
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

  it('recovers the known memory ratio within its interval: +128 KB per stream', () => {
    const rss = dimension(calibration, 'api_rss_per_connection');
    const trueRatio = (rss.reference + 128 / 1024) / rss.reference;
    expect(rss.interval![0]).toBeLessThanOrEqual(trueRatio);
    expect(rss.interval![1]).toBeGreaterThanOrEqual(trueRatio);
    // The knob adds per-stream memory only: the baseline is unchanged (its interval covers 1).
    const baseline = dimension(calibration, 'api_baseline_rss');
    expect(baseline.interval![0]).toBeLessThanOrEqual(1);
    expect(baseline.interval![1]).toBeGreaterThanOrEqual(1);
  });

  it('carries the CPU model: the fixed 0.25 core as a difference, each coefficient with its interval and n', () => {
    expect(calibration.cpuModel).toEqual({ form: 'rate' });
    const baseline = dimension(calibration, 'api_baseline_cpu');
    expect(baseline.difference!.interval[0]).toBeLessThanOrEqual(0.25);
    expect(baseline.difference!.interval[1]).toBeGreaterThanOrEqual(0.15);
    expect(baseline.n).toEqual([9, 9]);
    // What is not carried says why; the real run's own CPU levels are kept for the sizing.
    for (const n of calibration.notEstimated.filter((x) => x.name.startsWith('api_cpu')))
      expect(n.reason).toMatch(/not positive|within noise|too uncertain|refused|spans 0/);
    expect(calibration.realCpuLevels!.length).toBe(9);
  });

  it('says which dimensions it could not estimate, and why', () => {
    const maxRate = calibration.notEstimated.find((n) => n.name === 'replication_max_rate');
    expect(maxRate?.reason).toMatch(/lower bound/);
    for (const n of calibration.notEstimated) expect(n.reason.length).toBeGreaterThan(10);
  });

  it('predicts a second pair of another shape: memory within 15 %, CPU within 25 % (errors kept in README)', () => {
    const check = checkCalibration(calibration, refB, realB);
    console.log(
      `known-ratio check on calibrate-b: memory ${check.memory.maxErrorPercent!.toFixed(1)} %, CPU ${check.cpu.maxErrorPercent!.toFixed(1)} %`,
    );
    expect(check.memory.levels.length).toBeGreaterThanOrEqual(4);
    expect(check.memory.maxErrorPercent!).toBeLessThanOrEqual(15);
    // CPU at every (connections, write rate) level of the second real run.
    expect(check.cpu.levels.length).toBe(6);
    expect(check.cpu.maxErrorPercent!).toBeLessThanOrEqual(25);
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
