import { describe, expect, it } from 'vitest';
import {
  bucketName,
  lookupKey,
  rowJsonText,
  SyncConfig,
  valueJsonText,
} from '../../src/service/rules/index.js';

describe('output row JSON (the text checksums are computed over)', () => {
  it('writes bigint as bare digits and whole numbers without a fraction', () => {
    expect(rowJsonText({ id: 't1', big: 2n ** 64n, whole: 42.0, neg: -7, real: 1.5, tiny: 1e-7 })).toBe(
      '{"id":"t1","big":18446744073709551616,"whole":42,"neg":-7,"real":1.5,"tiny":1e-7}',
    );
  });

  it('escapes strings like JSON.stringify and keeps non-ASCII text as is', () => {
    const text = 'say "hi" \\ back\nslash\ttab \u0001 é 漢字 😀';
    const json = rowJsonText({ id: 'q', text });
    expect(json).toBe(`{"id":"q","text":${JSON.stringify(text)}}`);
    expect(json).toContain('é 漢字 😀');
    expect(JSON.parse(json)).toEqual({ id: 'q', text });
  });

  it('writes NULL as null, keeps the row order and is deterministic', () => {
    const row = { b: null, a: 'x', id: 1n };
    expect(rowJsonText(row)).toBe('{"b":null,"a":"x","id":1}');
    expect(rowJsonText({ ...row })).toBe(rowJsonText(row));
  });

  it('prints equal integers, reals and bigints alike; non-finite numbers as null', () => {
    expect(valueJsonText(42)).toBe('42');
    expect(valueJsonText(42.0)).toBe('42');
    expect(valueJsonText(42n)).toBe('42');
    expect(valueJsonText(-0)).toBe('0');
    expect(valueJsonText(1e21)).toBe(valueJsonText(10n ** 21n));
    expect(valueJsonText(Number.NaN)).toBe('null');
    expect(valueJsonText(Number.POSITIVE_INFINITY)).toBe('null');
  });

  it('is the data of evaluated rows, with the id as text', () => {
    const config = SyncConfig.parse('bucket_definitions:\n  all:\n    data: [SELECT * FROM items]\n');
    const [row] = config.evaluateRow(
      { schema: 'public', name: 'items' },
      { id: 9007199254740993n, price: 10.0, label: 'a "b"' },
    );
    expect(row).toEqual({
      bucket: 'all[]',
      table: 'items',
      id: '9007199254740993',
      data: '{"id":9007199254740993,"price":10,"label":"a \\"b\\""}',
    });
  });
});

describe('bucket names and lookup keys', () => {
  it('builds prefix + definition + JSON array of parameters', () => {
    expect(bucketName('', 'global', [])).toBe('global[]');
    expect(bucketName('', 'by_user', ['u1'])).toBe('by_user["u1"]');
    expect(bucketName('1#', 'by_org', [42])).toBe('1#by_org[42]');
    expect(bucketName('', 'pair', ['a"b', 2.5])).toBe('pair["a\\"b",2.5]');
  });

  it('canonicalises numbers: 42, 42.0 and 42n give one bucket', () => {
    expect(bucketName('', 'by_org', [42.0])).toBe('by_org[42]');
    expect(bucketName('', 'by_org', [42n])).toBe('by_org[42]');
  });

  it('builds canonical lookup keys', () => {
    expect(lookupKey('by_org', '0', ['u1'])).toBe('["by_org","0",["u1"]]');
    expect(lookupKey('by_org', '0', [5.0])).toBe(lookupKey('by_org', '0', [5n]));
  });
});
