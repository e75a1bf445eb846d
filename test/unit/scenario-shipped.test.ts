import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDrill } from '../../src/drill/index.js';
import {
  formatPlan,
  loadScenario,
  planScenario,
  ScenarioError,
  type RunPlan,
} from '../../src/scenario/index.js';

const scenariosDir = fileURLToPath(new URL('../../scenarios', import.meta.url));
const repoDir = fileURLToPath(new URL('../..', import.meta.url));
const files = readdirSync(scenariosDir).filter(
  (name) => name.endsWith('.yaml') && !name.startsWith('profile-') && !name.startsWith('drill-'),
);
const drills = readdirSync(scenariosDir).filter(
  (name) => name.startsWith('drill-') && name.endsWith('.yaml'),
);

async function planOf(name: string): Promise<RunPlan> {
  return planScenario(await loadScenario(join(scenariosDir, name), { env: {} }));
}

describe('shipped scenarios', () => {
  it('ships the four documented scenarios', () => {
    expect(files).toEqual(
      expect.arrayContaining(['quickstart.yaml', 'launch.yaml', 'soak.yaml', 'websocket.yaml']),
    );
  });

  it.each(files)('%s validates and plans without errors or warnings', async (name) => {
    const plan = await planOf(name);
    expect(plan.checks).toEqual([]);
    expect(plan.name).toBe(name.replace(/\.yaml$/, ''));
  });

  it.each(drills)('drill %s validates', (name) => {
    const drill = loadDrill(join(scenariosDir, name), {});
    expect(drill.name).toBe(name.replace(/\.yaml$/, ''));
    expect(drill.steps.length).toBeGreaterThan(0);
  });

  it('quickstart finishes within 3 minutes with the setup allowance, and feeds the sizing model', async () => {
    const plan = await planOf('quickstart.yaml');
    expect(plan.maxDurationMs).toBeLessThanOrEqual(180_000);
    expect(plan.phasesMs).toBeLessThan(180_000 - plan.setupAllowanceMs);
    expect(plan.estimatedRunMs).toBeLessThan(180_000);
    expect(plan.target.kind).toBe('embedded');
    expect(plan.connectionLevels.length).toBeGreaterThanOrEqual(4);
    expect(plan.writeRateLevels.length).toBeGreaterThanOrEqual(3);
    expect(plan.actions.filter((planned) => planned.action.kind === 'compact')).toHaveLength(1);
  });

  it('launch runs about a quarter of an hour, soak about an hour, websocket about three minutes', async () => {
    const [launch, soak, websocket] = await Promise.all(
      ['launch.yaml', 'soak.yaml', 'websocket.yaml'].map(planOf),
    );
    expect(launch?.estimatedRunMs).toBeGreaterThanOrEqual(12 * 60_000);
    expect(launch?.estimatedRunMs).toBeLessThanOrEqual(18 * 60_000);
    expect(
      soak?.phases.some((phase) => phase.durationMs >= 3_600_000 && phase.clients.load.kind === 'constant'),
    ).toBe(true);
    expect(websocket?.estimatedRunMs).toBeGreaterThanOrEqual(150_000);
    expect(websocket?.estimatedRunMs).toBeLessThanOrEqual(240_000);
    const transports = websocket?.phases.flatMap((phase) =>
      phase.clients.transports.map((share) => share.transport),
    );
    expect(new Set(transports)).toEqual(new Set(['websocket']));
  });

  it('quickstart dry-run text shows the schedule', async () => {
    const text = formatPlan(await planOf('quickstart.yaml'), { cwd: repoDir });
    expect(text).toContain('Duration: phases 2m4s + setup ≈ 42s = 2m46s (max_duration 3m)\n');
    expect(text).toContain(
      'Levels:   connections 250, 500, 1000, 2000; writes 10, 20, 50, 100 tx/s; compactions 1\n',
    );
    expect(text).toContain(
      'Clients:  HTTP streams accept gzip, deflate, br, as the official SDKs do over fetch (compression: sdk)',
    );
    const rows = text
      .split('\n')
      .filter((line) => /^\d+ /.test(line))
      .map((line) => line.split(/\s{2,}/).slice(1, 8));
    expect(rows).toEqual([
      ['connect-250', '0:00', '5s', '250', 'http-bson', '-', '-'],
      ['connections-250', '0:05', '10s', '250', 'http-bson', '10', '-'],
      ['connections-250-peak', '0:15', '8s', '250', 'http-bson', '50', '-'],
      ['connect-500', '0:23', '5s', '500', 'http-bson', '-', '-'],
      ['connections-500', '0:28', '10s', '500', 'http-bson', '10', '-'],
      ['connections-500-peak', '0:38', '8s', '500', 'http-bson', '50', '-'],
      ['connect-1000', '0:46', '5s', '1000', 'http-bson', '-', '-'],
      ['connections-1000', '0:51', '10s', '1000', 'http-bson', '10', '-'],
      ['connections-1000-peak', '1:01', '8s', '1000', 'http-bson', '50', '-'],
      ['connect-2000', '1:09', '5s', '2000', 'http-bson', '-', '-'],
      ['connections-2000', '1:14', '12s', '2000', 'http-bson', '10', '-'],
      ['connections-2000-peak', '1:26', '8s', '2000', 'http-bson', '50', '-'],
      ['writes-20', '1:34', '10s', '500', 'http-bson', '20', '-'],
      ['writes-100', '1:44', '10s', '500', 'http-bson', '100', '-'],
      ['compaction', '1:54', '10s', '500', 'http-bson', '20', '+2s compact'],
    ]);
  });

  it('a missing scenario file is a ScenarioError naming the file', async () => {
    const missing = join(scenariosDir, 'no-such-scenario.yaml');
    await expect(loadScenario(missing)).rejects.toThrow(ScenarioError);
    await expect(loadScenario(missing)).rejects.toThrow(
      /no-such-scenario\.yaml\): 1 problem\n {2}- cannot read scenario file: no such file/,
    );
  });
});
