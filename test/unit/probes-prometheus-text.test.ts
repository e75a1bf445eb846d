import { describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../src/probes/index.js';

describe('Prometheus text parser', () => {
  it('reads HELP, TYPE, comments, labels, timestamps and the examples of the format documentation', () => {
    const text = [
      '# HELP http_requests_total The total number of HTTP requests.',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{method="post",code="400"}    3 1395066363000',
      '',
      '# A normal comment, ignored.',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      '# HELP escaped_help Backslash \\\\ and\\nnewline',
      '# TYPE escaped_help GAUGE',
      'escaped_help 1e-3',
    ].join('\n');
    const { series, families, errors } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect(series).toEqual([
      {
        name: 'http_requests_total',
        labels: { method: 'post', code: '200' },
        value: 1027,
        timestampMs: 1395066363000,
      },
      {
        name: 'http_requests_total',
        labels: { method: 'post', code: '400' },
        value: 3,
        timestampMs: 1395066363000,
      },
      { name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47 },
      {
        name: 'something_weird',
        labels: { problem: 'division by zero' },
        value: Infinity,
        timestampMs: -3982045,
      },
      { name: 'escaped_help', labels: {}, value: 0.001 },
    ]);
    expect(families.get('http_requests_total')).toEqual({
      help: 'The total number of HTTP requests.',
      type: 'counter',
    });
    expect(families.get('escaped_help')).toEqual({ help: 'Backslash \\ and\nnewline', type: 'gauge' });
  });

  it('unescapes \\\\, \\" and \\n in label values, and keeps commas, braces and = inside them', () => {
    const line =
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\"",' +
      'odd="a,b}c=d"} 1.458255915e9';
    const { series, errors } = parsePrometheusText(line);
    expect(errors).toEqual([]);
    expect(series[0]?.labels).toEqual({
      path: 'C:\\DIR\\FILE.TXT',
      error: 'Cannot find file:\n"FILE.TXT"',
      odd: 'a,b}c=d',
    });
    expect(series[0]?.value).toBe(1458255915);
  });

  it('reads NaN, +Inf, -Inf (any case), signed and exponent values', () => {
    const text = ['a NaN', 'b +Inf', 'c -Inf', 'd nan', 'e inf', 'f -1.5E+2', 'g .5', 'h +7'].join('\n');
    const values = parsePrometheusText(text).series.map((s) => s.value);
    expect(values[0]).toBeNaN();
    expect(values.slice(1)).toEqual([Infinity, -Infinity, NaN, Infinity, -150, 0.5, 7]);
  });

  it('reads histogram buckets with le="+Inf", trailing commas, empty braces, tabs and CRLF', () => {
    const text = [
      '# TYPE req_seconds histogram',
      'req_seconds_bucket{le="0.1",} 3',
      'req_seconds_bucket{le="+Inf"}\t5',
      'req_seconds_sum{} 1.25\r',
      'req_seconds_count 5\r',
    ].join('\n');
    const { series, errors } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect(series.map((s) => [s.name, s.labels, s.value])).toEqual([
      ['req_seconds_bucket', { le: '0.1' }, 3],
      ['req_seconds_bucket', { le: '+Inf' }, 5],
      ['req_seconds_sum', {}, 1.25],
      ['req_seconds_count', {}, 5],
    ]);
  });

  it('reads quoted UTF-8 metric and label names', () => {
    const { series, errors } = parsePrometheusText('{"my.metric", "label.with.dots"="x", plain="y"} 2');
    expect(errors).toEqual([]);
    expect(series).toEqual([{ name: 'my.metric', labels: { 'label.with.dots': 'x', plain: 'y' }, value: 2 }]);
  });

  it('reports each malformed line with its number and still reads the good ones', () => {
    const text = [
      'good_one 1',
      'unterminated{a="b 2',
      'unquoted{a=b} 3',
      'no_value',
      'bad_value{a="b"} twelve',
      'hex_value 0x10',
      'too_many 1 2 3',
      'bad_timestamp 1 1.5',
      'duplicate{a="1",a="2"} 1',
      'missing_comma{a="1" b="2"} 1',
      'good_two{x="y"} 2',
    ].join('\n');
    const { series, errors } = parsePrometheusText(text);
    expect(series.map((s) => s.name)).toEqual(['good_one', 'good_two']);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(errors.find((e) => e.line === 9)?.message).toMatch(/duplicate label a/);
    expect(errors.find((e) => e.line === 5)?.message).toMatch(/bad value "twelve"/);
  });
});
