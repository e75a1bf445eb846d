import { describe, expect, it } from 'vitest';
import { encodeNdjsonLine, NdjsonDecoder } from '../../src/protocol/index.js';

const lines = [
  {
    checkpoint: { last_op_id: '12', buckets: [{ bucket: 'b', checksum: -93886621, count: 2, priority: 3 }] },
  },
  {
    data: {
      bucket: 'b',
      after: '0',
      next_after: '12',
      has_more: false,
      data: [{ op_id: '11', op: 'PUT', data: '{"id":"t1","title":"héllo 🌍 日本"}', checksum: 4201080675 }],
    },
  },
  { token_expires_in: 3541 },
];

function decodeInChunks(bytes: Buffer, splits: number[]): unknown[] {
  const decoder = new NdjsonDecoder();
  const out: unknown[] = [];
  let start = 0;
  for (const split of [...splits, bytes.length]) {
    out.push(...decoder.push(bytes.subarray(start, split)));
    start = split;
  }
  out.push(...decoder.end());
  expect(decoder.bufferedBytes).toBe(0);
  return out;
}

describe('NDJSON framing', () => {
  it('encodes one JSON object per line, keeping PUT data a JSON string', () => {
    const text = encodeNdjsonLine(lines[1]!);
    expect(text.endsWith('\n')).toBe(true);
    expect(text.indexOf('\n')).toBe(text.length - 1);
    expect(JSON.parse(text)).toEqual(lines[1]);
    expect(text).toContain('"data":"{\\"id\\":\\"t1\\"');
    expect(text).toContain('"checksum":4201080675');
  });

  it('refuses bigint values (op ids are strings)', () => {
    expect(() => encodeNdjsonLine({ data: { op_id: 12n } })).toThrow(TypeError);
  });

  it('decodes lines split at every byte offset, including inside multi-byte UTF-8', () => {
    const bytes = Buffer.from(lines.map((line) => encodeNdjsonLine(line)).join(''), 'utf8');
    for (let split = 0; split <= bytes.length; split++) {
      expect(decodeInChunks(bytes, [split])).toEqual(lines);
    }
  });

  it('decodes byte-by-byte and with two splits', () => {
    const bytes = Buffer.from(lines.map((line) => encodeNdjsonLine(line)).join(''), 'utf8');
    const everyByte = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(decodeInChunks(bytes, everyByte)).toEqual(lines);
    for (let a = 0; a < bytes.length; a += 7) {
      for (let b = a; b < bytes.length; b += 11) expect(decodeInChunks(bytes, [a, b])).toEqual(lines);
    }
  });

  it('returns lines as soon as they are complete, skips blank lines, and parses a final unterminated line', () => {
    const decoder = new NdjsonDecoder();
    expect(decoder.push(Buffer.from('{"a":1}\n\n{"b":'))).toEqual([{ a: 1 }]);
    expect(decoder.bufferedBytes).toBe(5);
    expect(decoder.push(Buffer.from('2}\r\n{"c":3}'))).toEqual([{ b: 2 }]);
    expect(decoder.end()).toEqual([{ c: 3 }]);
  });

  it('accepts Uint8Array chunks and throws on a malformed line', () => {
    const decoder = new NdjsonDecoder();
    expect(decoder.push(new TextEncoder().encode('{"ü":"ß"}\n'))).toEqual([{ ü: 'ß' }]);
    expect(() => decoder.push(Buffer.from('{nope}\n'))).toThrow(SyntaxError);
  });
});
