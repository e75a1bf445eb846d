/**
 * A small parser for the Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` lines,
 * other comments, and samples `name{label="value",…} value [timestamp]` with escaped label values and the
 * special values NaN, +Inf and -Inf. Metric and label names may also be quoted (`{"my.metric",a="b"}`), as
 * Prometheus 3 writes UTF-8 names. A malformed line is reported and skipped; it never hides the rest.
 */

export interface PromSeries {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch, when the line carries one. */
  timestampMs?: number;
}

export interface PromFamily {
  type?: string;
  help?: string;
}

export interface PromParseError {
  /** 1-based line number. */
  line: number;
  message: string;
}

export interface PromExposition {
  series: PromSeries[];
  families: Map<string, PromFamily>;
  errors: PromParseError[];
}

export function parsePrometheusText(text: string): PromExposition {
  const result: PromExposition = { series: [], families: new Map(), errors: [] };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').replace(/\r$/, '');
    if (line.trim() === '') continue;
    try {
      if (line.trimStart().startsWith('#')) parseComment(line.trimStart(), result.families);
      else result.series.push(parseSampleLine(line));
    } catch (error) {
      result.errors.push({ line: i + 1, message: error instanceof Error ? error.message : String(error) });
    }
  }
  return result;
}

function parseComment(line: string, families: Map<string, PromFamily>): void {
  const match = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!match) return; // an ordinary comment
  const [, keyword, rawName = '', rest = ''] = match;
  const name = rawName.startsWith('"') ? new Cursor(rawName).quoted() : rawName;
  const family = families.get(name) ?? {};
  if (keyword === 'HELP') family.help = unescape(rest, false);
  else family.type = rest.trim().toLowerCase();
  families.set(name, family);
}

/** Parses one sample line; throws with a short reason when it is malformed. */
export function parseSampleLine(line: string): PromSeries {
  const cursor = new Cursor(line);
  cursor.skipSpace();
  let name = cursor.peek() === '{' ? '' : cursor.name(METRIC_NAME);
  const labels: Record<string, string> = {};
  let spaced = cursor.skipSpace();
  if (cursor.peek() === '{') {
    name = parseLabels(cursor, labels, name);
    spaced = cursor.skipSpace();
  }
  if (!name) throw new Error('sample without a metric name');
  if (!spaced) throw new Error(`expected a space before the value of ${name}`);
  const value = parseValue(cursor.token());
  const series: PromSeries = { name, labels, value };
  if (cursor.skipSpace() && !cursor.done()) {
    const raw = cursor.token();
    if (!/^-?\d+$/.test(raw)) throw new Error(`bad timestamp ${JSON.stringify(raw)}`);
    series.timestampMs = Number(raw);
    cursor.skipSpace();
  }
  if (!cursor.done()) throw new Error(`unexpected text after the value of ${name}`);
  return series;
}

/** Reads `{…}` into `labels`; returns the metric name (a quoted name inside the braces wins over none). */
function parseLabels(cursor: Cursor, labels: Record<string, string>, name: string): string {
  cursor.expect('{');
  for (;;) {
    cursor.skipSpace();
    if (cursor.peek() === '}') break;
    const key = cursor.peek() === '"' ? cursor.quoted() : cursor.name(LABEL_NAME);
    cursor.skipSpace();
    if (cursor.peek() !== '=') {
      // A quoted string alone is the metric name (UTF-8 form).
      if (name) throw new Error(`label ${key} has no value`);
      name = key;
    } else {
      cursor.expect('=');
      cursor.skipSpace();
      if (key in labels) throw new Error(`duplicate label ${key}`);
      labels[key] = cursor.quoted();
    }
    cursor.skipSpace();
    if (cursor.peek() === ',') cursor.expect(',');
    else if (cursor.peek() !== '}') throw new Error(`expected , or } in labels of ${name || 'a sample'}`);
  }
  cursor.expect('}');
  return name;
}

/** Go's ParseFloat as Prometheus uses it: decimals, exponents, NaN and ±Inf in any case. */
export function parseValue(raw: string): number {
  const lower = raw.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw))
    throw new Error(`bad value ${JSON.stringify(raw)}`);
  return Number(raw);
}

const METRIC_NAME = /[a-zA-Z_:][a-zA-Z0-9_:]*/y;
const LABEL_NAME = /[a-zA-Z_][a-zA-Z0-9_]*/y;

/** `\\`, `\"` and `\n` in label values; HELP text escapes only `\\` and `\n`. Unknown escapes stay as written. */
function unescape(text: string, quotes: boolean): string {
  return text.replace(/\\(.)/g, (all, ch: string) => {
    if (ch === '\\') return '\\';
    if (ch === 'n') return '\n';
    if (ch === '"' && quotes) return '"';
    return all;
  });
}

class Cursor {
  private pos = 0;
  constructor(private readonly text: string) {}

  peek(): string | undefined {
    return this.text[this.pos];
  }

  done(): boolean {
    return this.pos >= this.text.length;
  }

  /** Skips spaces and tabs; true if there were any. */
  skipSpace(): boolean {
    const start = this.pos;
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
    return this.pos > start;
  }

  expect(ch: string): void {
    if (this.text[this.pos] !== ch) throw new Error(`expected ${ch} at column ${this.pos + 1}`);
    this.pos++;
  }

  name(pattern: RegExp): string {
    pattern.lastIndex = this.pos;
    const match = pattern.exec(this.text);
    if (!match) throw new Error(`expected a name at column ${this.pos + 1}`);
    this.pos += match[0].length;
    return match[0];
  }

  /** A double-quoted string with backslash escapes, returned unescaped. */
  quoted(): string {
    this.expect('"');
    const start = this.pos;
    while (this.pos < this.text.length && this.text[this.pos] !== '"') {
      this.pos += this.text[this.pos] === '\\' ? 2 : 1;
    }
    if (this.pos >= this.text.length) throw new Error('unterminated quoted string');
    const raw = this.text.slice(start, this.pos);
    this.pos++;
    return unescape(raw, true);
  }

  /** Everything up to the next space or tab. */
  token(): string {
    const start = this.pos;
    while (this.pos < this.text.length && this.text[this.pos] !== ' ' && this.text[this.pos] !== '\t')
      this.pos++;
    if (this.pos === start) throw new Error(`expected a value at column ${start + 1}`);
    return this.text.slice(start, this.pos);
  }
}
