/**
 * The fleet's lean inflater against node:zlib as the oracle: every block type, window size and strategy zlib
 * writes, sync-flushed lines as the service sends them, arbitrary chunk splits down to single bytes, several
 * gzip members, and the errors (corrupt data, bad checks, truncation) a client must report.
 */
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { seededRandom as prng } from '../../src/analysis/index.js';
import { bodyDecoderFor, type BodyDecoder } from '../../src/fleet/transport/body-decoder.js';
import { RawInflater } from '../../src/fleet/transport/lean-inflate.js';

/** Sync lines like the service's: JSON with repeated keys, so back-references are many and far. */
function syncLines(random: () => number, count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    JSON.stringify({
      data: {
        bucket: `by_user["u${Math.floor(random() * 50)}"]`,
        data: [
          {
            op_id: String(i + 1),
            op: 'PUT',
            object_type: 'todos',
            object_id: `t${Math.floor(random() * 1e6)}`,
            data: JSON.stringify({ title: 'x'.repeat(Math.floor(random() * 300)), n: random() }),
            checksum: Math.floor(random() * 2 ** 31),
          },
        ],
      },
    }),
  );
}

/** A compressed body as the service writes it: one sync flush per line. */
function flushedBody(lines: string[], options: zlib.ZlibOptions, gzip = true): Promise<Buffer> {
  const stream = gzip ? zlib.createGzip(options) : zlib.createDeflate(options);
  const parts: Buffer[] = [];
  stream.on('data', (part: Buffer) => parts.push(part));
  return (async () => {
    for (const line of lines) {
      stream.write(line + '\n');
      await new Promise<void>((resolve) => stream.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve()));
    }
    await new Promise<void>((resolve) => stream.end(() => resolve()));
    await new Promise<void>((resolve) => (stream.readableEnded ? resolve() : stream.once('end', resolve)));
    return Buffer.concat(parts);
  })();
}

/** Decodes `body` pushed in chunks cut at random points (sizes 1..maxChunk). */
function decodeInChunks(
  encoding: string,
  body: Uint8Array,
  random: () => number,
  maxChunk: number,
): { bytes: Buffer; error?: Error; ended: boolean } {
  const parts: Uint8Array[] = [];
  let error: Error | undefined;
  let ended = false;
  const decoder = bodyDecoderFor(encoding, {
    onData: (bytes) => parts.push(bytes.slice()),
    onError: (e) => (error = e),
  }) as BodyDecoder;
  for (let at = 0; at < body.length && !error;) {
    const size = 1 + Math.floor(random() * maxChunk);
    decoder.push(body.subarray(at, at + size));
    at += size;
  }
  if (!error) decoder.end(() => (ended = true));
  return { bytes: Buffer.concat(parts), error, ended };
}

describe('lean inflater', () => {
  it('decodes what zlib writes, for every level, strategy and window, in any chunking', async () => {
    const random = prng(1);
    const strategies = [
      zlib.constants.Z_DEFAULT_STRATEGY,
      zlib.constants.Z_FILTERED,
      zlib.constants.Z_HUFFMAN_ONLY,
      zlib.constants.Z_RLE,
      zlib.constants.Z_FIXED,
    ];
    let cases = 0;
    for (const level of [0, 1, 6, 9]) {
      for (const strategy of strategies) {
        for (const windowBits of [9, 12, 15]) {
          const lines = syncLines(random, 40);
          const plain = Buffer.from(lines.map((line) => line + '\n').join(''));
          const body = await flushedBody(lines, { level, strategy, windowBits, memLevel: 1 + (cases % 9) });
          for (const maxChunk of [1, 7, 200, 100_000]) {
            const result = decodeInChunks('gzip', body, random, maxChunk);
            expect(result.error).toBeUndefined();
            expect(result.ended).toBe(true);
            expect(result.bytes.equals(plain)).toBe(true);
          }
          cases++;
        }
      }
    }
    expect(cases).toBe(60);
  });

  it('decodes whole bodies (no flushes: long dynamic blocks), random binary and zlib-wrapped deflate', () => {
    const random = prng(2);
    const text = Buffer.from(syncLines(random, 2000).join('\n')); // ~500 KB, windows wrap many times
    const binary = randomBytes(70_000); // stored blocks: zlib gives up on compressing noise
    const mixed = Buffer.concat([binary.subarray(0, 5000), text.subarray(0, 100_000), binary]);
    for (const plain of [text, binary, mixed, Buffer.alloc(0), Buffer.alloc(100_000, 'a')]) {
      for (const [encoding, body] of [
        ['gzip', zlib.gzipSync(plain)],
        ['deflate', zlib.deflateSync(plain)],
      ] as const) {
        const result = decodeInChunks(encoding, body, random, 5000);
        expect(result.error).toBeUndefined();
        expect(result.bytes.equals(plain)).toBe(true);
      }
    }
  });

  it('decodes concatenated gzip members and a header with name, comment, extra field and header CRC', () => {
    const random = prng(3);
    const first = zlib.gzipSync('first member\n');
    const second = zlib.gzipSync('second member\n');
    // A header with every optional field (RFC 1952 §2.3), then the first member's deflate data and trailer.
    const header = Buffer.from([0x1f, 0x8b, 8, 2 | 4 | 8 | 16, 0, 0, 0, 0, 0, 3]);
    const extra = Buffer.from([3, 0, 1, 2, 3]);
    const fields = Buffer.concat([header, extra, Buffer.from('name\0comment\0'), Buffer.from([0, 0])]);
    const full = Buffer.concat([fields, first.subarray(10), second]);
    for (const maxChunk of [1, 3, 1000]) {
      const result = decodeInChunks('gzip', full, random, maxChunk);
      expect(result.error).toBeUndefined();
      expect(result.bytes.toString()).toBe('first member\nsecond member\n');
    }
  });

  it('reports corrupt data, a wrong check, a wrong header and a truncated body, and never throws', () => {
    const random = prng(4);
    const plain = Buffer.from(syncLines(random, 50).join('\n'));
    const body = zlib.gzipSync(plain);
    const wrongCrc = Buffer.from(body);
    wrongCrc[wrongCrc.length - 8]! ^= 1;
    expect(decodeInChunks('gzip', wrongCrc, random, 100).error?.message).toBe('incorrect data check');
    const wrongSize = Buffer.from(body);
    wrongSize[wrongSize.length - 1]! ^= 1;
    expect(decodeInChunks('gzip', wrongSize, random, 100).error?.message).toBe('incorrect length check');
    expect(decodeInChunks('gzip', Buffer.from('not gzip'), random, 100).error?.message).toBe(
      'incorrect header check',
    );
    const truncated = decodeInChunks('gzip', body.subarray(0, body.length - 20), random, 100);
    expect(truncated.error?.message).toBe('unexpected end of file');
    expect(truncated.ended).toBe(false);
    expect(decodeInChunks('deflate', zlib.deflateRawSync(plain), random, 100).error).toBeDefined();

    // Flipped bits anywhere: the decoder reports an error or a failed check, as zlib does, never garbage.
    let reported = 0;
    for (let trial = 0; trial < 300; trial++) {
      const corrupt = Buffer.from(body);
      corrupt[10 + Math.floor(random() * (corrupt.length - 10))]! ^= 1 << Math.floor(random() * 8);
      const result = decodeInChunks('gzip', corrupt, random, 64);
      let zlibFails = false;
      try {
        zlib.gunzipSync(corrupt);
      } catch {
        zlibFails = true;
      }
      expect(result.error !== undefined).toBe(zlibFails);
      if (result.error) reported++;
    }
    expect(reported).toBeGreaterThan(250);
  });

  it('keeps a window of the output so far (rounded up to 256 bytes), at most 32 KB', () => {
    const inflater = new RawInflater();
    const plain = Buffer.from('{"checkpoint_complete":{"last_op_id":"8"}}\n'.repeat(40)); // 1,720 bytes
    const output = inflater.push(zlib.deflateRawSync(plain, { finishFlush: zlib.constants.Z_SYNC_FLUSH }));
    expect(Buffer.from(output).equals(plain)).toBe(true);
    expect(inflater.windowBytes).toBe(1792);
    inflater.push(zlib.deflateRawSync(randomBytes(100_000)).subarray(0, 50_000));
    expect(inflater.windowBytes).toBe(32 * 1024);
  });

  it('decodes Brotli through node:zlib', async () => {
    const plain = Buffer.from(syncLines(prng(5), 20).join('\n'));
    const parts: Uint8Array[] = [];
    const decoder = bodyDecoderFor('br', {
      onData: (b) => parts.push(b),
      onError: (e) => expect(e).toBeUndefined(),
    })!;
    decoder.push(zlib.brotliCompressSync(plain));
    await new Promise<void>((resolve) => decoder.end(resolve));
    expect(Buffer.concat(parts).equals(plain)).toBe(true);
    expect(bodyDecoderFor('identity', { onData: () => undefined, onError: () => undefined })).toBeUndefined();
  });
});
