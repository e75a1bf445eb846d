import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  fitRun,
  formatSummary,
  loadProfile,
  loadRunResults,
  recommend,
  validPart,
} from '../../../../src/analysis/index.js';

const ROOT = path.resolve(__dirname, '../../../..');
const RECORDED = path.join(ROOT, 'test/fixtures/recorded');
const PROFILE = loadProfile(path.join(ROOT, 'scenarios/profile-default.yaml'));

/**
 * The recorded run against real PowerSync 1.25 that the old all-or-nothing rule voided: the writers' p99
 * schedule lag was over 100 ms in two of its twelve phases. It is sized from the other ten.
 */
describe('the recorded invalid real run, judged phase by phase', () => {
  const run = loadRunResults(path.join(RECORDED, 'real-powersync-1.25/calibrate-invalid-writer-lag'));

  it('leaves out exactly the two phases its run-level reasons named', () => {
    const { run: valid, excluded, invalid } = validPart(run);
    expect(invalid).toBeUndefined();
    expect(excluded.map((e) => e.phase)).toEqual(['connections-500', 'compaction']);
    expect(excluded[0]!.reasons.join()).toMatch(/p99 schedule lag 280\.7 ms/);
    expect(valid.phases).toHaveLength(10);
  });

  it('is sized from the ten valid phases, naming the two it left out', () => {
    const recs = recommend(run, PROFILE);
    expect(recs.run.excludedPhases.map((e) => e.phase)).toEqual(['connections-500', 'compaction']);
    // Its lowest level already missed the checkpoint objective (p99 2,697 ms at 250): no API count is
    // recommended from it, and the answer says which objective and which level.
    expect('infeasible' in recs.api && recs.api.infeasible).toMatch(
      /checkpoint p99 ≤ 1000 ms: exceeded already at the lowest level measured, 250/,
    );
    const memory = fitRun(run).apiMemory;
    expect(memory.refused).toBeUndefined();
    // Its connection levels: 250, 1,000 and 2,000 asked (1,374 held); the 500 level is gone.
    expect(memory.points.map((p) => p.x)).not.toContain(500);
    expect(memory.points.length).toBeGreaterThanOrEqual(3);
    const text = formatSummary(recs);
    expect(text).toMatch(/Left out\s+phase connections-500 \(invalid\)/);
    expect(text).toMatch(/Left out\s+phase compaction \(invalid\)/);
  });

  it('the valid real run leaves nothing out', () => {
    const valid = loadRunResults(path.join(RECORDED, 'real-powersync-1.25/calibrate-valid'));
    expect(validPart(valid).excluded).toEqual([]);
  });
});
