import { Document, isMap, isScalar, isSeq, LineCounter, type Node } from 'yaml';
import { formatPath, type ScenarioProblem } from './scenario-error.js';
import { parseYamlSafely } from '../yaml/index.js';
import { redactor, SECRET_ENV_NAME } from '../redact/index.js';

/** What `!env NAME` parses to before substitution. */
class EnvReference {
  constructor(readonly name: string) {}
}

/**
 * A scenario file's YAML: its plain value (with `!env NAME` replaced by the environment variable, so secrets
 * such as a database URL stay out of the file) and the line of any key path in it.
 */
export class YamlSource {
  readonly value: unknown;
  readonly problems: ScenarioProblem[] = [];
  /** Paths whose `!env` variable was missing: validation problems at or under them are not repeated. */
  readonly unresolvedPaths: string[] = [];
  private readonly lines: LineCounter;
  private readonly doc: Document;

  constructor(text: string, env: NodeJS.ProcessEnv) {
    const parsed = parseYamlSafely(text, {
      customTags: [
        { tag: '!env', resolve: (name: string) => new EnvReference(name.trim()) },
        // `!secret value`: a literal the user marks secret; it is never written to an artifact.
        {
          tag: '!secret',
          resolve: (value: string) => {
            redactor.add(value);
            return value;
          },
        },
      ],
    });
    this.doc = parsed.doc ?? new Document(null);
    this.lines = parsed.lines;
    for (const problem of parsed.problems) {
      this.problems.push({ path: '', line: problem.line, message: problem.message });
    }
    this.value = this.problems.length > 0 ? undefined : this.substitute(parsed.value, [], env);
  }

  /**
   * The line of a key path: the key's own line for a map entry, the item's line for a list item. A path
   * that is not in the file (a missing key) gets the line of its nearest parent that is.
   */
  lineOf(path: readonly PropertyKey[]): number | undefined {
    let node: unknown = this.doc.contents;
    let line = this.lineAt(node as Node | null);
    for (const segment of path) {
      const next = this.child(node, segment);
      if (!next) break;
      line = next.line ?? line;
      node = next.node;
    }
    return line;
  }

  private child(node: unknown, segment: PropertyKey): { node: unknown; line?: number } | undefined {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) return undefined;
      return { node: pair.value, line: this.lineAt(pair.key as Node) };
    }
    if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as Node | undefined;
      return item ? { node: item, line: this.lineAt(item) } : undefined;
    }
    return undefined;
  }

  private lineAt(node: Node | null | undefined): number | undefined {
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : this.lines.linePos(offset).line;
  }

  private substitute(node: unknown, path: PropertyKey[], env: NodeJS.ProcessEnv): unknown {
    if (node instanceof EnvReference) {
      const value = env[node.name];
      // A variable whose name looks secret (…SECRET…, …PASSWORD…, …TOKEN…, …KEY…) never reaches an artifact.
      if (value !== undefined && value !== '' && SECRET_ENV_NAME.test(node.name)) redactor.add(value);
      if (value !== undefined && value !== '') return value;
      const message = /^[A-Za-z_]\w*$/.test(node.name)
        ? `environment variable ${node.name} is not set (!env ${node.name})`
        : `!env needs a variable name (got ${JSON.stringify(node.name)})`;
      this.problems.push({ path: formatPath(path), line: this.lineOf(path), message });
      this.unresolvedPaths.push(formatPath(path));
      return undefined;
    }
    if (Array.isArray(node)) return node.map((item, index) => this.substitute(item, [...path, index], env));
    if (node !== null && typeof node === 'object') {
      return Object.fromEntries(
        Object.entries(node).map(([key, item]) => [key, this.substitute(item, [...path, key], env)]),
      );
    }
    return node;
  }
}
