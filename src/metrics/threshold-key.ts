export type ParsedKey =
  { ok: true; metric: string; tags: Record<string, string> } | { ok: false; messages: string[] };

const METRIC_NAME = /^[A-Za-z_][\w.:-]*$/;

/**
 * Parses a threshold key: a metric name and an optional k6-style tag filter, `e2e_latency{transport:ws}` or
 * `errors{ code: "http_429", transport: ws }` (spaces and quotes around keys and values are dropped).
 */
export function parseThresholdKey(key: string): ParsedKey {
  const text = key.trim();
  const brace = text.indexOf('{');
  if (brace < 0 && text.includes('}')) return { ok: false, messages: ['unexpected "}" without "{"'] };
  const metric = (brace < 0 ? text : text.slice(0, brace)).trim();
  const messages: string[] = [];
  if (metric === '') messages.push('missing metric name');
  else if (!METRIC_NAME.test(metric)) messages.push(`invalid metric name "${metric}"`);
  if (brace < 0) {
    return messages.length > 0 ? { ok: false, messages } : { ok: true, metric, tags: {} };
  }
  if (!text.endsWith('}')) {
    const close = text.indexOf('}', brace);
    messages.push(
      close < 0 ? 'missing "}" after the tag filter' : `unexpected "${text.slice(close + 1)}" after "}"`,
    );
    return { ok: false, messages };
  }
  const tags = readTags(text.slice(brace + 1, -1), messages);
  return messages.length > 0 ? { ok: false, messages } : { ok: true, metric, tags };
}

function readTags(inner: string, messages: string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  if (inner.trim() === '') return tags;
  for (const part of inner.split(',')) {
    const pair = part.trim();
    if (pair === '') {
      messages.push('empty tag in the filter (a stray ",")');
      continue;
    }
    const colon = pair.indexOf(':');
    if (colon < 0) {
      const equals = pair.indexOf('=');
      const fix = equals < 0 ? `"${pair}:value"` : `"${pair.slice(0, equals)}:${pair.slice(equals + 1)}"`;
      messages.push(`tag "${pair}" has no value; write ${fix}`);
      continue;
    }
    const name = unquote(pair.slice(0, colon));
    const value = unquote(pair.slice(colon + 1));
    if (name === '' || value === '') {
      messages.push(`tag "${pair}" needs both a name and a value`);
    } else if (Object.hasOwn(tags, name) && tags[name] !== value) {
      messages.push(`tag "${name}" appears twice with different values`);
    } else {
      tags[name] = value;
    }
  }
  return tags;
}

function unquote(text: string): string {
  const trimmed = text.trim();
  const quoted = /^(["'])(.*)\1$/.exec(trimmed);
  return quoted ? (quoted[2] as string) : trimmed;
}
