import { describe, expect, it } from 'vitest';
import {
  SyncConfig,
  type EvaluatedParameters,
  type ParameterLookupFn,
  type RequestContext,
  type SourceTableName,
  type SqliteRow,
  type SqliteValue,
} from '../../src/service/rules/index.js';

type ParameterRow = Record<string, SqliteValue>;

/** The parameter index as a storage keeps it: per source row, its entries replace the previous ones. */
class MemoryParameterIndex {
  readonly calls: string[][] = [];
  private readonly byRow = new Map<string, EvaluatedParameters[]>();

  constructor(private readonly config: SyncConfig) {}

  save(table: SourceTableName, rowId: string, row: SqliteRow): void {
    this.byRow.set(`${table.schema}.${table.name}/${rowId}`, this.config.evaluateParameterRow(table, row));
  }

  delete(table: SourceTableName, rowId: string): void {
    this.byRow.delete(`${table.schema}.${table.name}/${rowId}`);
  }

  readonly lookup = async (keys: string[]): Promise<ParameterRow[]> => {
    this.calls.push(keys);
    const entries = [...this.byRow.values()].flat();
    return entries.filter((entry) => keys.includes(entry.lookup)).flatMap((entry) => entry.bucketParameters);
  };
}

const users = { schema: 'public', name: 'users' };
const noLookup = async (): Promise<ParameterRow[]> => {
  throw new Error('no lookup expected');
};
const request = (
  userId: string,
  jwt: Record<string, unknown> = {},
  parameters: Record<string, unknown> = {},
): RequestContext => ({
  userId,
  jwt: { sub: userId, ...jwt },
  parameters,
});
const names = async (config: SyncConfig, context: RequestContext, lookup: ParameterLookupFn = noLookup) =>
  (await config.resolveBuckets(context, lookup)).map((b) => b.bucket);

describe('resolveBuckets with table-less parameter queries', () => {
  it('gives the spec example its static buckets with definition and priority', async () => {
    const config = SyncConfig.parse(
      `bucket_definitions:
  global:
    priority: 1
    data: [SELECT * FROM lists]
  by_user:
    parameters: SELECT request.user_id() AS user_id
    data: [SELECT * FROM todos WHERE owner_id = bucket.user_id]
`,
      { bucketIdPrefix: '1#' },
    );
    expect(await config.resolveBuckets(request('u1'), noLookup)).toEqual([
      { bucket: '1#global[]', definition: 'global', priority: 1 },
      { bucket: '1#by_user["u1"]', definition: 'by_user', priority: 3 },
    ]);
  });

  it('reads the JWT, token_parameters, client parameters and literals', async () => {
    const config = SyncConfig.parse(`bucket_definitions:
  by_claims:
    parameters: >-
      SELECT request.jwt() ->> 'org' AS org, token_parameters.region AS region, token_parameters.user_id AS uid,
             request.parameters() ->> 'team' AS team, request.parameter('lang') AS lang, user_parameters.app AS app, 'v1' AS v
    data:
      - SELECT * FROM t WHERE org = bucket.org AND region = bucket.region AND uid = bucket.uid AND team = bucket.team AND lang = bucket.lang AND app = bucket.app AND v = bucket.v
`);
    const context = request(
      'u1',
      { org: 42, parameters: { region: 'eu' } },
      { team: 'red', lang: 'de', app: 'x' },
    );
    expect(await names(config, context)).toEqual(['by_claims[42,"eu","u1","red","de","x","v1"]']);
  });

  it('follows JSON paths and SQLite ->> / -> semantics', async () => {
    const config = SyncConfig.parse(`bucket_definitions:
  nested:
    parameters: SELECT request.jwt() ->> '$.app.org' AS org, request.jwt() -> 'tags' AS tags, request.jwt() ->> 'admin' AS admin
    data: [SELECT * FROM t WHERE org = bucket.org AND tags = bucket.tags AND admin = bucket.admin]
`);
    const context = request('u1', { app: { org: 'o"1' }, tags: ['x', 1], admin: true });
    expect(await names(config, context)).toEqual(['nested["o\\"1","[\\"x\\",1]",1]']);
  });

  it('names columns without AS by their last identifier', async () => {
    const config = SyncConfig.parse(`bucket_definitions:
  implicit:
    parameters: SELECT token_parameters.region, request.user_id()
    data: [SELECT * FROM t WHERE r = bucket.region AND u = bucket.user_id]
`);
    expect(await names(config, request('u1', { parameters: { region: 'eu' } }))).toEqual([
      'implicit["eu","u1"]',
    ]);
  });

  it('applies a WHERE over request values', async () => {
    const config = SyncConfig.parse(`bucket_definitions:
  admins:
    parameters: SELECT request.user_id() AS user_id WHERE request.jwt() ->> 'role' = 'admin'
    data: [SELECT * FROM audit WHERE actor = bucket.user_id]
`);
    expect(await names(config, request('u1', { role: 'admin' }))).toEqual(['admins["u1"]']);
    expect(await names(config, request('u2', { role: 'user' }))).toEqual([]);
    expect(await names(config, request('u3'))).toEqual([]);
  });

  it('yields no bucket when a parameter is NULL', async () => {
    const config = SyncConfig.parse(`bucket_definitions:
  by_org:
    parameters: SELECT request.jwt() ->> 'org' AS org
    data: [SELECT * FROM projects WHERE org_id = bucket.org]
`);
    expect(await names(config, request('u1'))).toEqual([]);
    expect(await names(config, request('u1', { org: null }))).toEqual([]);
    expect(await names(config, request('u1', { org: 7.0 }))).toEqual(['by_org[7]']);
  });

  it('expands json_each over a request array', async () => {
    const config = SyncConfig.parse(`bucket_definitions:
  by_project:
    parameters: SELECT value AS project FROM json_each(request.jwt() -> 'projects')
    data: [SELECT * FROM tasks WHERE project_id = bucket.project]
`);
    expect(await names(config, request('u1', { projects: ['a', 'b', 'a'] }))).toEqual([
      'by_project["a"]',
      'by_project["b"]',
    ]);
  });
});

describe('resolveBuckets with parameter queries over tables', () => {
  const SPEC = `bucket_definitions:
  by_org:
    parameters: SELECT org_id FROM users WHERE id = request.user_id()
    data:
      - SELECT id, name FROM projects WHERE org_id = bucket.org_id
`;

  it('indexes a source row under a canonical lookup key', () => {
    const config = SyncConfig.parse(SPEC);
    expect(config.evaluateParameterRow(users, { id: 'u1', org_id: 42n })).toEqual([
      { lookup: '["by_org","0",["u1"]]', bucketParameters: [{ org_id: 42n }] },
    ]);
  });

  it('resolves buckets through the lookup function, and follows changes of the parameter row', async () => {
    const config = SyncConfig.parse(SPEC, { bucketIdPrefix: '2#' });
    const index = new MemoryParameterIndex(config);
    index.save(users, 'u1', { id: 'u1', org_id: 42 });
    index.save(users, 'u2', { id: 'u2', org_id: 43 });
    expect(await names(config, request('u1'), index.lookup)).toEqual(['2#by_org[42]']);
    expect(index.calls).toEqual([['["by_org","0",["u1"]]']]);

    index.save(users, 'u1', { id: 'u1', org_id: 44.0 });
    expect(await names(config, request('u1'), index.lookup)).toEqual(['2#by_org[44]']);
    index.delete(users, 'u1');
    expect(await names(config, request('u1'), index.lookup)).toEqual([]);
    expect(await names(config, request('nobody'), index.lookup)).toEqual([]);
  });

  it('indexes nothing for NULL lookup values or NULL parameters, and filters rows', async () => {
    const config = SyncConfig.parse(`bucket_definitions:
  by_org:
    parameters: SELECT org_id FROM users WHERE id = request.user_id() AND active = 1
    data: [SELECT * FROM projects WHERE org_id = bucket.org_id]
`);
    expect(config.evaluateParameterRow(users, { id: null, org_id: 1, active: 1 })).toEqual([]);
    expect(config.evaluateParameterRow(users, { id: 'u1', org_id: null, active: 1 })).toEqual([]);
    expect(config.evaluateParameterRow(users, { id: 'u1', org_id: 1, active: 0 })).toEqual([]);
    expect(config.evaluateParameterRow(users, { id: 'u1', org_id: 1, active: 1 })).toHaveLength(1);
  });

  it('expands `column IN <request array>` into one lookup per element', async () => {
    const config = SyncConfig.parse(`bucket_definitions:
  by_list:
    parameters: SELECT id AS list_id FROM lists WHERE id IN request.parameters() ->> 'ids' AND owner = request.user_id()
    data: [SELECT * FROM todos WHERE list_id = bucket.list_id]
`);
    const lists = { schema: 'public', name: 'lists' };
    const index = new MemoryParameterIndex(config);
    index.save(lists, 'a', { id: 'a', owner: 'u1' });
    index.save(lists, 'b', { id: 'b', owner: 'u1' });
    index.save(lists, 'c', { id: 'c', owner: 'u2' });
    const result = await names(config, request('u1', {}, { ids: ['a', 'b', 'c'] }), index.lookup);
    expect(result).toEqual(['by_list["a"]', 'by_list["b"]']);
    expect(index.calls).toEqual([
      ['["by_list","0",["a","u1"]]', '["by_list","0",["b","u1"]]', '["by_list","0",["c","u1"]]'],
    ]);
  });

  it('indexes `<request value> IN array_column` once per element', () => {
    const config = SyncConfig.parse(`bucket_definitions:
  by_group:
    parameters: SELECT id AS group_id FROM groups WHERE request.user_id() IN members
    data: [SELECT * FROM docs WHERE group_id = bucket.group_id]
`);
    const entries = config.evaluateParameterRow(
      { schema: 'public', name: 'groups' },
      { id: 'g', members: '["u1","u2"]' },
    );
    expect(entries.map((e) => e.lookup)).toEqual(['["by_group","0",["u1"]]', '["by_group","0",["u2"]]']);
  });

  it('combines static and table parameter queries of one definition, de-duplicating buckets', async () => {
    const config = SyncConfig.parse(`bucket_definitions:
  by_org:
    parameters:
      - SELECT org_id FROM users WHERE id = request.user_id()
      - SELECT request.jwt() ->> 'org' AS org_id
    data: [SELECT * FROM projects WHERE org_id = bucket.org_id]
`);
    const index = new MemoryParameterIndex(config);
    index.save(users, 'u1', { id: 'u1', org_id: 1 });
    expect(await names(config, request('u1', { org: 2 }), index.lookup)).toEqual(['by_org[1]', 'by_org[2]']);
    expect(await names(config, request('u1', { org: 1 }), index.lookup)).toEqual(['by_org[1]']);
  });

  it('does not call the lookup when the request gives no lookup value', async () => {
    const config = SyncConfig.parse(`bucket_definitions:
  by_org:
    parameters: SELECT org_id FROM users WHERE id = request.jwt() ->> 'missing'
    data: [SELECT * FROM projects WHERE org_id = bucket.org_id]
`);
    expect(await names(config, request('u1'), noLookup)).toEqual([]);
  });
});
