import { describe, expect, it } from 'vitest';
import { SyncConfig, type SqliteRow } from '../../src/service/rules/index.js';

const SPEC_EXAMPLE = `bucket_definitions:
  global:
    data:
      - SELECT * FROM lists
      - SELECT * FROM todos
  by_user:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT * FROM todos WHERE owner_id = bucket.user_id
  by_org:
    parameters: SELECT org_id FROM users WHERE id = request.user_id()
    data:
      - SELECT id, name FROM projects WHERE org_id = bucket.org_id
`;

const table = (name: string, schema = 'public') => ({ schema, name });
const buckets = (config: SyncConfig, name: string, row: SqliteRow) =>
  config.evaluateRow(table(name), row).map((r) => r.bucket);

describe('evaluateRow on the spec example', () => {
  const config = SyncConfig.parse(SPEC_EXAMPLE, { bucketIdPrefix: '1#' });

  it('puts a todo in the global bucket and its owner bucket, one row each', () => {
    const rows = config.evaluateRow(table('todos'), { id: 't1', owner_id: 'u1', title: 'a' });
    const data = '{"id":"t1","owner_id":"u1","title":"a"}';
    expect(rows).toEqual([
      { bucket: '1#global[]', table: 'todos', id: 't1', data },
      { bucket: '1#by_user["u1"]', table: 'todos', id: 't1', data },
    ]);
  });

  it('SELECT * drops columns whose name starts with _ (the real service treats them as internal)', () => {
    const rows = config.evaluateRow(table('todos'), { id: 't1', owner_id: 'u1', _internal: 'x', ss_ts: 5 });
    expect(rows[0]!.data).toBe('{"id":"t1","owner_id":"u1","ss_ts":5}');
    const named = SyncConfig.parse(
      'bucket_definitions:\n  b:\n    data:\n      - SELECT id, _internal FROM todos\n',
      { bucketIdPrefix: '1#' },
    );
    expect(named.evaluateRow(table('todos'), { id: 't1', _internal: 'x' })[0]!.data).toBe(
      '{"id":"t1","_internal":"x"}',
    );
  });

  it('moves a row between buckets when the owner changes (two evaluations)', () => {
    const before = buckets(config, 'todos', { id: 't1', owner_id: 'u1' });
    const after = buckets(config, 'todos', { id: 't1', owner_id: 'u2' });
    expect(before).toEqual(['1#global[]', '1#by_user["u1"]']);
    expect(after).toEqual(['1#global[]', '1#by_user["u2"]']);
    // The storage REMOVEs the row from buckets it left and PUTs it into buckets it entered.
    expect(before.filter((b) => !after.includes(b))).toEqual(['1#by_user["u1"]']);
    expect(after.filter((b) => !before.includes(b))).toEqual(['1#by_user["u2"]']);
  });

  it('never matches bucket.user_id with a NULL owner', () => {
    expect(buckets(config, 'todos', { id: 't1', owner_id: null })).toEqual(['1#global[]']);
  });

  it('selects named columns only, in SELECT order, and canonicalises numeric parameters', () => {
    const rows = config.evaluateRow(table('projects'), { name: 'P', secret: 'x', org_id: 42.0, id: 7 });
    expect(rows).toEqual([
      { bucket: '1#by_org[42]', table: 'projects', id: '7', data: '{"id":7,"name":"P"}' },
    ]);
    expect(buckets(config, 'projects', { id: 'p', name: 'P', org_id: 42n })).toEqual(['1#by_org[42]']);
  });

  it('yields nothing for tables the config does not read and for rows without an id', () => {
    expect(config.evaluateRow(table('users'), { id: 'u1', org_id: 1 })).toEqual([]);
    expect(config.evaluateRow(table('todos', 'other'), { id: 't1', owner_id: 'u1' })).toEqual([]);
    expect(config.evaluateRow(table('lists'), { id: null, name: 'x' })).toEqual([]);
    expect(config.evaluateRow(table('lists'), { name: 'no id column' })).toEqual([]);
  });
});

describe('evaluateRow with aliases, filters and arrays', () => {
  it('applies column and table aliases (the alias is the output table)', () => {
    const config = SyncConfig.parse(`bucket_definitions:
  everything:
    data:
      - SELECT todo_id AS id, title AS name, t.done FROM todos AS t
`);
    const rows = config.evaluateRow(table('todos'), { todo_id: 5n, title: 'x', done: 1 });
    expect(rows).toEqual([
      { bucket: 'everything[]', table: 't', id: '5', data: '{"id":5,"name":"x","done":1}' },
    ]);
  });

  it('filters on literals and matches several parameters', () => {
    const config = SyncConfig.parse(`bucket_definitions:
  by_pair:
    parameters: SELECT request.user_id() AS user_id, request.jwt() ->> 'org' AS org
    data:
      - SELECT * FROM todos WHERE owner_id = bucket.user_id AND org_id = bucket.org AND status = 'open'
`);
    expect(buckets(config, 'todos', { id: 'a', owner_id: 'u1', org_id: 3, status: 'open' })).toEqual([
      'by_pair["u1",3]',
    ]);
    expect(buckets(config, 'todos', { id: 'a', owner_id: 'u1', org_id: 3, status: 'done' })).toEqual([]);
    expect(buckets(config, 'todos', { id: 'a', owner_id: 'u1', org_id: null, status: 'open' })).toEqual([]);
  });

  it('filters a global definition with row conditions (NULL comparisons never pass)', () => {
    const config = SyncConfig.parse(`bucket_definitions:
  open:
    data:
      - SELECT * FROM todos WHERE archived = 0 AND kind IN ('a', 'b') AND title IS NOT NULL
`);
    expect(buckets(config, 'todos', { id: 1, archived: 0, kind: 'a', title: 't' })).toEqual(['open[]']);
    expect(buckets(config, 'todos', { id: 1, archived: 1, kind: 'a', title: 't' })).toEqual([]);
    expect(buckets(config, 'todos', { id: 1, archived: null, kind: 'a', title: 't' })).toEqual([]);
    expect(buckets(config, 'todos', { id: 1, archived: 0, kind: 'c', title: 't' })).toEqual([]);
    expect(buckets(config, 'todos', { id: 1, archived: 0, kind: 'b', title: null })).toEqual([]);
  });

  it('expands `bucket.p IN array_column` to one bucket per element', () => {
    const config = SyncConfig.parse(`bucket_definitions:
  by_tag:
    parameters: SELECT request.parameters() ->> 'tag' AS tag
    data:
      - SELECT id FROM posts WHERE bucket.tag IN tags
`);
    expect(buckets(config, 'posts', { id: 'p', tags: '["a","b",null,"a"]' })).toEqual([
      'by_tag["a"]',
      'by_tag["b"]',
    ]);
    expect(buckets(config, 'posts', { id: 'p', tags: 'not json' })).toEqual([]);
  });

  it('takes the union of OR branches that each match the same parameter', () => {
    const config = SyncConfig.parse(`bucket_definitions:
  mine:
    parameters: SELECT request.user_id() AS user_id
    data:
      - SELECT * FROM todos WHERE owner_id = bucket.user_id OR assignee_id = bucket.user_id
`);
    expect(buckets(config, 'todos', { id: 't', owner_id: 'u1', assignee_id: 'u2' })).toEqual([
      'mine["u1"]',
      'mine["u2"]',
    ]);
    expect(buckets(config, 'todos', { id: 't', owner_id: 'u1', assignee_id: 'u1' })).toEqual(['mine["u1"]']);
  });

  it('de-duplicates identical (bucket, table, id) results across data queries', () => {
    const config = SyncConfig.parse(`bucket_definitions:
  all:
    data:
      - SELECT * FROM todos
      - SELECT id, title FROM todos
`);
    expect(config.evaluateRow(table('todos'), { id: 't', title: 'x', extra: 1 })).toEqual([
      { bucket: 'all[]', table: 'todos', id: 't', data: '{"id":"t","title":"x","extra":1}' },
    ]);
  });
});
