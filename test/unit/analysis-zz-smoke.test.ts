import { it } from 'vitest';
import { sizeRun } from '../../src/analysis/index.js';
it('smoke', () => {
  const r = sizeRun('test/fixtures/runs/quickstart', 'scenarios/profile-default.yaml');
  console.log(r.text);
  for (const [k, f] of Object.entries(r.recommendations.fits))
    console.log(k, f.refused ?? JSON.stringify(f.estimates.map((e) => [e.name, +e.value.toPrecision(3), e.interval?.map((v) => +v.toPrecision(3))])), f.notes.slice(1).join(' | '));
  console.log(JSON.stringify(r.recommendations.api, null, 1).slice(0, 3000));
});
