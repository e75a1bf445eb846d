import { bucketName, lookupKey } from './bucket-name.js';
import { compileDefinition, type BucketDefinition } from './bucket-definition.js';
import { readConfigSource } from './config-source.js';
import type { DataQuery } from './data-query.js';
import { arrayJsonText } from './json-text.js';
import { RequestValues, type RequestContext } from './request-values.js';
import { DEFAULT_SCHEMA, tableKey, type SourceTableName } from './source-table.js';
import type { SqliteRow, SqliteValue } from './sqlite-value.js';
import { SyncConfigError, type SyncConfigProblem } from './sync-config-error.js';
import type { TableParameterQuery } from './table-parameter-query.js';

/** One output row of one bucket (becomes a PUT op). */
export interface EvaluatedRow {
  bucket: string;
  /** Output table name (`object_type`). */
  table: string;
  /** The row's `id` as text (`object_id`). */
  id: string;
  /** JSON text of the output row; checksums are computed over it. */
  data: string;
}

/** One parameter-index entry: under key `lookup` (canonical JSON), these bucket parameter rows. */
export interface EvaluatedParameters {
  lookup: string;
  bucketParameters: Array<Record<string, SqliteValue>>;
}

export interface BucketDescription {
  bucket: string;
  definition: string;
  priority: number;
}

export interface SyncConfigOptions {
  /** Prefix of every bucket name, e.g. `1#` for storage version 2 naming. Default: none. */
  bucketIdPrefix?: string;
  /** Schema of unqualified table names. Default `public`. */
  defaultSchema?: string;
}

/** Resolves parameter-index keys to the stored bucket parameter rows (the storage does that). */
export type ParameterLookupFn = (keys: string[]) => Promise<Array<Record<string, SqliteValue>>>;

interface Indexed<Q> {
  definition: BucketDefinition;
  queryId: string;
  query: Q;
}

/** A parsed legacy sync config (`bucket_definitions`, protocol.md §3.1) and its evaluation. */
export class SyncConfig {
  readonly definitions: ReadonlyArray<{ name: string; priority: number }>;
  /** True when some parameter query reads a replicated table, so bucket sets change with that table's data. */
  readonly hasDynamicBuckets: boolean;
  private readonly tables = new Map<string, SourceTableName>();
  private readonly dataQueries = new Map<string, Array<Indexed<DataQuery>>>();
  private readonly parameterQueries = new Map<string, Array<Indexed<TableParameterQuery>>>();

  private constructor(
    private readonly compiled: ReadonlyArray<BucketDefinition>,
    private readonly prefix: string,
  ) {
    this.definitions = compiled.map((d) => ({ name: d.name, priority: d.priority }));
    for (const definition of compiled) {
      for (const [index, query] of definition.dataQueries.entries()) {
        this.index(this.dataQueries, query.table, { definition, queryId: String(index), query });
      }
      for (const { queryId, query } of definition.parameterQueries) {
        if (query.kind === 'table')
          this.index(this.parameterQueries, query.table, { definition, queryId, query });
      }
    }
    this.hasDynamicBuckets = this.parameterQueries.size > 0;
  }

  /** Parses and compiles a sync config; throws {@link SyncConfigError} listing every problem found. */
  static parse(yamlText: string, options: SyncConfigOptions = {}): SyncConfig {
    const problems: SyncConfigProblem[] = [];
    const defaultSchema = options.defaultSchema ?? DEFAULT_SCHEMA;
    const definitions = readConfigSource(yamlText, problems).map((source) =>
      compileDefinition(source, defaultSchema, problems),
    );
    if (problems.length > 0) {
      throw new SyncConfigError(
        [...problems].sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0)),
      );
    }
    return new SyncConfig(definitions, options.bucketIdPrefix ?? '');
  }

  /** Every table a data or parameter query reads, once each. */
  sourceTables(): SourceTableName[] {
    return [...this.tables.values()].map((t) => ({ ...t }));
  }

  hasDataQueries(table: SourceTableName): boolean {
    return this.dataQueries.has(tableKey(table));
  }

  hasParameterQueries(table: SourceTableName): boolean {
    return this.parameterQueries.has(tableKey(table));
  }

  /** The buckets and output rows a source row belongs to; one entry per distinct (bucket, table, id). */
  evaluateRow(table: SourceTableName, row: SqliteRow): EvaluatedRow[] {
    const results = new Map<string, EvaluatedRow>();
    for (const { definition, query } of this.dataQueries.get(tableKey(table)) ?? []) {
      const result = query.evaluate(row);
      if (result === undefined) continue;
      for (const values of result.bucketParameters) {
        const bucket = bucketName(this.prefix, definition.name, values);
        const key = arrayJsonText([bucket, result.table, result.id]);
        if (!results.has(key))
          results.set(key, { bucket, table: result.table, id: result.id, data: result.data });
      }
    }
    return [...results.values()];
  }

  /**
   * The parameter-index entries a source row produces. A row that produces none (filtered out, NULL lookup
   * value or NULL parameter) must leave no entries behind: the storage replaces the row's previous entries.
   */
  evaluateParameterRow(table: SourceTableName, row: SqliteRow): EvaluatedParameters[] {
    const byLookup = new Map<string, Map<string, Record<string, SqliteValue>>>();
    for (const { definition, queryId, query } of this.parameterQueries.get(tableKey(table)) ?? []) {
      for (const entry of query.evaluateRow(row)) {
        const lookup = lookupKey(definition.name, queryId, entry.lookupValues);
        const rows = byLookup.get(lookup) ?? new Map<string, Record<string, SqliteValue>>();
        rows.set(
          arrayJsonText(definition.parameterNames.map((n) => entry.parameters[n] ?? null)),
          entry.parameters,
        );
        byLookup.set(lookup, rows);
      }
    }
    return [...byLookup].map(([lookup, rows]) => ({ lookup, bucketParameters: [...rows.values()] }));
  }

  /**
   * The buckets of a connection. Table-less parameter queries are evaluated here; queries over tables
   * call `lookup` once each with their keys (never with an empty list).
   */
  async resolveBuckets(request: RequestContext, lookup: ParameterLookupFn): Promise<BucketDescription[]> {
    const values = new RequestValues(request);
    const perDefinition = await Promise.all(
      this.compiled.map((definition) => this.definitionRows(definition, values, lookup)),
    );
    const buckets = new Map<string, BucketDescription>();
    for (const [index, rows] of perDefinition.entries()) {
      const definition = this.compiled[index] as BucketDefinition;
      for (const row of rows) {
        const params = definition.parameterNames.map((name) => row[name] ?? null);
        if (params.some((value) => value === null)) continue;
        const bucket = bucketName(this.prefix, definition.name, params);
        if (!buckets.has(bucket))
          buckets.set(bucket, { bucket, definition: definition.name, priority: definition.priority });
      }
    }
    return [...buckets.values()];
  }

  private async definitionRows(
    definition: BucketDefinition,
    request: RequestValues,
    lookup: ParameterLookupFn,
  ): Promise<Array<Record<string, SqliteValue>>> {
    if (definition.parameterQueries.length === 0) return [{}];
    const perQuery = await Promise.all(
      definition.parameterQueries.map(async ({ queryId, query }) => {
        if (query.kind === 'static') return query.evaluate(request);
        const keys = query
          .requestLookups(request)
          .map((lookupValues) => lookupKey(definition.name, queryId, lookupValues));
        return keys.length === 0 ? [] : lookup(keys);
      }),
    );
    return perQuery.flat();
  }

  private index<Q>(map: Map<string, Array<Indexed<Q>>>, table: SourceTableName, entry: Indexed<Q>): void {
    const key = tableKey(table);
    if (!this.tables.has(key)) this.tables.set(key, table);
    const list = map.get(key) ?? [];
    list.push(entry);
    map.set(key, list);
  }
}
