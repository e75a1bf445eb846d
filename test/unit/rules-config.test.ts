import { describe, expect, it } from 'vitest';
import { SyncConfig } from '../../src/service/rules/index.js';

/** The example of protocol.md §3.1. */
const SPEC_EXAMPLE = `bucket_definitions:
  global:                       # no parameters → exactly one bucket
    data:
      - SELECT * FROM lists
      - SELECT * FROM todos
  by_user:
    parameters: SELECT request.user_id() AS user_id      # static: from the JWT only
    data:
      - SELECT * FROM todos WHERE owner_id = bucket.user_id
  by_org:
    parameters: SELECT org_id FROM users WHERE id = request.user_id()   # dynamic: indexed lookup on a replicated table
    data:
      - SELECT id, name FROM projects WHERE org_id = bucket.org_id
`;

const table = (name: string, schema = 'public') => ({ schema, name });

describe('SyncConfig.parse of the spec example (protocol.md §3.1)', () => {
  const config = SyncConfig.parse(SPEC_EXAMPLE);

  it('lists the definitions in order with their priorities', () => {
    expect(config.definitions).toEqual([
      { name: 'global', priority: 3 },
      { name: 'by_user', priority: 3 },
      { name: 'by_org', priority: 3 },
    ]);
  });

  it('lists every source table once, unqualified names in schema public', () => {
    expect(config.sourceTables()).toEqual([
      table('lists'),
      table('todos'),
      table('projects'),
      table('users'),
    ]);
  });

  it('knows which tables feed data and which feed the parameter index', () => {
    expect(config.hasDataQueries(table('todos'))).toBe(true);
    expect(config.hasParameterQueries(table('todos'))).toBe(false);
    expect(config.hasDataQueries(table('users'))).toBe(false);
    expect(config.hasParameterQueries(table('users'))).toBe(true);
    expect(config.hasDataQueries(table('todos', 'other'))).toBe(false);
  });

  it('has dynamic buckets because by_org reads a replicated table', () => {
    expect(config.hasDynamicBuckets).toBe(true);
  });
});

describe('SyncConfig.parse options and keys', () => {
  it('has no dynamic buckets when every parameter query is table-less', () => {
    const config = SyncConfig.parse(`bucket_definitions:
  mine:
    parameters: SELECT request.user_id() AS user_id
    data: [SELECT * FROM todos WHERE owner_id = bucket.user_id]
`);
    expect(config.hasDynamicBuckets).toBe(false);
  });

  it('reads priority, accept_potentially_dangerous_queries and config.edition', () => {
    const config = SyncConfig.parse(`config:
  edition: 2
  storage_version: 2
bucket_definitions:
  urgent:
    priority: 0
    accept_potentially_dangerous_queries: true
    parameters:
      - SELECT request.parameters() ->> 'team' AS team
    data:
      - SELECT * FROM todos WHERE team = bucket.team
`);
    expect(config.definitions).toEqual([{ name: 'urgent', priority: 0 }]);
  });

  it('uses defaultSchema for unqualified names and keeps explicit schemas', () => {
    const config = SyncConfig.parse(
      `bucket_definitions:
  all:
    data:
      - SELECT * FROM todos
      - SELECT * FROM audit.events
`,
      { defaultSchema: 'app' },
    );
    expect(config.sourceTables()).toEqual([table('todos', 'app'), table('events', 'audit')]);
  });

  it('matches table names case-sensitively, as Postgres stores them', () => {
    const config = SyncConfig.parse(`bucket_definitions:
  all:
    data:
      - SELECT * FROM Todos
      - SELECT * FROM "Lists"
`);
    expect(config.sourceTables()).toEqual([table('todos'), table('Lists')]);
    expect(config.hasDataQueries(table('Todos'))).toBe(false);
    expect(config.hasDataQueries(table('lists'))).toBe(false);
    expect(config.hasDataQueries(table('Lists'))).toBe(true);
  });

  it('accepts an empty bucket_definitions map', () => {
    const config = SyncConfig.parse('bucket_definitions: {}\n');
    expect(config.definitions).toEqual([]);
    expect(config.sourceTables()).toEqual([]);
  });
});
