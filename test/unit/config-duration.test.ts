import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/service/config/index.js';

describe('parseDuration', () => {
  it('parses milliseconds, seconds, minutes and hours', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('0s')).toBe(0);
    expect(parseDuration(' 10s ')).toBe(10_000);
  });

  it.each(['', '30', '5 minutes', '-1s', '1d', 's', '1.s', 'abc', '10S'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(/Invalid duration/);
  });
});
