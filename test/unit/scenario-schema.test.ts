import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError, type ScenarioProblem } from '../../src/scenario/index.js';

const scenariosDir = fileURLToPath(new URL('../../scenarios', import.meta.url));
const syncConfigPath = fileURLToPath(new URL('../../fixtures/sync-config.yaml', import.meta.url));

function parse(text: string, env: NodeJS.ProcessEnv = {}) {
  return parseScenario(text, { baseDir: scenariosDir, env });
}

function problemsOf(text: string, env: NodeJS.ProcessEnv = {}): ScenarioProblem[] {
  try {
    parse(text, env);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  throw new Error('expected a ScenarioError');
}

const minimal = `
name: tiny
phases:
  - name: idle
    duration: 30s
    clients: { constant: 10 }
`;

describe('parseScenario: a minimal file gets every default', () => {
  it('defaults the target, dataset, transport and limits', () => {
    const scenario = parse(minimal);
    expect(scenario).toEqual({
      name: 'tiny',
      description: '',
      target: {
        kind: 'embedded',
        replicators: 1,
        api: { containers: 1, heapMb: 512, maxConcurrentConnections: 200 },
        postgres: { dataDir: undefined },
      },
      compression: 'sdk',
      dataset: { users: 100, rowsPerUser: 10, rowSizeBytes: 256, lists: 10, syncConfigPath },
      phases: [
        {
          name: 'idle',
          durationMs: 30_000,
          settleMs: 2000,
          clients: {
            load: { kind: 'constant', clients: 10 },
            transports: [{ transport: 'http-bson', share: 1 }],
          },
          writes: undefined,
          actions: [],
          thresholds: {},
        },
      ],
      limits: { maxDurationMs: 3_600_000 },
    });
  });

  it('defaults a write shape and normalises mixes to shares', () => {
    const scenario = parse(`
name: writes
phases:
  - name: w
    duration: 10s
    clients: { constant: 2, mix: { http-ndjson: 1, websocket: 3 } }
    writes: { poisson: 5 }
`);
    const phase = scenario.phases[0];
    expect(phase?.clients.transports).toEqual([
      { transport: 'http-ndjson', share: 0.25 },
      { transport: 'websocket', share: 0.75 },
    ]);
    expect(phase?.writes).toEqual({
      rate: { kind: 'poisson', perSecond: 5 },
      mix: { insert: 0.25, update: 0.5, delete: 0.25 },
      rowsPerTransaction: 1,
      keys: { kind: 'uniform' },
    });
  });

  it('reads every client, write and action shape', () => {
    const scenario = parse(`
name: shapes
target: { embedded: { replicators: 2, postgres: { data_dir: ../.tmp/pg } } }
phases:
  - name: a
    duration: 1m
    clients: { arrival_rate: { per_second: 2, session: 20s } }
    writes: { steps: [{ rate: 10, duration: 20s }, { rate: 20, duration: 40s }], keys: { zipf: 1.2 }, rows_per_transaction: 5 }
    actions:
      - { at: 10s, compact: {} }
      - { at: 20s, restart: api }
      - { at: 30s, kill_replicator: { restart_after: 5s } }
      - { at: 40s, compact: { buckets: ['global[]'], memory_limit_mb: 256 } }
      - { at: 45s, large_transaction: { rows: 100000 } }
  - name: b
    duration: 30s
    clients: { churn: { clients: 20, per_second: 2 }, transport: http-ndjson }
    writes: { ramp: { from: 0, to: 50 }, mix: { insert: 1 } }
  - name: c
    duration: 30s
    clients: { reconnect_storm: { clients: 20, at: 10s } }
`);
    const [a, b, c] = scenario.phases;
    expect(scenario.target).toMatchObject({
      replicators: 2,
      postgres: { dataDir: expect.stringMatching(/\/\.tmp\/pg$/) },
    });
    expect(a?.clients.load).toEqual({ kind: 'arrival_rate', perSecond: 2, sessionMs: 20_000 });
    expect(a?.writes?.rate).toEqual({
      kind: 'steps',
      steps: [
        { perSecond: 10, durationMs: 20_000 },
        { perSecond: 20, durationMs: 40_000 },
      ],
    });
    expect(a?.writes?.keys).toEqual({ kind: 'zipf', exponent: 1.2 });
    expect(a?.writes?.rowsPerTransaction).toBe(5);
    expect(a?.actions).toEqual([
      { kind: 'compact', atMs: 10_000, buckets: undefined, memoryLimitMb: undefined },
      { kind: 'restart', atMs: 20_000, process: 'api' },
      { kind: 'kill_replicator', atMs: 30_000, restartAfterMs: 5_000 },
      { kind: 'compact', atMs: 40_000, buckets: ['global[]'], memoryLimitMb: 256 },
      { kind: 'large_transaction', atMs: 45_000, rows: 100_000 },
    ]);
    expect(b?.clients).toEqual({
      load: { kind: 'churn', clients: 20, perSecond: 2 },
      transports: [{ transport: 'http-ndjson', share: 1 }],
    });
    expect(b?.writes?.mix).toEqual({ insert: 1, update: 0, delete: 0 });
    expect(c?.clients.load).toEqual({ kind: 'reconnect_storm', clients: 20, atMs: 10_000 });
  });
});

describe('parseScenario: every problem with its path and line', () => {
  const broken = [
    /* 1 */ 'name: broken',
    /* 2 */ 'colour: blue',
    /* 3 */ 'target:',
    /* 4 */ '  embedded:',
    /* 5 */ '    api:',
    /* 6 */ '      heap_mb: 10',
    /* 7 */ 'dataset:',
    /* 8 */ '  users: 0',
    /* 9 */ '  sync_config: missing.yaml',
    /* 10 */ 'phases:',
    /* 11 */ '  - name: a',
    /* 12 */ '    duration: 30',
    /* 13 */ '    clients: { ramp: { from: 1 } }',
    /* 14 */ '    thresholds:',
    /* 15 */ "      checkpoint_latency: ['p99 < 250']",
    /* 16 */ '  - name: b',
    /* 17 */ '    duration: 20s',
    /* 18 */ '    clients: { constant: 5, churn: { clients: 5, per_second: 1 } }',
    /* 19 */ '    writes: { constant: 10, keys: random }',
    /* 20 */ '  - name: c',
    /* 21 */ '    duration: 20s',
    /* 22 */ '    clients: { constant: 5, transport: carrier-pigeon }',
    /* 23 */ '  - name: d',
    /* 24 */ '    duration: 20s',
    /* 25 */ '    clients: { constant: 5 }',
    /* 26 */ '    writes:',
    /* 27 */ '      steps:',
    /* 28 */ '        - { rate: 10, duration: 5s }',
    /* 29 */ '    actions:',
    /* 30 */ '      - { at: 25s, compact: {} }',
    /* 31 */ '      - { at: 5s, reboot: {} }',
    /* 32 */ 'limits: { max_duration: soon }',
  ].join('\n');

  it('reports all of them, in file order', () => {
    const problems = problemsOf(broken);
    const found = problems.map((problem) => `${problem.line} ${problem.path}`);
    expect(found).toEqual([
      '2 colour',
      '6 target.embedded.api.heap_mb',
      '8 dataset.users',
      '9 dataset.sync_config',
      '12 phases[0].duration',
      '13 phases[0].clients.ramp.to',
      '15 phases[0].thresholds.checkpoint_latency[0]',
      '18 phases[1].clients',
      '19 phases[1].writes.keys',
      '22 phases[2].clients.transport',
      '27 phases[3].writes.steps',
      '30 phases[3].actions[0].at',
      '31 phases[3].actions[1]',
      '31 phases[3].actions[1].reboot',
      '32 limits.max_duration',
    ]);
    const message = (path: string) => problems.find((problem) => problem.path === path)?.message;
    expect(message('colour')).toBe('unknown key colour');
    expect(message('target.embedded.api.heap_mb')).toBe('must be at least 64');
    expect(message('dataset.users')).toBe('must be at least 1');
    expect(message('dataset.sync_config')).toMatch(/cannot read sync config .*missing\.yaml: no such file/);
    expect(message('phases[0].duration')).toBe('expected a duration such as 250ms, 30s, 5m or 1h');
    expect(message('phases[0].clients.ramp.to')).toBe('required');
    expect(message('phases[0].thresholds.checkpoint_latency[0]')).toMatch(
      /unknown aggregate "p99"; did you mean "p\(99\)"/,
    );
    expect(message('phases[1].clients')).toMatch(/give only one of .* \(found constant and churn\)/);
    expect(message('phases[1].writes.keys')).toBe('expected uniform or { zipf: <exponent> }');
    expect(message('phases[2].clients.transport')).toMatch(
      /expected "http-ndjson" \| "http-bson" \| "websocket"/,
    );
    expect(message('phases[3].writes.steps')).toMatch(
      /steps last 5s in total; they must add up to .* \(20s\)/,
    );
    expect(message('phases[3].actions[0].at')).toMatch(/25s is not within the phase \(20s\)/);
    expect(message('phases[3].actions[1]')).toMatch(
      /^one of compact, restart, kill_replicator or large_transaction is required/,
    );
    expect(message('phases[3].actions[1].reboot')).toBe('unknown key reboot');
    expect(message('limits.max_duration')).toMatch(/expected a duration .* got "soon"/);
  });

  it('throws one ScenarioError whose message lists every problem', () => {
    expect(() => parse(broken)).toThrow(ScenarioError);
    try {
      parse(broken);
    } catch (error) {
      expect((error as Error).message).toMatch(
        /^Invalid scenario \(inline\): 15 problems\n {2}- line 2: colour: unknown key/,
      );
    }
  });

  it('parses thresholds with the metrics parser: key syntax, expressions and aggregates per metric kind', () => {
    const problems = problemsOf(`
name: thresholds
phases:
  - name: a
    duration: 10s
    clients: { constant: 1 }
    thresholds:
      checkpoint_latency: ['p(99) < 250', 'p(99) <']
      'errors{code}': ['count == 0']
      checksum_failures: ['p(99) < 1']
      e2e_latency: []
`);
    expect(problems.map((problem) => `${problem.line} ${problem.path}`)).toEqual([
      '8 phases[0].thresholds.checkpoint_latency[1]',
      '9 phases[0].thresholds["errors{code}"]',
      '10 phases[0].thresholds.checksum_failures[0]',
      '11 phases[0].thresholds.e2e_latency',
    ]);
    expect(problems[2]?.message).toMatch(/p\(99\)/);
  });

  it('reports YAML syntax errors with their line', () => {
    const problems = problemsOf('name: x\nphases:\n  - name: [oops\n');
    expect(problems[0]).toMatchObject({ path: '', line: expect.any(Number) });
    expect(problems[0]?.message).toMatch(/^YAML syntax error/);
  });

  it('reports a missing name and an empty phase list', () => {
    expect(problemsOf('phases: []\n').map((problem) => `${problem.path}: ${problem.message}`)).toEqual([
      'name: required',
      'phases: needs at least 1 item(s)',
    ]);
  });

  it('rejects the whole run being longer than max_duration, and duplicate phase names', () => {
    const problems = problemsOf(
      `${minimal}  - name: idle\n    duration: 2m\n    clients: { constant: 1 }\nlimits: { max_duration: 1m }\n`,
    );
    expect(problems.map((problem) => [problem.line, problem.path, problem.message])).toEqual([
      [7, 'phases[1].name', 'duplicate phase name "idle"'],
      [10, 'limits.max_duration', 'the phases last 2m30s, more than max_duration 1m'],
    ]);
  });
});

describe('parseScenario: external targets', () => {
  it('requires the endpoint, the source database URL and a token (never defaulted)', () => {
    const problems = problemsOf(
      `name: ext\ntarget:\n  external: {}\n${minimal.split('\n').slice(2).join('\n')}`,
    );
    expect(problems.map((problem) => `${problem.line} ${problem.path}: ${problem.message}`)).toEqual([
      '3 target.external.endpoint: required',
      '3 target.external.source_database_url: required',
      '3 target.external.token: required',
    ]);
  });

  it('checks URLs, the token source and that both targets are not given', () => {
    const problems = problemsOf(`
name: ext
target:
  embedded: {}
  external:
    endpoint: ftp://sync.example.com
    source_database_url: mysql://db
    token: { key: { k: 'not base64!' }, command: print-token }
phases:
  - { name: a, duration: 10s, clients: { constant: 1 } }
`);
    expect(problems.map((problem) => `${problem.line} ${problem.path}: ${problem.message}`)).toEqual([
      '3 target: give embedded or external, not both',
      '6 target.external.endpoint: expected an http:// or https:// URL',
      '7 target.external.source_database_url: expected a postgres:// or postgresql:// URL',
      '8 target.external.token: give only one of key or command (found key and command)',
      '8 target.external.token.key.k: expected the secret in base64url (the JWK `k` member)',
    ]);
  });

  it('reads secrets with !env, and refuses actions it cannot perform on an external target', () => {
    const text = `
name: ext
target:
  external:
    endpoint: https://sync.example.com
    source_database_url: !env SCN_DB_URL
    token: { key: { k: !env SCN_JWT_KEY, kid: dev }, audience: app }
phases:
  - name: a
    duration: 10s
    clients: { constant: 1 }
`;
    const env = { SCN_DB_URL: 'postgres://u:p@db:5432/app', SCN_JWT_KEY: 'c2VjcmV0' };
    expect(parse(text, env).target).toEqual({
      kind: 'external',
      endpoint: 'https://sync.example.com',
      sourceDatabaseUrl: 'postgres://u:p@db:5432/app',
      token: { kind: 'key', k: 'c2VjcmV0', kid: 'dev', alg: 'HS256', audience: ['app'] },
      storage: undefined,
      processes: [],
      metricsUrl: undefined,
      pid: undefined,
    });
    expect(problemsOf(text, { SCN_DB_URL: 'postgres://db/app' })).toEqual([
      {
        path: 'target.external.token.key.k',
        line: 7,
        message: 'environment variable SCN_JWT_KEY is not set (!env SCN_JWT_KEY)',
      },
    ]);
    const withAction = `${text}    actions: [{ at: 1s, compact: {} }]\n`;
    expect(problemsOf(withAction, env)).toEqual([
      {
        path: 'phases[0].actions[0]',
        line: 12,
        message: 'compact on an external target needs a process with role compact and its command',
      },
    ]);
    const withRestart = `${text}    actions: [{ at: 1s, restart: api }]\n`;
    expect(problemsOf(withRestart, env)[0]!.message).toBe(
      'restart api needs an embedded target: syncscale does not control an external deployment',
    );
    const withCompactJob = withAction.replace(
      '    token:',
      '    processes: [{ role: compact, command: "docker compose run --rm compact" }]\n    token:',
    );
    expect(parse(withCompactJob, env).phases[0]!.actions).toHaveLength(1);
  });
});
