import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../../src/scenario/index.js';
import {
  coordinatorScenario,
  parseShard,
  shardLoad,
  shardScenario,
  shardUsers,
  shareOf,
} from '../../src/scenario/shard-plan.js';

describe('shards of a scenario', () => {
  it('parses i/N and says what is wrong otherwise', () => {
    expect(parseShard('1/4')).toEqual({ index: 1, count: 4 });
    expect(parseShard('4/4')).toEqual({ error: expect.stringMatching(/i must be below N/) });
    expect(parseShard('x')).toEqual({ error: expect.stringMatching(/expects i\/N/) });
  });

  it('splits counts so the shares add up to the whole, and rates evenly', () => {
    for (const n of [0, 1, 7, 100, 2001])
      for (const count of [1, 2, 3, 8]) {
        const shares = Array.from({ length: count }, (_, index) => shareOf(n, { index, count }));
        expect(shares.reduce((a, b) => a + b, 0)).toBe(n);
        expect(Math.max(...shares) - Math.min(...shares)).toBeLessThanOrEqual(1);
      }
    expect(shardLoad({ kind: 'churn', clients: 10, perSecond: 3 }, { index: 0, count: 2 })).toEqual({
      kind: 'churn',
      clients: 5,
      perSecond: 1.5,
    });
    expect(
      shardLoad({ kind: 'arrival_rate', perSecond: 9, sessionMs: 1000 }, { index: 2, count: 3 }),
    ).toEqual({
      kind: 'arrival_rate',
      perSecond: 3,
      sessionMs: 1000,
    });
  });

  it('gives each shard its own users: no overlap, none left out', () => {
    const users = Array.from({ length: 10 }, (_, i) => `user-${i}`);
    const parts = [0, 1, 2].map((index) => shardUsers(users, { index, count: 3 }));
    expect(parts.flat().sort()).toEqual([...users].sort());
    expect(new Set(parts.flat()).size).toBe(users.length);
  });

  it('a shard runs only its clients; the coordinator runs everything but clients', async () => {
    const scenario = await loadScenario(path.resolve(__dirname, '../../scenarios/quickstart.yaml'));
    const shard = shardScenario(scenario, { index: 0, count: 2 });
    const coordinator = coordinatorScenario(scenario);
    scenario.phases.forEach((phase, i) => {
      expect(shard.phases[i]!.name).toBe(phase.name);
      expect(shard.phases[i]!.durationMs).toBe(phase.durationMs);
      expect(shard.phases[i]!.writes).toBeUndefined();
      expect(shard.phases[i]!.actions).toEqual([]);
      expect(coordinator.phases[i]!.clients.load).toEqual({ kind: 'constant', clients: 0 });
      expect(coordinator.phases[i]!.writes).toEqual(phase.writes);
    });
  });
});
