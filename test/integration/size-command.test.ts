import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/index.js';
import { memoryIo } from '../support/memory-io.js';
import { CSV_COLUMNS, sizeRun, type Recommendations } from '../../src/analysis/index.js';

const root = path.resolve(__dirname, '../..');
const RUN = path.join(root, 'test/fixtures/runs/quickstart');
const PROFILE = path.join(root, 'scenarios/profile-default.yaml');

const fakeIo = () => memoryIo(root);

describe('syncscale size, in memory, on the saved quickstart run', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'syncscale-size-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('prints the summary, writes recommendations.json and .csv, exits 0', async () => {
    const io = fakeIo();
    const code = await main(
      ['node', 'syncscale', 'size', '--from', RUN, '--profile', PROFILE, '--out', tmp],
      io,
    );
    expect(code, io.err).toBe(0);
    // The measured latency limit binds, not the profile's cap (100), which only gets a warning.
    expect(io.out).toMatch(/API containers\s+9 × 1 vCPU \/ 1024 MB; binds: latency/);
    expect(io.out).toMatch(/latency limit\s+330 conn\/container \(central 426, 95 % band 330–628\)/);
    expect(io.out).toContain(
      'set max_concurrent_connections: 330 (measured); warning: your cap 100 leaves 70 % of the container unused',
    );
    expect(io.out).toContain('Measured on: reference service (syncscale 0.1.0)');
    expect(io.out).toMatch(/modelled, not measured/);
    const recs = JSON.parse(
      fs.readFileSync(path.join(tmp, 'recommendations.json'), 'utf8'),
    ) as Recommendations;
    expect(recs.schemaVersion).toBe(1);
    // Fits that stand carry their prediction band for the report's charts (predict() does not survive JSON).
    const withBands = Object.values(
      recs.fits as unknown as Record<string, { refused?: string; band?: unknown[] }>,
    ).filter((fit) => !fit.refused && Array.isArray(fit.band) && fit.band.length > 1);
    expect(withBands.length).toBeGreaterThan(0);
    expect(recs.run.runId).toBe('20261128-035239-quickstart');
    expect(recs.profile).toMatchObject({ peakConnections: 2000, designConnections: 2400 });
    if ('infeasible' in recs.api) throw new Error(recs.api.infeasible);
    // 2,400 design connections / 330 per container (latency objective, band high edge) = 8, N+1 → 9.
    expect(recs.api).toMatchObject({
      binding: 'latency',
      baseContainers: 8,
      haAdded: 1,
      recommendedCap: 330,
    });
    expect(recs.api.containers.value).toBe(9);
    expect(recs.run.service).toBe('reference service (syncscale 0.1.0)');
    expect(recs.run.caveat).toMatch(/not PowerSync/);
    expect(io.out).toContain(recs.run.caveat!);
    expect(recs.api.heap.nodeOptions).toBe('--max-old-space-size=819');
    // Idle RSS did not grow with connections in this short run: the fit refuses and says why.
    expect(recs.fits.apiMemory.refused).toMatch(/non-positive slope/);
    expect(recs.api.limits.find((l) => l.name === 'memory')!.note).toMatch(/api-memory fit refused/);
    expect(recs.replication.maxSustainedTxPerSecond).toMatchObject({ value: 100, lowerBound: true });
    expect(recs.fits.compactionDuration.n).toBe(1);
    expect(recs.storage.mongodb.label).toBe('modelled, not measured');
    expect(recs.validation.message).toMatch(/not validated|error/);
    const csv = fs.readFileSync(path.join(tmp, 'recommendations.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe(CSV_COLUMNS.join(','));
    expect(csv.some((line) => line.startsWith('api.containers,9,containers'))).toBe(true);
    expect(csv.some((line) => line.startsWith('api.recommended_max_concurrent_connections,330,'))).toBe(true);
    expect(csv.some((line) => line.startsWith('measured_on,reference service'))).toBe(true);
  });

  it('sizeRun returns the same recommendations and text for the end of syncscale run', () => {
    const { recommendations, text } = sizeRun(RUN, PROFILE);
    expect(text).toMatch(/^Sizing for profile "mid-size-app"/);
    expect(recommendations.api).toHaveProperty('binding', 'latency');
  });

  it('refuses an invalid run with exit 98 and the reasons', async () => {
    const dir = path.join(tmp, 'invalid');
    fs.mkdirSync(dir);
    const results = JSON.parse(fs.readFileSync(path.join(RUN, 'results.json'), 'utf8'));
    results.validity = { valid: false, reasons: ['generator CPU above 0.9 of a core for 3 s'] };
    fs.writeFileSync(path.join(dir, 'results.json'), JSON.stringify(results));
    const io = fakeIo();
    const code = await main(['node', 'syncscale', 'size', '--from', dir, '--profile', PROFILE], io);
    expect(code).toBe(98);
    expect(io.err).toMatch(/refusing to size from an invalid run .*generator CPU above 0.9/);
    expect(fs.existsSync(path.join(dir, 'recommendations.json'))).toBe(false);
  });

  it('exits 2 for an invalid profile, naming each problem with its path', async () => {
    const bad = path.join(tmp, 'bad-profile.yaml');
    fs.writeFileSync(bad, 'name: x\nconnections: { peak: -5 }\nwrites: { peak_tx_per_second: 1 }\n');
    const io = fakeIo();
    const code = await main(['node', 'syncscale', 'size', '--from', RUN, '--profile', bad], io);
    expect(code).toBe(2);
    expect(io.err).toMatch(/writes.average_tx_per_second/);
    expect(io.err).toMatch(/containers/);
  });

  it('exits 2 when the run directory has no results.json', async () => {
    const io = fakeIo();
    const code = await main(['node', 'syncscale', 'size', '--from', tmp, '--profile', PROFILE], io);
    expect(code).toBe(2);
    expect(io.err).toMatch(/cannot read .*results.json/);
  });
});
