import { describe, expect, it } from 'vitest';
import {
  COMPARISON_OPERATORS,
  formatThresholdProblem,
  parseThresholds,
  type ParseThresholdsResult,
  type Threshold,
} from '../../src/metrics/index.js';

function parsed(record: Record<string, unknown>): Threshold[] {
  const result = parseThresholds(record);
  if (!result.ok) throw new Error(result.problems.map(formatThresholdProblem).join('\n'));
  return result.thresholds;
}

function problems(result: ParseThresholdsResult): string[] {
  if (result.ok) throw new Error('expected problems, got thresholds');
  return result.problems.map(formatThresholdProblem);
}

function one(metric: string, expression: string): Threshold {
  const [threshold] = parsed({ [metric]: [expression] });
  return threshold as Threshold;
}

describe('parseThresholds: what parses', () => {
  it('reads the k6 examples', () => {
    const thresholds = parsed({
      'e2e_latency{transport:ws}': ['p(99) < 250', 'avg < 100', 'max <= 1000', 'p(95)<=300'],
      errors: ['count == 0', 'rate < 0.01'],
    });
    expect(thresholds.map((t) => [t.metric, t.tags, t.aggregate, t.operator, t.value])).toEqual([
      ['e2e_latency', { transport: 'ws' }, { kind: 'p', percentile: 99 }, '<', 250],
      ['e2e_latency', { transport: 'ws' }, { kind: 'avg' }, '<', 100],
      ['e2e_latency', { transport: 'ws' }, { kind: 'max' }, '<=', 1000],
      ['e2e_latency', { transport: 'ws' }, { kind: 'p', percentile: 95 }, '<=', 300],
      ['errors', {}, { kind: 'count' }, '==', 0],
      ['errors', {}, { kind: 'rate' }, '<', 0.01],
    ]);
    expect(thresholds[1]).toMatchObject({
      path: 'thresholds["e2e_latency{transport:ws}"][1]',
      key: 'e2e_latency{transport:ws}',
      expression: 'avg < 100',
      metricKind: 'trend',
    });
  });

  it.each(COMPARISON_OPERATORS)('reads the operator %s', (operator) => {
    expect(one('connect_time', `min ${operator} 5`).operator).toBe(operator);
    expect(one('connect_time', `min${operator}5`).operator).toBe(operator);
  });

  it.each([
    ['avg', { kind: 'avg' }],
    ['min', { kind: 'min' }],
    ['max', { kind: 'max' }],
    ['med', { kind: 'med' }],
    ['count', { kind: 'count' }],
    ['p(0)', { kind: 'p', percentile: 0 }],
    ['p(50)', { kind: 'p', percentile: 50 }],
    ['p(99.9)', { kind: 'p', percentile: 99.9 }],
    ['p(99.99)', { kind: 'p', percentile: 99.99 }],
    ['p(100)', { kind: 'p', percentile: 100 }],
  ])('reads the trend aggregate %s', (written, aggregate) => {
    expect(one('checkpoint_latency', `${written} < 1`).aggregate).toEqual(aggregate);
  });

  it('reads counter (count, rate) and gauge (last, min, max) aggregates', () => {
    expect(one('bytes_received', 'rate > 1000').aggregate).toEqual({ kind: 'rate' });
    expect(one('bytes_received', 'count >= 1').aggregate).toEqual({ kind: 'count' });
    expect(one('open_streams', 'last == 100').aggregate).toEqual({ kind: 'last' });
    expect(one('open_streams', 'min > 90').aggregate).toEqual({ kind: 'min' });
    expect(one('process_rss_bytes', 'max < 1e9')).toMatchObject({ metricKind: 'gauge', value: 1e9 });
  });

  it.each([
    'p(99)<250',
    '  p(99)   <   250  ',
    'p (99) < 250',
    'p( 99 ) < 250',
    '\tp(99)\t<\t250',
    'p(99) < 250.0',
    'p(99) < +250',
    'p(99) < 2.5e2',
  ])('accepts whitespace and number variants: %j', (expression) => {
    expect(one('e2e_latency', expression)).toMatchObject({
      aggregate: { kind: 'p', percentile: 99 },
      operator: '<',
      value: 250,
    });
  });

  it('reads numbers with decimals, leading dots and signs', () => {
    expect(one('open_streams', 'min > -1').value).toBe(-1);
    expect(one('errors', 'rate < .5').value).toBe(0.5);
    expect(one('e2e_latency', 'p(99.5) < 0.75').value).toBe(0.75);
  });

  it('reads tag filters with several tags, spaces and quotes', () => {
    expect(one('errors{ code: "http_429" , transport:ws }', 'count < 10').tags).toEqual({
      code: 'http_429',
      transport: 'ws',
    });
    expect(one("errors{reason:'a:b'}", 'count < 10').tags).toEqual({ reason: 'a:b' });
    expect(one('errors{}', 'count < 10').tags).toEqual({});
  });

  it('accepts metrics of a custom kind table', () => {
    const result = parseThresholds({ loop_delay: ['p(99) < 50'] }, { kinds: { loop_delay: 'trend' } });
    expect(result.ok && result.thresholds[0]?.metricKind).toBe('trend');
  });
});

describe('parseThresholds: every problem, with its path', () => {
  it('reports every problem of the record at once, never some thresholds', () => {
    const result = parseThresholds({
      'e2e_latency{transport:ws}': ['p(99) < 250', 'p99 < 250', 'avg < 100'],
      errors: ['count = 0'],
      'connect_time{transport}': ['max < 1000'],
    });
    expect(problems(result)).toEqual([
      'thresholds["e2e_latency{transport:ws}"][1]: unknown aggregate "p99"; did you mean "p(99)"?',
      'thresholds["errors"][0]: unknown comparison "="; did you mean "=="?',
      'thresholds["connect_time{transport}"]: tag "transport" has no value; write "transport:value"',
    ]);
  });

  it('gives each problem its key and expression index as data too', () => {
    const result = parseThresholds({ 'errors{code}': ['count = 0'] });
    expect(result.ok ? [] : result.problems).toEqual([
      {
        path: 'thresholds["errors{code}"]',
        key: 'errors{code}',
        message: 'tag "code" has no value; write "code:value"',
      },
      {
        path: 'thresholds["errors{code}"][0]',
        key: 'errors{code}',
        index: 0,
        message: 'unknown comparison "="; did you mean "=="?',
      },
    ]);
  });

  it('uses the given path prefix (for scenario phases)', () => {
    const result = parseThresholds({ errors: ['cnt == 0'] }, { path: 'phases[2].thresholds' });
    expect(problems(result)).toEqual([
      'phases[2].thresholds["errors"][0]: unknown aggregate "cnt"; did you mean "count"?',
    ]);
  });

  it.each([
    ['p95 < 300', 'unknown aggregate "p95"; did you mean "p(95)"?'],
    ['p999 < 300', 'unknown aggregate "p999"; did you mean "p(99.9)"?'],
    ['P(99) < 300', 'unknown aggregate "P"; did you mean "p(99)"?'],
    ['percentile(99) < 300', 'unknown aggregate "percentile"; did you mean "p(99)"?'],
    ['p < 300', 'unknown aggregate "p"; did you mean "p(N)", e.g. "p(99)"?'],
    ['mean < 300', 'unknown aggregate "mean"; did you mean "avg"?'],
    ['average < 300', 'unknown aggregate "average"; did you mean "avg"?'],
    ['median < 300', 'unknown aggregate "median"; did you mean "med"?'],
    ['agv < 300', 'unknown aggregate "agv"; did you mean "avg"?'],
    ['mxa < 300', 'unknown aggregate "mxa"; did you mean "max"?'],
    ['foo < 300', 'unknown aggregate "foo"; expected one of avg, min, max, med, count, rate, last, p(N)'],
    ['avg() < 300', '"avg" takes no argument; write "avg"'],
    ['p(101) < 300', 'percentile must be a number from 0 to 100, got 101'],
    ['p(-1) < 300', 'percentile must be a number from 0 to 100, got "-1" in "p(-1)"'],
    ['p(ninety) < 300', 'percentile must be a number from 0 to 100, got "ninety" in "p(ninety)"'],
    ['p(99 < 300', 'missing ")" in "p(99 < 300"'],
    ['p(99) =< 300', 'unknown comparison "=<"; did you mean "<="?'],
    ['p(99) => 300', 'unknown comparison "=>"; did you mean ">="?'],
    ['p(99) === 300', 'unknown comparison "==="; did you mean "=="?'],
    ['p(99) <> 300', 'unknown comparison "<>"; did you mean "!="?'],
    ['p(99) ≤ 300', 'unknown comparison "≤"; did you mean "<="?'],
    ['p(99) << 300', 'unknown comparison "<<"; expected one of <, <=, >, >=, ==, !='],
    ['p(99) 300', 'expected a comparison (<, <=, >, >=, ==, !=) after "p(99)"'],
    ['p(99) <', 'expected a number after "<"'],
    ['p(99) < fast', 'expected a number after "<", got "fast"'],
    [
      'p(99) < 250ms',
      'thresholds compare plain numbers in the metric\'s unit (milliseconds for trends); write 250 instead of "250ms"',
    ],
    [
      'p(99) < 1.5s',
      'thresholds compare plain numbers in the metric\'s unit (milliseconds for trends); write 1500 instead of "1.5s"',
    ],
    [
      'p(99) < 250, p(95) < 200',
      'unexpected ", p(95) < 200" after 250; put each expression in its own list item',
    ],
    ['p(99) < 250 ok', 'unexpected "ok" after 250'],
    ['< 250', 'expected an aggregate (avg, min, max, med, count, rate, last, p(N)) at the start of "< 250"'],
    ['', 'empty expression; expected e.g. "p(99) < 250"'],
    ['   ', 'empty expression; expected e.g. "p(99) < 250"'],
  ])('reports %j', (expression, message) => {
    expect(problems(parseThresholds({ e2e_latency: [expression] }))).toEqual([
      `thresholds["e2e_latency"][0]: ${message}`,
    ]);
  });

  it('reports both an unknown aggregate and an unknown operator in one expression', () => {
    expect(problems(parseThresholds({ e2e_latency: ['p99 = 250'] }))).toEqual([
      'thresholds["e2e_latency"][0]: unknown aggregate "p99"; did you mean "p(99)"?',
      'thresholds["e2e_latency"][0]: unknown comparison "="; did you mean "=="?',
    ]);
  });

  it('reports aggregates the metric kind does not have', () => {
    expect(
      problems(
        parseThresholds({
          e2e_latency: ['rate < 0.01'],
          errors: ['p(99) < 5'],
          open_streams: ['avg > 10'],
          process_rss_bytes: ['p(99) < 1e9'],
        }),
      ),
    ).toEqual([
      'thresholds["e2e_latency"][0]: "rate" is not an aggregate of trend metric "e2e_latency"; use one of avg, min, max, med, p(N), count',
      'thresholds["errors"][0]: "p(99)" is not an aggregate of counter metric "errors"; use one of count, rate',
      'thresholds["open_streams"][0]: "avg" is not an aggregate of gauge metric "open_streams"; use one of last, min, max',
      'thresholds["process_rss_bytes"][0]: "p(99)" is not an aggregate of gauge metric "process_rss_bytes" (metrics not in the kind table are gauges); use one of last, min, max',
    ]);
  });

  it.each([
    ['e2e_latncy', 'unknown metric "e2e_latncy"; did you mean "e2e_latency"?'],
    ['checksum_failure', 'unknown metric "checksum_failure"; did you mean "checksum_failures"?'],
    ['e2e latency', 'invalid metric name "e2e latency"'],
    ['{transport:ws}', 'missing metric name'],
    ['e2e_latency{transport:ws', 'missing "}" after the tag filter'],
    ['e2e_latency{transport:ws}x', 'unexpected "x" after "}"'],
    ['e2e_latency}', 'unexpected "}" without "{"'],
    ['e2e_latency{transport=ws}', 'tag "transport=ws" has no value; write "transport:ws"'],
    ['e2e_latency{transport:ws,}', 'empty tag in the filter (a stray ",")'],
    ['e2e_latency{:ws}', 'tag ":ws" needs both a name and a value'],
    ['e2e_latency{transport:ws,transport:http}', 'tag "transport" appears twice with different values'],
  ])('reports the key %j', (key, message) => {
    const messages = problems(parseThresholds({ [key]: ['max < 1'] }));
    expect(messages).toEqual([`thresholds[${JSON.stringify(key)}]: ${message}`]);
  });

  it('reports lists that are missing, empty or hold non-strings', () => {
    expect(
      problems(
        parseThresholds({ e2e_latency: 'p(99) < 250', errors: [], connect_time: ['max < 1', 250, null] }),
      ),
    ).toEqual([
      'thresholds["e2e_latency"]: expected a non-empty list of expressions, e.g. ["p(99) < 250"]',
      'thresholds["errors"]: expected a non-empty list of expressions, e.g. ["p(99) < 250"]',
      'thresholds["connect_time"][1]: expected an expression string, got number 250',
      'thresholds["connect_time"][2]: expected an expression string, got null',
    ]);
  });

  it('reports a record that is not a map', () => {
    expect(problems(parseThresholds(['p(99) < 1'] as unknown as Record<string, string[]>))).toEqual([
      'thresholds: expected a map of metric → list of expressions',
    ]);
  });

  it('accepts an empty record', () => {
    expect(parseThresholds({})).toEqual({ ok: true, thresholds: [] });
  });
});
