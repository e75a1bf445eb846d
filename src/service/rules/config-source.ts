import { isMap, isScalar, isSeq, LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import { parseYamlSafely } from '../../yaml/index.js';
import { positionInScalar, type PositionInValue, type SourcePosition } from './source-position.js';
import type { SyncConfigProblem } from './sync-config-error.js';

/** One SQL string of the config with where it came from. */
export interface SqlSource {
  sql: string;
  path: string;
  position: PositionInValue;
}

/** A bucket definition as written, before its SQL is compiled. */
export interface DefinitionSource {
  name: string;
  path: string;
  position: SourcePosition;
  priority: number;
  parameters: SqlSource[];
  data: SqlSource[];
}

const UNSUPPORTED_TOP_LEVEL: Record<string, string> = {
  streams: 'Sync Streams (`streams`) are not supported by this service; use `bucket_definitions`',
  with: '`with` (shared queries for Sync Streams) is not supported by this service',
  event_definitions: '`event_definitions` are not supported by this service',
};
const DEFINITION_KEYS = new Set(['parameters', 'data', 'priority', 'accept_potentially_dangerous_queries']);
const DEFAULT_PRIORITY = 3;

/**
 * Reads the YAML structure of a sync config (protocol.md §3): the bucket definitions and their SQL strings.
 * Every structural problem is appended to `problems`; the SQL itself is not looked at here.
 */
export function readConfigSource(text: string, problems: SyncConfigProblem[]): DefinitionSource[] {
  return new ConfigReader(text, problems).read();
}

class ConfigReader {
  private lines = new LineCounter();

  constructor(
    private readonly text: string,
    private readonly problems: SyncConfigProblem[],
  ) {}

  read(): DefinitionSource[] {
    const parsed = parseYamlSafely(this.text);
    this.lines = parsed.lines;
    if (parsed.problems.length > 0 || !parsed.doc) {
      for (const problem of parsed.problems) {
        this.problems.push({
          message: problem.message,
          path: '(yaml)',
          line: problem.line ?? 1,
          column: problem.column ?? 1,
        });
      }
      return [];
    }
    const doc = parsed.doc;
    const root = doc.contents;
    if (!isMap(root)) {
      this.report(root, '(root)', 'the sync config must be a YAML map with a `bucket_definitions` key');
      return [];
    }
    return this.readRoot(root);
  }

  private readRoot(root: YAMLMap): DefinitionSource[] {
    let definitions: DefinitionSource[] | undefined;
    let unsupported = false;
    for (const pair of root.items) {
      const key = keyText(pair);
      if (key === 'bucket_definitions') definitions = this.readDefinitions(pair.value as Node | null);
      else if (key === 'config') this.readConfigBlock(pair.value as Node | null);
      else if (key !== undefined && key in UNSUPPORTED_TOP_LEVEL) {
        unsupported = true;
        this.report(pair.key as Node, key, UNSUPPORTED_TOP_LEVEL[key] ?? '');
      } else {
        const allowed = 'bucket_definitions, config (streams, with and event_definitions are not supported)';
        this.report(pair.key as Node, String(key), `unknown key; allowed: ${allowed}`);
      }
    }
    if (definitions === undefined && !unsupported) {
      this.report(root, '(root)', '`bucket_definitions` is required');
    }
    return definitions ?? [];
  }

  private readConfigBlock(node: Node | null): void {
    if (node === null || (isScalar(node) && node.value === null)) return;
    if (!isMap(node)) {
      this.report(node, 'config', 'must be a map');
      return;
    }
    const edition = node.get('edition', true) as Node | undefined;
    if (edition === undefined) return;
    const value = isScalar(edition) ? edition.value : undefined;
    if (value === 3)
      this.report(
        edition,
        'config.edition',
        'edition 3 (compiled Sync Streams) is not supported; use 1 or 2',
      );
    else if (value !== 1 && value !== 2) this.report(edition, 'config.edition', 'must be 1 or 2');
  }

  private readDefinitions(node: Node | null): DefinitionSource[] {
    if (!isMap(node)) {
      this.report(node, 'bucket_definitions', 'must be a map of bucket definitions by name');
      return [];
    }
    const result: DefinitionSource[] = [];
    for (const pair of node.items) {
      const name = keyText(pair);
      const path = `bucket_definitions.${name ?? '?'}`;
      if (name === undefined || name === '') {
        this.report(pair.key as Node, path, 'a bucket definition needs a non-empty name');
        continue;
      }
      const definition = this.readDefinition(name, path, pair);
      if (definition !== undefined) result.push(definition);
    }
    return result;
  }

  private readDefinition(name: string, path: string, pair: Pair): DefinitionSource | undefined {
    const node = pair.value as Node | null;
    if (!isMap(node)) {
      this.report(
        node ?? (pair.key as Node),
        path,
        'must be a map with `data` (and optionally `parameters`, `priority`)',
      );
      return undefined;
    }
    for (const item of node.items) {
      const key = keyText(item);
      if (key === undefined || !DEFINITION_KEYS.has(key)) {
        this.report(
          item.key as Node,
          `${path}.${key ?? '?'}`,
          `unknown key; allowed: ${[...DEFINITION_KEYS].join(', ')}`,
        );
      }
    }
    const dataNode = node.get('data', true) as Node | undefined;
    if (dataNode === undefined)
      this.report(pair.key as Node, path, '`data` is required (a list of SELECT queries)');
    const parametersNode = node.get('parameters', true) as Node | undefined;
    this.checkAcceptFlag(node.get('accept_potentially_dangerous_queries', true) as Node | undefined, path);
    return {
      name,
      path,
      position: this.positionOf(pair.key as Node),
      priority: this.readPriority(node.get('priority', true) as Node | undefined, `${path}.priority`),
      parameters:
        parametersNode === undefined ? [] : this.readSqlList(parametersNode, `${path}.parameters`, true),
      data: dataNode === undefined ? [] : this.readSqlList(dataNode, `${path}.data`, false),
    };
  }

  /** Accepted for compatibility; this service does not warn about dangerous queries, so the flag has no effect. */
  private checkAcceptFlag(node: Node | undefined, path: string): void {
    if (node !== undefined && !(isScalar(node) && typeof node.value === 'boolean')) {
      this.report(node, `${path}.accept_potentially_dangerous_queries`, 'must be true or false');
    }
  }

  private readPriority(node: Node | undefined, path: string): number {
    if (node === undefined) return DEFAULT_PRIORITY;
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 3) return value;
    this.report(node, path, `priority must be an integer from 0 to 3 (got ${describe(node)})`);
    return DEFAULT_PRIORITY;
  }

  private readSqlList(node: Node, path: string, allowSingle: boolean): SqlSource[] {
    if (allowSingle && isScalar(node)) return this.readSql(node, path);
    if (!isSeq(node)) {
      const expected = allowSingle ? 'a SELECT string or a list of them' : 'a list of SELECT strings';
      this.report(node, path, `must be ${expected}`);
      return [];
    }
    return node.items.flatMap((item, index) => this.readSql(item as Node, `${path}[${index}]`));
  }

  private readSql(node: Node, path: string): SqlSource[] {
    if (!isScalar(node) || typeof node.value !== 'string') {
      this.report(node, path, `must be a SQL string (got ${describe(node)})`);
      return [];
    }
    if (node.value.trim() === '') {
      this.report(node, path, 'empty query');
      return [];
    }
    return [{ sql: node.value, path, position: positionInScalar(node, this.text, this.lines) }];
  }

  private positionOf(node: Node | null | undefined): SourcePosition {
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1 };
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  private report(node: Node | null | undefined, path: string, message: string): void {
    this.problems.push({ message, path, ...this.positionOf(node) });
  }
}

function keyText(pair: Pair): string | undefined {
  const key = pair.key as unknown;
  if (isScalar(key) && (typeof key.value === 'string' || typeof key.value === 'number'))
    return String(key.value);
  return undefined;
}

function describe(node: Node | null): string {
  if (isScalar(node)) return node.value === null ? 'null' : JSON.stringify(node.value);
  if (isSeq(node)) return 'a list';
  if (isMap(node)) return 'a map';
  return 'nothing';
}
