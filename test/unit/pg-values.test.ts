import { describe, expect, it } from 'vitest';
import {
  arrayToJson,
  pgTextToSqlite,
  rawTextTypes,
  timestamptzToUtc,
} from '../../src/service/replication/pg-values.js';

const OID = {
  bool: 16,
  bytea: 17,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  json: 114,
  float4: 700,
  float8: 701,
  bpchar: 1042,
  varchar: 1043,
  date: 1082,
  time: 1083,
  timestamp: 1114,
  timestamptz: 1184,
  interval: 1186,
  numeric: 1700,
  uuid: 2950,
  jsonb: 3802,
  boolArray: 1000,
  byteaArray: 1001,
  int2Array: 1005,
  int4Array: 1007,
  textArray: 1009,
  int8Array: 1016,
  float8Array: 1022,
  timestamptzArray: 1185,
  numericArray: 1231,
  jsonbArray: 3807,
  enumLike: 16_384,
};

describe('pgTextToSqlite', () => {
  it('maps null to null for every type', () => {
    for (const oid of Object.values(OID)) expect(pgTextToSqlite(oid, null)).toBeNull();
  });

  it('converts integers, keeping int8 beyond 2^53 exact as bigint', () => {
    expect(pgTextToSqlite(OID.int2, '-32768')).toBe(-32768);
    expect(pgTextToSqlite(OID.int4, '2147483647')).toBe(2147483647);
    expect(pgTextToSqlite(OID.oid, '4294967295')).toBe(4294967295);
    expect(pgTextToSqlite(OID.int8, '9007199254740991')).toBe(9007199254740991);
    expect(pgTextToSqlite(OID.int8, '-9007199254740991')).toBe(-9007199254740991);
    expect(pgTextToSqlite(OID.int8, '9007199254740992')).toBe(9007199254740992n);
    expect(pgTextToSqlite(OID.int8, '-9223372036854775808')).toBe(-9223372036854775808n);
  });

  it('converts floats, with NaN and infinities as null', () => {
    expect(pgTextToSqlite(OID.float8, '1.5')).toBe(1.5);
    expect(pgTextToSqlite(OID.float4, '-0.25')).toBe(-0.25);
    expect(pgTextToSqlite(OID.float8, '1e+300')).toBe(1e300);
    expect(pgTextToSqlite(OID.float8, 'NaN')).toBeNull();
    expect(pgTextToSqlite(OID.float8, 'Infinity')).toBeNull();
    expect(pgTextToSqlite(OID.float4, '-Infinity')).toBeNull();
  });

  it('keeps numeric as text and converts booleans to 1/0', () => {
    expect(pgTextToSqlite(OID.numeric, '12345678901234567890.000001')).toBe('12345678901234567890.000001');
    expect(pgTextToSqlite(OID.numeric, 'NaN')).toBe('NaN');
    expect(pgTextToSqlite(OID.bool, 't')).toBe(1);
    expect(pgTextToSqlite(OID.bool, 'f')).toBe(0);
  });

  it('passes text-like, JSON, date and time values through', () => {
    for (const [oid, text] of [
      [OID.text, 'héllo, "world"'],
      [OID.varchar, ''],
      [OID.bpchar, 'ab  '],
      [OID.name, 'pg_class'],
      [OID.uuid, '6ba7b810-9dad-11d1-80b4-00c04fd430c8'],
      [OID.enumLike, 'happy'],
      [OID.json, '{"a": [1, 2]}'],
      [OID.jsonb, '{"a": [1, 2]}'],
      [OID.timestamp, '2024-01-02 03:04:05.123456'],
      [OID.timestamp, 'infinity'],
      [OID.date, '2024-02-29'],
      [OID.time, '23:59:59.5'],
      [OID.interval, '1 day 02:00:00'],
    ] as const) {
      expect(pgTextToSqlite(oid, text)).toBe(text);
    }
  });

  it('drops bytea and bytea arrays', () => {
    expect(pgTextToSqlite(OID.bytea, '\\xdeadbeef')).toBeUndefined();
    expect(pgTextToSqlite(OID.byteaArray, '{"\\\\xdead"}')).toBeUndefined();
  });

  it('converts arrays to JSON text', () => {
    expect(pgTextToSqlite(OID.int4Array, '{1,2,-3}')).toBe('[1,2,-3]');
    expect(pgTextToSqlite(OID.int2Array, '{}')).toBe('[]');
    expect(pgTextToSqlite(OID.int8Array, '{9223372036854775807,NULL}')).toBe('[9223372036854775807,null]');
    expect(pgTextToSqlite(OID.numericArray, '{1.50,NaN}')).toBe('[1.50,null]');
    expect(pgTextToSqlite(OID.float8Array, '{1.5,Infinity,NaN}')).toBe('[1.5,null,null]');
    expect(pgTextToSqlite(OID.boolArray, '{t,f,NULL}')).toBe('[true,false,null]');
    expect(pgTextToSqlite(OID.textArray, '{a,"b c","NULL",NULL,"q\\"uote","back\\\\slash","x,y",""}')).toBe(
      JSON.stringify(['a', 'b c', 'NULL', null, 'q"uote', 'back\\slash', 'x,y', '']),
    );
    expect(pgTextToSqlite(OID.textArray, '{héllo,"{}"}')).toBe('["héllo","{}"]');
    expect(pgTextToSqlite(OID.jsonbArray, '{"{\\"a\\": 1}","[1, 2]",NULL}')).toBe('[{"a": 1},[1, 2],null]');
    expect(pgTextToSqlite(OID.timestamptzArray, '{"2024-01-02 03:04:05+02"}')).toBe(
      '["2024-01-02 01:04:05Z"]',
    );
  });

  it('converts nested arrays and arrays with explicit bounds', () => {
    expect(pgTextToSqlite(OID.int4Array, '{{1,2},{3,4}}')).toBe('[[1,2],[3,4]]');
    expect(pgTextToSqlite(OID.textArray, '{{a,NULL},{"}",b}}')).toBe('[["a",null],["}","b"]]');
    expect(pgTextToSqlite(OID.int4Array, '[0:1]={7,8}')).toBe('[7,8]');
  });

  it('rejects malformed array text', () => {
    expect(() => arrayToJson('{1,2')).toThrow(/Malformed/);
    expect(() => arrayToJson('1,2}')).toThrow(/Malformed/);
    expect(() => arrayToJson('{"open}')).toThrow(/Malformed/);
  });
});

describe('timestamptzToUtc', () => {
  it('normalises UTC offsets to Z', () => {
    expect(timestamptzToUtc('2024-01-02 03:04:05+00')).toBe('2024-01-02 03:04:05Z');
    expect(timestamptzToUtc('2024-01-02 03:04:05.123+00')).toBe('2024-01-02 03:04:05.123Z');
    expect(pgTextToSqlite(OID.timestamptz, '2024-01-02 03:04:05.123456+00')).toBe(
      '2024-01-02 03:04:05.123456Z',
    );
  });

  it('converts other offsets to UTC, across day, month and year boundaries', () => {
    expect(timestamptzToUtc('2024-01-02 03:04:05.5+02')).toBe('2024-01-02 01:04:05.5Z');
    expect(timestamptzToUtc('2024-01-01 01:00:00+05:30')).toBe('2023-12-31 19:30:00Z');
    expect(timestamptzToUtc('2024-02-28 22:00:00-08')).toBe('2024-02-29 06:00:00Z');
    expect(timestamptzToUtc('1883-11-18 12:00:00-04:56:02')).toBe('1883-11-18 16:56:02Z');
    expect(timestamptzToUtc('0050-06-01 00:00:00+01')).toBe('0050-05-31 23:00:00Z');
    expect(timestamptzToUtc('0001-01-01 00:30:00+01')).toBe('0001-12-31 23:30:00Z BC');
    expect(timestamptzToUtc('0044-03-15 12:00:00+00 BC')).toBe('0044-03-15 12:00:00Z BC');
    expect(timestamptzToUtc('10000-01-01 00:00:00-01')).toBe('10000-01-01 01:00:00Z');
  });

  it('leaves infinities as they are', () => {
    expect(timestamptzToUtc('infinity')).toBe('infinity');
    expect(timestamptzToUtc('-infinity')).toBe('-infinity');
  });
});

describe('rawTextTypes', () => {
  it('parses every type as the raw text', () => {
    for (const oid of [16, 20, 23, 114, 1082, 1184, 1007, 3802]) {
      expect(rawTextTypes.getTypeParser(oid)('t')).toBe('t');
    }
  });
});
