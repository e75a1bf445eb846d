import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatPlan, parseScenario, planScenario, type Scenario } from '../../src/scenario/index.js';

const scenariosDir = fileURLToPath(new URL('../../scenarios', import.meta.url));
const repoDir = fileURLToPath(new URL('../..', import.meta.url));

function parse(text: string): Scenario {
  return parseScenario(text, { baseDir: scenariosDir, env: {} });
}

const schedule = parse(`
name: schedule
phases:
  - name: ramp-up
    duration: 1m
    clients: { ramp: { from: 0, to: 100 } }
    writes: { ramp: { from: 0, to: 20 } }
  - name: steps
    duration: 90s
    clients: { constant: 100 }
    writes:
      steps: [{ rate: 10, duration: 30s }, { rate: 20, duration: 30s }, { rate: 40, duration: 30s }]
      rows_per_transaction: 3
    actions: [{ at: 45s, compact: {} }]
    thresholds: { checkpoint_latency: ['p(99) < 250'] }
  - name: arrivals
    duration: 1m
    clients: { arrival_rate: { per_second: 2, session: 20s }, mix: { http-ndjson: 1, websocket: 1 } }
    writes: { poisson: 5 }
  - name: storm
    duration: 30s
    clients: { reconnect_storm: { clients: 50, at: 10s } }
`);

describe('planScenario: arithmetic', () => {
  const plan = planScenario(schedule);

  it('places the phases back to back', () => {
    expect(plan.phases.map((phase) => [phase.name, phase.startMs, phase.endMs])).toEqual([
      ['ramp-up', 0, 60_000],
      ['steps', 60_000, 150_000],
      ['arrivals', 150_000, 210_000],
      ['storm', 210_000, 240_000],
    ]);
    expect(plan.phasesMs).toBe(240_000);
    // 100 users × (1 + 10 rows) + 10 lists = 1110 rows: 40 s base + 1 s of loading.
    expect(plan.setupAllowanceMs).toBe(41_000);
    expect(plan.estimatedRunMs).toBe(281_000);
    expect(plan.maxDurationMs).toBe(3_600_000);
  });

  it('plans clients over time for each shape', () => {
    const [ramp, steps, arrivals, storm] = plan.phases;
    expect(ramp?.clients).toMatchObject({ start: 0, end: 100, peak: 100 });
    expect(ramp?.clients.points).toEqual([
      { atMs: 0, clients: 0 },
      { atMs: 60_000, clients: 100 },
    ]);
    expect(steps?.clients).toMatchObject({ start: 100, end: 100, peak: 100 });
    // Little's law: 2/s × 20 s sessions settle at 40 clients after the first 20 s.
    expect(arrivals?.clients).toMatchObject({ start: 0, end: 40, peak: 40, connectsPerSecond: 2 });
    expect(arrivals?.clients.points).toEqual([
      { atMs: 150_000, clients: 0 },
      { atMs: 170_000, clients: 40 },
      { atMs: 210_000, clients: 40 },
    ]);
    expect(arrivals?.clients.transports).toEqual([
      { transport: 'http-ndjson', share: 0.5 },
      { transport: 'websocket', share: 0.5 },
    ]);
    expect(storm?.clients).toMatchObject({ start: 50, end: 50, stormAtMs: 220_000 });
  });

  it('plans writes per second, steps at absolute offsets, and expected transactions', () => {
    const [ramp, steps, arrivals, storm] = plan.phases;
    expect(ramp?.writes).toMatchObject({
      start: 0,
      end: 20,
      peak: 20,
      mean: 10,
      transactions: 600,
      rows: 600,
    });
    expect(steps?.writes?.segments).toEqual([
      { startMs: 60_000, endMs: 90_000, from: 10, to: 10 },
      { startMs: 90_000, endMs: 120_000, from: 20, to: 20 },
      { startMs: 120_000, endMs: 150_000, from: 40, to: 40 },
    ]);
    expect(steps?.writes).toMatchObject({ start: 10, end: 40, peak: 40, transactions: 2100, rows: 6300 });
    expect(steps?.writes?.mean).toBeCloseTo(70 / 3, 10);
    expect(arrivals?.writes).toMatchObject({ mean: 5, transactions: 300 });
    expect(storm?.writes).toBeUndefined();
  });

  it('places actions and summarises the levels', () => {
    expect(plan.actions).toEqual([
      {
        phase: 'steps',
        atMs: 105_000,
        offsetMs: 45_000,
        action: expect.objectContaining({ kind: 'compact' }),
        label: 'compact',
      },
    ]);
    expect(plan.peakClients).toBe(100);
    expect(plan.peakWritesPerSecond).toBe(40);
    expect(plan.connectionLevels).toEqual([50, 100]);
    expect(plan.writeRateLevels).toEqual([5, 10, 20, 40]);
    expect(plan.checks).toEqual([]);
    expect(plan.ok).toBe(true);
  });
});

describe('planScenario: checks', () => {
  it('warns about the connection cap, shared users, long sessions, churn, a lost replicator and the time cap', () => {
    const plan = planScenario(
      parse(`
name: warnings
dataset: { users: 250 }
phases:
  - { name: crowd, duration: 20s, clients: { constant: 300 } }
  - { name: arrivals, duration: 20s, clients: { arrival_rate: { per_second: 1, session: 1m } } }
  - { name: churn, duration: 20s, clients: { churn: { clients: 5, per_second: 10 } } }
  - name: kill
    duration: 20s
    clients: { constant: 1 }
    actions: [{ at: 5s, kill_replicator: {} }]
limits: { max_duration: 90s }
`),
    );
    expect(plan.ok).toBe(true);
    expect(plan.checks.map((check) => `${check.level} ${check.path}: ${check.message}`)).toEqual([
      'warning phases[1].clients.arrival_rate.session: sessions (1m) outlast the phase (20s): no session ends within it',
      'warning phases[2].clients.churn.per_second: replacing 10/s of 5 clients: every client lives under a second',
      'warning limits.max_duration: the phases (1m20s) and the estimated setup (41s) exceed max_duration 1m30s: ' +
        'the run may be stopped before the last phase ends',
      'warning phases[0].clients: up to 300 clients, more than the 200 connections the API allows ' +
        '(1 × max_concurrent_connections 200): the rest are refused with 429',
      'warning phases[0].clients: up to 300 clients for 250 users: some users connect from several clients',
      'warning phases[3].actions[0]: the only replicator is killed and not restarted before the run ends: replication stops',
    ]);
  });

  it('reports steps that do not add up to the phase as an error on a scenario built in code', () => {
    const scenario: Scenario = {
      ...schedule,
      phases: [
        {
          name: 'short-steps',
          durationMs: 60_000,
          settleMs: 2000,
          clients: {
            load: { kind: 'constant', clients: 1 },
            transports: [{ transport: 'http-bson', share: 1 }],
          },
          writes: {
            rate: {
              kind: 'steps',
              steps: [
                { perSecond: 10, durationMs: 20_000 },
                { perSecond: 20, durationMs: 30_000 },
              ],
            },
            mix: { insert: 1, update: 0, delete: 0 },
            rowsPerTransaction: 1,
            keys: { kind: 'uniform' },
          },
          actions: [{ kind: 'restart', atMs: 60_000, process: 'api' }],
          thresholds: {},
        },
      ],
    };
    const plan = planScenario(scenario);
    expect(plan.ok).toBe(false);
    expect(plan.checks.filter((check) => check.level === 'error').map((check) => check.path)).toEqual([
      'phases[0].writes.steps',
      'phases[0].actions[0].at',
    ]);
  });
});

describe('formatPlan: the dry-run text', () => {
  it('prints the target, totals, the schedule table, thresholds and checks', () => {
    const text = formatPlan(planScenario(schedule), { cwd: repoDir });
    const lines = text.split('\n');
    expect(lines.slice(0, 6)).toEqual([
      'Scenario schedule',
      'Target:   embedded reference service: 1 replicator(s), 1 API container(s) × 512 MB heap, max 200 connections each',
      'Clients:  HTTP streams accept gzip, deflate, br, as the official SDKs do over fetch (compression: sdk)',
      'Dataset:  100 users × 10 rows of 256 B, 10 lists; sync config fixtures/sync-config.yaml',
      'Duration: phases 4m + setup ≈ 41s = 4m41s (max_duration 1h)',
      'Levels:   connections 50, 100; writes 5, 10, 20, 40 tx/s; compactions 1',
    ]);
    expect(lines[7]).toMatch(
      /^#\s+phase\s+start\s+duration\s+clients\s+transport\s+writes\/s\s+actions\s+thresholds$/,
    );
    const rows = lines.slice(9, 13).map((line) => line.split(/\s{2,}/));
    expect(rows).toEqual([
      ['1', 'ramp-up', '0:00', '1m', '0→100', 'http-bson', '0→20', '-', '-'],
      ['2', 'steps', '1:00', '1m30s', '100', 'http-bson', '10|20|40 steps ×3 rows', '+45s compact', '1'],
      [
        '3',
        'arrivals',
        '2:30',
        '1m',
        '≈40 (2/s × 20s)',
        'http-ndjson 50%, websocket 50%',
        '~5 poisson',
        '-',
        '-',
      ],
      ['4', 'storm', '3:30', '30s', '50 (storm +10s)', 'http-bson', '-', '-', '-'],
    ]);
    expect(text).toContain('\nThresholds:\n  steps: checkpoint_latency: p(99) < 250\n');
    expect(text.endsWith('\nChecks: ok\n')).toBe(true);
  });

  it('lists warnings and errors under Checks', () => {
    const plan = planScenario(
      parse('name: crowd\nphases:\n  - { name: a, duration: 10s, clients: { constant: 201 } }\n'),
    );
    const text = formatPlan(plan, { cwd: repoDir });
    expect(text).toMatch(
      /\nChecks:\n {2}warning: phases\[0\]\.clients: up to 201 clients, more than the 200 connections/,
    );
  });
});
