import type { ScalarTag } from 'yaml';
import { formatPath, type ConfigProblem } from './config-error.js';
import { parseYamlSafely, type YamlProblem } from '../../yaml/index.js';

/**
 * Parsing of the config text (YAML, or JSON as a subset of it) with the service's `!env` tag: `!env PS_NAME`
 * substitutes an environment variable, `!env PS_NAME::number` / `::boolean` cast it. Only variables whose
 * name starts with `PS_` may be substituted. The tag only records the reference; substitution happens in a
 * walk over the parsed tree so that every failure names its key path.
 */
const ENV_PREFIX = 'PS_';

/** What `!env NAME[::cast]` parses to before substitution. */
export class EnvReference {
  constructor(readonly expression: string) {}
}

/** Stands in for a value whose substitution failed, so validation does not report it a second time. */
export class UnresolvedValue {
  constructor(readonly expression: string) {}
}

const envTag: ScalarTag = {
  tag: '!env',
  resolve: (text: string) => new EnvReference(text.trim()),
};

export interface ParsedText {
  value: unknown;
  problems: ConfigProblem[];
  warnings: string[];
}

/** Parses YAML or JSON text; `!env` values are left as {@link EnvReference}s. */
export function parseConfigText(text: string): ParsedText {
  if (/^\s*\{/.test(text)) {
    try {
      return { value: JSON.parse(text) as unknown, problems: [], warnings: [] };
    } catch {
      // Not strict JSON (comments, tags, ...): YAML is a superset and reports positions.
    }
  }
  const parsed = parseYamlSafely(text, { customTags: [envTag] });
  const problems = parsed.problems.map((problem) => ({
    path: '',
    message: `${problem.message}${where(problem)}`,
  }));
  const warnings = (parsed.doc?.warnings ?? []).map((warning) => `YAML: ${oneLine(warning.message)}`);
  return { value: parsed.value, problems, warnings };
}

function where(problem: YamlProblem): string {
  if (!problem.line) return '';
  return problem.column ? ` (line ${problem.line}, column ${problem.column})` : ` (line ${problem.line})`;
}

function oneLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

export interface SubstitutedTree {
  value: unknown;
  problems: ConfigProblem[];
  /** Paths whose `!env` substitution failed (their value is an {@link UnresolvedValue}). */
  failedPaths: string[];
}

/** Replaces every {@link EnvReference} in the tree by its environment value, collecting failures by path. */
export function substituteEnv(tree: unknown, env: NodeJS.ProcessEnv): SubstitutedTree {
  const problems: ConfigProblem[] = [];
  const failedPaths: string[] = [];
  const walk = (node: unknown, path: PropertyKey[]): unknown => {
    if (node instanceof EnvReference) {
      const result = resolveEnvExpression(node.expression, env);
      if (typeof result === 'object') return result.value;
      const dotted = formatPath(path);
      problems.push({ path: dotted, message: result });
      failedPaths.push(dotted);
      return new UnresolvedValue(node.expression);
    }
    if (Array.isArray(node)) return node.map((item, index) => walk(item, [...path, index]));
    if (isPlainObject(node)) {
      return Object.fromEntries(Object.entries(node).map(([key, item]) => [key, walk(item, [...path, key])]));
    }
    return node;
  };
  return { value: walk(tree, []), problems, failedPaths };
}

/** `PS_NAME[::number|::boolean]` → the value, or a message saying why it cannot be substituted. */
export function resolveEnvExpression(
  expression: string,
  env: NodeJS.ProcessEnv,
): { value: string | number | boolean } | string {
  const [name = '', cast, ...rest] = expression.split('::');
  if (!name) return '!env needs a variable name (e.g. !env PS_PORT::number)';
  if (!name.startsWith(ENV_PREFIX)) {
    return `!env ${name}: only environment variables starting with ${ENV_PREFIX} may be substituted`;
  }
  if (rest.length > 0 || (cast !== undefined && cast !== 'number' && cast !== 'boolean')) {
    return `!env ${expression}: unknown cast; use ::number or ::boolean`;
  }
  const raw = env[name];
  if (raw === undefined) return `environment variable ${name} is not set (!env ${expression})`;
  if (cast === 'number') {
    const number = raw.trim() === '' ? Number.NaN : Number(raw);
    return Number.isFinite(number)
      ? { value: number }
      : `!env ${expression}: ${JSON.stringify(raw)} is not a number`;
  }
  if (cast === 'boolean') {
    const lower = raw.trim().toLowerCase();
    if (lower === 'true' || lower === 'false') return { value: lower === 'true' };
    return `!env ${expression}: ${JSON.stringify(raw)} is not a boolean (true or false)`;
  }
  return { value: raw };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
