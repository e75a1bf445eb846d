import {
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type ParseOptions,
  type DocumentOptions,
  type SchemaOptions,
} from 'yaml';

/** More than this many alias expansions in one file is refused: a few aliases can expand to gigabytes. */
export const MAX_ALIAS_EXPANSIONS = 1_000;
/** Files larger than this are refused before parsing: no scenario, profile or config is anywhere near it. */
export const MAX_YAML_BYTES = 4 * 1024 * 1024;

export interface YamlProblem {
  /** 1-based; absent when the problem is the file as a whole. */
  line?: number;
  column?: number;
  message: string;
}

export interface SafeYaml {
  /** The parsed document (absent when the text was refused before parsing). */
  doc: Document | undefined;
  lines: LineCounter;
  /** The plain value; `undefined` when there are problems. */
  value: unknown;
  problems: YamlProblem[];
}

type Options = ParseOptions & DocumentOptions & SchemaOptions;

/**
 * Parses YAML that came from a user's file without letting it hurt the process: syntax errors, alias bombs
 * ("billion laughs"), nesting deep enough to overflow the stack and oversized files all become problems
 * with a line, never a thrown error without a path or a process that runs out of memory.
 */
export function parseYamlSafely(text: string, options: Options = {}): SafeYaml {
  const lines = new LineCounter();
  if (Buffer.byteLength(text) > MAX_YAML_BYTES) {
    return {
      doc: undefined,
      lines,
      value: undefined,
      problems: [{ message: `file larger than ${MAX_YAML_BYTES / 1024 / 1024} MiB: refused` }],
    };
  }
  let doc: Document;
  try {
    doc = parseDocument(text, { ...options, lineCounter: lines });
  } catch (error) {
    return { doc: undefined, lines, value: undefined, problems: [{ line: 1, message: describe(error) }] };
  }
  const problems: YamlProblem[] = doc.errors.map((error) => {
    const position = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
    const message = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    return { line: position.line, column: position.col, message: `YAML syntax error: ${describe(message)}` };
  });
  if (problems.length > 0) return { doc, lines, value: undefined, problems };
  try {
    return { doc, lines, value: doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS }), problems };
  } catch (error) {
    const aliasLine = firstAliasLine(doc, lines);
    return { doc, lines, value: undefined, problems: [{ line: aliasLine ?? 1, message: describe(error) }] };
  }
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/alias count|resource exhaustion/i.test(message)) {
    return `YAML aliases expand to more than ${MAX_ALIAS_EXPANSIONS} nodes (an alias bomb?): refused`;
  }
  if (/call stack/i.test(message)) return 'YAML nested too deeply: refused';
  return message;
}

function firstAliasLine(doc: Document, lines: LineCounter): number | undefined {
  let line: number | undefined;
  visit(doc, {
    Alias(_key, node) {
      if (node.range) line = lines.linePos(node.range[0]).line;
      return visit.BREAK;
    },
  });
  return line;
}
