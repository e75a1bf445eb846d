import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../src/errors/index.js';
import { SyncConfig, SyncConfigError, type SyncConfigProblem } from '../../src/service/rules/index.js';

function parseError(yaml: string): SyncConfigError {
  try {
    SyncConfig.parse(yaml);
  } catch (error) {
    if (error instanceof SyncConfigError) return error;
    throw error;
  }
  throw new Error('expected a SyncConfigError');
}

function onlyProblem(yaml: string): SyncConfigProblem {
  const { problems } = parseError(yaml);
  expect(problems).toHaveLength(1);
  return problems[0] as SyncConfigProblem;
}

/** A config with one data query, on line 4. */
const withData = (sql: string, parameters = '') => `bucket_definitions:
  d:${parameters}
    data:
      - ${sql}
`;

describe('SyncConfigError', () => {
  it('is a ServiceError with code PSYNC_R0001 listing "line N: path: message"', () => {
    const error = parseError(withData('SELECT name FROM todos'));
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.code).toBe('PSYNC_R0001');
    expect(error.message).toContain(
      'line 4: bucket_definitions.d.data[0]: the query must return an `id` column',
    );
  });
});

describe('unsupported SQL constructs are named with path, line and column', () => {
  it('JOIN', () => {
    const problem = onlyProblem(withData('SELECT todos.* FROM todos JOIN lists ON todos.list_id = lists.id'));
    expect(problem).toMatchObject({ path: 'bucket_definitions.d.data[0]', line: 4, column: 35 });
    expect(problem.message).toMatch(/JOIN is not supported/);
  });

  it('several tables in FROM', () => {
    expect(onlyProblem(withData('SELECT * FROM todos, lists')).message).toMatch(/JOIN is not supported/);
  });

  it('ORDER BY and LIMIT', () => {
    const { problems } = parseError(withData('SELECT * FROM todos ORDER BY id LIMIT 5'));
    expect(problems.map((p) => p.message)).toEqual([
      'ORDER BY is not supported',
      'LIMIT/OFFSET is not supported',
    ]);
    expect(problems.map((p) => [p.line, p.column])).toEqual([
      [4, 29],
      [4, 41],
    ]);
  });

  it('subquery', () => {
    const problem = onlyProblem(withData('SELECT * FROM todos WHERE list_id IN (SELECT id FROM lists)'));
    expect(problem).toMatchObject({ path: 'bucket_definitions.d.data[0]', line: 4 });
    expect(problem.message).toMatch(/subqueries are not supported/);
  });

  it('functions that are not request functions', () => {
    expect(onlyProblem(withData('SELECT id, upper(name) AS name FROM todos')).message).toBe(
      'function upper() is not supported',
    );
  });

  it('request values in a data query', () => {
    expect(onlyProblem(withData('SELECT * FROM todos WHERE owner = request.user_id()')).message).toMatch(
      /request\.user_id\(\) is not allowed in data queries/,
    );
  });

  it('table aliases in parameter queries', () => {
    const problem = onlyProblem(
      withData(
        'SELECT * FROM orgs WHERE id = bucket.org_id',
        '\n    parameters: SELECT u.org_id FROM users u WHERE u.id = request.user_id()',
      ),
    );
    expect(problem).toMatchObject({ path: 'bucket_definitions.d.parameters', line: 3 });
    expect(problem.message).toMatch(/table aliases are not supported in parameter queries/);
  });

  it('OR across different bucket parameters', () => {
    const problem = onlyProblem(
      withData(
        'SELECT * FROM todos WHERE owner_id = bucket.a OR list_id = bucket.b',
        "\n    parameters: SELECT request.user_id() AS a, request.jwt() ->> 'list' AS b",
      ),
    );
    expect(problem).toMatchObject({ path: 'bucket_definitions.d.data[0]', line: 5 });
    expect(problem.message).toMatch(/^OR across different bucket parameters is not supported/);
    expect(problem.message).toMatch(/branch 1 lacks bucket\.b; branch 2 lacks bucket\.a$/);
  });

  it('OR mixing columns and request values in a parameter query over a table', () => {
    const problem = onlyProblem(
      withData(
        'SELECT * FROM orgs WHERE id = bucket.org_id',
        "\n    parameters: SELECT org_id FROM users WHERE id = request.user_id() OR email = request.jwt() ->> 'email'",
      ),
    );
    expect(problem.message).toMatch(/OR across them is not supported/);
  });

  it('a SQL syntax error, located at the offending token', () => {
    const problem = onlyProblem(withData('SELECT * FROM WHERE x = 1'));
    expect(problem).toMatchObject({ path: 'bucket_definitions.d.data[0]', line: 4, column: 23 });
    expect(problem.message).toMatch(/^SQL syntax error: Unexpected kw_where token/);
  });

  it('locates problems inside a literal block scalar on their own line', () => {
    const problem = onlyProblem(`bucket_definitions:
  d:
    data:
      - |
        SELECT *
        FROM todos
        ORDER BY id
`);
    expect(problem).toMatchObject({ message: 'ORDER BY is not supported', line: 7, column: 9 });
  });
});

describe('data query rules', () => {
  it('missing id', () => {
    const problem = onlyProblem(withData('SELECT name, owner_id AS owner FROM todos'));
    expect(problem).toMatchObject({ path: 'bucket_definitions.d.data[0]', line: 4, column: 9 });
    expect(problem.message).toMatch(/must return an `id` column/);
  });

  it('accepts an aliased id', () => {
    expect(() => SyncConfig.parse(withData('SELECT todo_id AS id FROM todos'))).not.toThrow();
  });

  it('unmatched bucket parameter', () => {
    const problem = onlyProblem(
      withData('SELECT * FROM todos', '\n    parameters: SELECT request.user_id() AS user_id'),
    );
    expect(problem).toMatchObject({ path: 'bucket_definitions.d.data[0]', line: 5 });
    expect(problem.message).toMatch(
      /bucket\.user_id not matched in WHERE: every bucket parameter must be matched/,
    );
  });

  it('unknown bucket parameter', () => {
    const problem = onlyProblem(withData('SELECT * FROM todos WHERE owner_id = bucket.owner'));
    expect(problem.message).toBe('bucket.owner is not a parameter of this bucket definition (it has none)');
  });
});

describe('YAML structure', () => {
  it('streams: names the key and its line', () => {
    const problem = onlyProblem(`config:
  edition: 2
streams:
  todos:
    query: SELECT * FROM todos
`);
    expect(problem).toMatchObject({ path: 'streams', line: 3, column: 1 });
    expect(problem.message).toMatch(/`streams`.*not supported/);
  });

  it('with and event_definitions', () => {
    const { problems } = parseError(`bucket_definitions: {}
with:
  x: SELECT 1
event_definitions:
  e: {}
`);
    expect(problems.map((p) => [p.path, p.line])).toEqual([
      ['with', 2],
      ['event_definitions', 4],
    ]);
    expect(problems[0]?.message).toMatch(/`with`/);
    expect(problems[1]?.message).toMatch(/`event_definitions`/);
  });

  it('bad priority', () => {
    const problem = onlyProblem(`bucket_definitions:
  d:
    priority: 4
    data: [SELECT * FROM t]
`);
    expect(problem).toMatchObject({ path: 'bucket_definitions.d.priority', line: 3, column: 15 });
    expect(problem.message).toMatch(/priority must be an integer from 0 to 3 \(got 4\)/);
  });

  it('YAML syntax error', () => {
    const problem = onlyProblem(`bucket_definitions:
  d:
    data: [SELECT * FROM t
  e:
    data: []
`);
    expect(problem.path).toBe('(yaml)');
    expect(problem.message).toMatch(/^YAML syntax error: /);
    expect(problem.line).toBeGreaterThanOrEqual(3);
  });

  it('duplicate definition names are a YAML error on the second key', () => {
    const problem = onlyProblem(`bucket_definitions:
  d:
    data: [SELECT * FROM t]
  d:
    data: [SELECT * FROM u]
`);
    expect(problem).toMatchObject({ path: '(yaml)', line: 4 });
    expect(problem.message).toMatch(/unique/);
  });

  it('missing data, unknown keys and unsupported edition', () => {
    const { problems } = parseError(`config:
  edition: 3
bucket_definitions:
  d:
    parameter: SELECT 1 AS x
extra: true
`);
    expect(problems.map((p) => [p.line, p.path])).toEqual([
      [2, 'config.edition'],
      [4, 'bucket_definitions.d'],
      [5, 'bucket_definitions.d.parameter'],
      [6, 'extra'],
    ]);
    expect(problems[1]?.message).toMatch(/`data` is required/);
  });

  it('reports every problem of the config at once, sorted by line', () => {
    const error = parseError(`bucket_definitions:
  a:
    priority: -1
    data:
      - SELECT name FROM t
      - SELECT * FROM t JOIN u ON t.x = u.y
  b:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT * FROM t ORDER BY id
      - SELECT * FROM t WHERE x = bucket.nope
streams: {}
`);
    expect(error.problems.map((p) => `${p.line} ${p.path}`)).toEqual([
      '3 bucket_definitions.a.priority',
      '5 bucket_definitions.a.data[0]',
      '6 bucket_definitions.a.data[1]',
      '10 bucket_definitions.b.data[0]',
      '10 bucket_definitions.b.data[0]',
      '11 bucket_definitions.b.data[1]',
      '12 streams',
    ]);
    const lines = error.message.split('\n').slice(1);
    expect(lines).toHaveLength(7);
    expect(lines[0]).toBe(
      'line 3: bucket_definitions.a.priority: priority must be an integer from 0 to 3 (got -1)',
    );
    expect(error.message).toContain(
      'line 6: bucket_definitions.a.data[1]: JOIN is not supported (INNER JOIN)',
    );
    expect(error.message).toContain(
      'line 10: bucket_definitions.b.data[0]: bucket.user_id not matched in WHERE',
    );
    expect(error.message).toContain('line 10: bucket_definitions.b.data[0]: ORDER BY is not supported');
    expect(error.message).toContain('line 11: bucket_definitions.b.data[1]: bucket.nope is not a parameter');
    expect(error.message).toContain('line 12: streams: Sync Streams');
  });
});
