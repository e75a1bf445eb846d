import { BSONType, deserialize, serialize } from 'bson';
import { describe, expect, it } from 'vitest';
import { BsonStreamDecoder, encodeBsonLine } from '../../src/protocol/index.js';

/** BSON element type byte of top-level field `key` of a document. */
function elementType(document: Buffer, key: string): number {
  let offset = 4;
  while (document[offset] !== 0) {
    const type = document[offset]!;
    const nameEnd = document.indexOf(0, offset + 1);
    if (document.toString('utf8', offset + 1, nameEnd) === key) return type;
    const value = nameEnd + 1;
    if (type === BSONType.int) offset = value + 4;
    else if (type === BSONType.double || type === BSONType.long) offset = value + 8;
    else if (type === BSONType.string) offset = value + 4 + document.readInt32LE(value);
    else if (type === BSONType.object || type === BSONType.array)
      offset = value + document.readInt32LE(value);
    else if (type === BSONType.null) offset = value;
    else if (type === BSONType.bool) offset = value + 1;
    else throw new Error(`unexpected type ${type}`);
  }
  throw new Error(`no field ${key}`);
}

const lines = [
  { checkpoint_complete: { last_op_id: '12' } },
  {
    data: {
      bucket: 'b',
      after: '0',
      next_after: '11',
      has_more: false,
      data: [{ op_id: '11', op: 'PUT', data: '{"title":"héllo 🌍"}', checksum: 4201080675 }],
    },
  },
  { token_expires_in: 30 },
];

describe('BSON stream framing', () => {
  it('encodes whole numbers within int32 as int32 and larger ones as double', () => {
    const line = { n: { small: 1, min: -(2 ** 31), max: 2 ** 31 - 1, big: 2 ** 31, neg: -(2 ** 31) - 1 } };
    const nested = Buffer.from(serialize(line.n));
    const encoded = encodeBsonLine(line);
    expect(Buffer.compare(encoded.subarray(4 + 1 + 2, encoded.length - 1), nested)).toBe(0);
    expect(elementType(nested, 'small')).toBe(BSONType.int);
    expect(elementType(nested, 'min')).toBe(BSONType.int);
    expect(elementType(nested, 'max')).toBe(BSONType.int);
    expect(elementType(nested, 'big')).toBe(BSONType.double);
    expect(elementType(nested, 'neg')).toBe(BSONType.double);
  });

  it('encodes the checksum 4201080675 as a double and -93886621 as int32', () => {
    const encoded = encodeBsonLine({ checksum: 4201080675, bucket_checksum: -93886621, half: 1.5 });
    expect(elementType(encoded, 'checksum')).toBe(BSONType.double);
    expect(elementType(encoded, 'bucket_checksum')).toBe(BSONType.int);
    expect(elementType(encoded, 'half')).toBe(BSONType.double);
    expect(deserialize(encoded)).toEqual({ checksum: 4201080675, bucket_checksum: -93886621, half: 1.5 });
  });

  it('drops undefined fields, keeps null, and keeps op ids and PUT data as strings', () => {
    const encoded = encodeBsonLine({
      checkpoint_diff: { last_op_id: '13', write_checkpoint: undefined, removed: null },
    });
    const decoded = deserialize(encoded) as { checkpoint_diff: Record<string, unknown> };
    expect(decoded.checkpoint_diff).toEqual({ last_op_id: '13', removed: null });
    expect('write_checkpoint' in decoded.checkpoint_diff).toBe(false);
    expect(deserialize(encodeBsonLine(lines[1]!))).toEqual(lines[1]);
  });

  it('refuses bigint values anywhere in the line', () => {
    expect(() => encodeBsonLine({ data: { data: [{ op_id: 11n }] } })).toThrow(TypeError);
  });

  it('decodes concatenated documents split at every byte offset', () => {
    const stream = Buffer.concat(lines.map((line) => encodeBsonLine(line)));
    for (let split = 0; split <= stream.length; split++) {
      const decoder = new BsonStreamDecoder();
      const out = [...decoder.push(stream.subarray(0, split)), ...decoder.push(stream.subarray(split))];
      expect(out).toEqual(lines);
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('decodes byte by byte (length prefix split too) and reports a truncated tail', () => {
    const stream = Buffer.concat(lines.map((line) => encodeBsonLine(line)));
    const decoder = new BsonStreamDecoder();
    const out: unknown[] = [];
    for (let i = 0; i < stream.length - 3; i++) out.push(...decoder.push(stream.subarray(i, i + 1)));
    expect(out).toEqual(lines.slice(0, 2));
    expect(decoder.bufferedBytes).toBe(encodeBsonLine(lines[2]!).length - 3);
    out.push(...decoder.push(stream.subarray(stream.length - 3)));
    expect(out).toEqual(lines);
  });

  it('rejects an impossible length prefix', () => {
    const decoder = new BsonStreamDecoder({ maxDocumentBytes: 1024 });
    expect(() => decoder.push(Buffer.from([2, 0, 0, 0, 0]))).toThrow(RangeError);
    expect(() => new BsonStreamDecoder({ maxDocumentBytes: 1024 }).push(Buffer.from([0, 8, 0, 0]))).toThrow(
      RangeError,
    );
  });
});
