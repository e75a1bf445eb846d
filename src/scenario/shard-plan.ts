import type { ClientLoad, Phase, Scenario } from './types.js';

/** Which share of a scenario's clients one load generator runs: shard `index` of `count` (0-based). */
export interface Shard {
  index: number;
  count: number;
}

/** `--shard i/N`, 0 ≤ i < N; undefined with the problem when it is not one. */
export function parseShard(text: string): Shard | { error: string } {
  const match = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!match) return { error: `--shard expects i/N (e.g. 0/4), got ${JSON.stringify(text)}` };
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || count > 10_000) return { error: `--shard ${text}: N must be between 1 and 10000` };
  if (index >= count) return { error: `--shard ${text}: i must be below N (shards are 0 … ${count - 1})` };
  return { index, count };
}

/** Shard i's part of n whole things: the n split as evenly as integers allow, the remainder to the first. */
export function shareOf(n: number, shard: Shard): number {
  const base = Math.floor(n / shard.count);
  return base + (shard.index < n % shard.count ? 1 : 0);
}

/** A client load's shard share: counts split as integers, rates divided. */
export function shardLoad(load: ClientLoad, shard: Shard): ClientLoad {
  switch (load.kind) {
    case 'constant':
      return { kind: 'constant', clients: shareOf(load.clients, shard) };
    case 'ramp':
      return { kind: 'ramp', from: shareOf(load.from, shard), to: shareOf(load.to, shard) };
    case 'arrival_rate':
      return { ...load, perSecond: load.perSecond / shard.count };
    case 'churn':
      return {
        kind: 'churn',
        clients: shareOf(load.clients, shard),
        perSecond: load.perSecond / shard.count,
      };
    case 'reconnect_storm':
      return { ...load, clients: shareOf(load.clients, shard) };
  }
}

/** The users a shard's clients sign in as: every N-th, from its index, so no two shards share one. */
export function shardUsers(users: readonly string[], shard: Shard): string[] {
  return users.filter((_, i) => i % shard.count === shard.index);
}

/**
 * A scenario as one shard runs it: every phase keeps its name and duration (all shards and the coordinator
 * follow one schedule from the barrier), its clients cut to the shard's share, and nothing else — writes,
 * uploads, actions and thresholds are the coordinator's.
 */
export function shardScenario(scenario: Scenario, shard: Shard): Scenario {
  return {
    ...scenario,
    phases: scenario.phases.map((phase): Phase => ({
      ...phase,
      clients: { ...phase.clients, load: shardLoad(phase.clients.load, shard) },
      writes: undefined,
      actions: [],
      thresholds: {},
      ...(phase.upload ? { upload: undefined } : {}),
    })),
  };
}

/** The scenario as the coordinator runs it beside N shards: no clients of its own. */
export function coordinatorScenario(scenario: Scenario): Scenario {
  return {
    ...scenario,
    phases: scenario.phases.map((phase) => ({
      ...phase,
      clients: { ...phase.clients, load: { kind: 'constant' as const, clients: 0 } },
    })),
  };
}
