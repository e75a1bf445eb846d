/**
 * Decoding of a sync stream's compressed body (Content-Encoding). gzip and deflate (zlib) are decoded by the
 * lean, synchronous inflater (its window grows with the output: an idle client keeps a few KB, not zlib's
 * ~23 KB); br goes through node:zlib's Brotli decoder.
 */
import zlib from 'node:zlib';
import { copyBytes, InflateError, joinBytes, RawInflater } from './lean-inflate.js';

/** Output chunk of the Brotli decoder (Node's default of 16 KB is memory an idle client keeps touched). */
const BROTLI_CHUNK = 4 * 1024;

/** Where a decoder delivers: decoded bytes in order, then either the end or one error. */
export interface BodySink {
  onData(bytes: Uint8Array): void;
  onError(error: Error): void;
}

/** A response body decoder for one Content-Encoding. */
export interface BodyDecoder {
  /** Decodes a chunk of the body; decoded bytes reach the sink (now, or soon for br). */
  push(chunk: Uint8Array): void;
  /** The body is complete: `done` runs once its last bytes have been delivered; a truncated body is an error. */
  end(done: () => void): void;
  destroy(): void;
}

/** A decoder for a response's Content-Encoding; undefined for identity (or an encoding we did not ask for). */
export function bodyDecoderFor(encoding: string | undefined, sink: BodySink): BodyDecoder | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return new WrappedInflateDecoder(GZIP, sink);
    case 'deflate':
      return new WrappedInflateDecoder(ZLIB, sink);
    case 'br':
      return new BrotliDecoder(sink);
    default:
      return undefined;
  }
}

/** A DEFLATE container: its header, its trailer and the check the trailer carries. */
interface ContainerFormat {
  name: string;
  /** The header's length once `bytes` hold all of it, -1 before; throws on a header that is not this format. */
  headerLength(bytes: Uint8Array): number;
  trailerLength: number;
  initialCheck: number;
  updateCheck(check: number, bytes: Uint8Array): number;
  /** Throws when the trailer does not match the decoded bytes. */
  verifyTrailer(trailer: Uint8Array, check: number, size: number): void;
}

const GZIP_FLAGS = { headerCrc: 2, extra: 4, name: 8, comment: 16, reserved: 0xe0 };

/** RFC 1952: magic, method 8, optional extra field, name, comment and header CRC; CRC-32 and size trailer. */
const GZIP: ContainerFormat = {
  name: 'gzip',
  headerLength(bytes) {
    if (bytes.length >= 1 && bytes[0] !== 0x1f) throw new InflateError('incorrect header check');
    if (bytes.length >= 2 && bytes[1] !== 0x8b) throw new InflateError('incorrect header check');
    if (bytes.length >= 3 && bytes[2] !== 8) throw new InflateError('unknown compression method');
    if (bytes.length < 10) return -1;
    const flags = bytes[3]!;
    if (flags & GZIP_FLAGS.reserved) throw new InflateError('reserved gzip flags set');
    let pos = 10;
    if (flags & GZIP_FLAGS.extra) {
      if (bytes.length < pos + 2) return -1;
      pos += 2 + (bytes[pos]! | (bytes[pos + 1]! << 8));
    }
    for (const flag of [GZIP_FLAGS.name, GZIP_FLAGS.comment]) {
      if (!(flags & flag)) continue;
      const zero = bytes.indexOf(0, pos);
      if (zero < 0) return -1;
      pos = zero + 1;
    }
    if (flags & GZIP_FLAGS.headerCrc) pos += 2;
    return bytes.length >= pos ? pos : -1;
  },
  trailerLength: 8,
  initialCheck: 0,
  updateCheck: (check, bytes) => zlib.crc32(bytes, check),
  verifyTrailer(trailer, check, size) {
    const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
    if (view.getUint32(0, true) !== check) throw new InflateError('incorrect data check');
    if (view.getUint32(4, true) !== size % 2 ** 32) throw new InflateError('incorrect length check');
  },
};

/** RFC 1950: CMF/FLG header (no preset dictionary), Adler-32 trailer. */
const ZLIB: ContainerFormat = {
  name: 'deflate',
  headerLength(bytes) {
    if (bytes.length < 2) return -1;
    const [cmf, flg] = [bytes[0]!, bytes[1]!];
    if ((cmf & 0x0f) !== 8 || cmf >> 4 > 7) throw new InflateError('unknown compression method');
    if (((cmf << 8) | flg) % 31 !== 0) throw new InflateError('incorrect header check');
    if (flg & 0x20) throw new InflateError('a preset dictionary is not supported');
    return 2;
  },
  trailerLength: 4,
  initialCheck: 1,
  updateCheck: adler32,
  verifyTrailer(trailer, check) {
    const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
    if (view.getUint32(0, false) !== check) throw new InflateError('incorrect data check');
  },
};

/** Adler-32 (RFC 1950 §8.2), continued from `check`. */
function adler32(check: number, bytes: Uint8Array): number {
  let a = check & 0xffff;
  let b = check >>> 16;
  for (let i = 0; i < bytes.length;) {
    // 5552 bytes is the most that can be summed before b could overflow 2^32 (zlib's NMAX).
    const end = Math.min(i + 5552, bytes.length);
    for (; i < end; i++) {
      a += bytes[i]!;
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A gzip or zlib body: header, DEFLATE data, trailer; further gzip members may follow (RFC 1952 §2.2). */
class WrappedInflateDecoder implements BodyDecoder {
  private stage: 'header' | 'data' | 'trailer' | 'between' = 'header';
  /** Header or trailer bytes gathered so far. */
  private gathered: Uint8Array = new Uint8Array(0);
  private inflater = new RawInflater();
  private check: number;
  private size = 0;
  private failed = false;

  constructor(
    private readonly format: ContainerFormat,
    private readonly sink: BodySink,
  ) {
    this.check = format.initialCheck;
  }

  push(chunk: Uint8Array): void {
    if (this.failed) return;
    try {
      this.decode(chunk);
    } catch (error) {
      this.failed = true;
      this.sink.onError(error as Error);
    }
  }

  end(done: () => void): void {
    if (this.failed) return;
    if (this.stage === 'between') done();
    else {
      this.failed = true;
      this.sink.onError(new InflateError('unexpected end of file'));
    }
  }

  destroy(): void {
    this.failed = true;
  }

  private decode(chunk: Uint8Array): void {
    let input = chunk;
    while (input.length > 0) {
      if (this.stage === 'between') {
        if (this.format !== GZIP)
          throw new InflateError(`unexpected bytes after the ${this.format.name} body`);
        this.stage = 'header';
        this.inflater = new RawInflater();
        this.check = this.format.initialCheck;
        this.size = 0;
      }
      if (this.stage === 'data') {
        const bytes = this.inflater.push(input);
        if (bytes.length > 0) {
          this.check = this.format.updateCheck(this.check, bytes);
          this.size += bytes.length;
          this.sink.onData(bytes);
          if (this.failed) return; // the sink closed the stream
        }
        if (!this.inflater.ended) return;
        input = this.inflater.takeRemainder();
        this.stage = 'trailer';
        continue;
      }
      const header = this.stage === 'header';
      const format = this.format;
      const part = this.gather(input, header ? (b) => format.headerLength(b) : () => format.trailerLength);
      if (!part) return;
      if (!header) this.format.verifyTrailer(part.bytes, this.check, this.size);
      input = part.rest;
      this.stage = header ? 'data' : 'between';
    }
  }

  /**
   * The header or trailer, once the bytes gathered and `input` hold all of it (`lengthOf` gives its length, or
   * -1 while it cannot tell yet), and the input after it; before that, undefined and the bytes kept.
   */
  private gather(
    input: Uint8Array,
    lengthOf: (bytes: Uint8Array) => number,
  ): { bytes: Uint8Array; rest: Uint8Array } | undefined {
    const bytes = joinBytes(this.gathered, input);
    const length = lengthOf(bytes);
    if (length < 0 || bytes.length < length) {
      this.gathered = copyBytes(bytes);
      return undefined;
    }
    this.gathered = new Uint8Array(0);
    return { bytes: bytes.subarray(0, length), rest: bytes.subarray(length) };
  }
}

/** br through node:zlib (asynchronous: decoded bytes arrive after `push` returns). */
class BrotliDecoder implements BodyDecoder {
  private readonly stream = zlib.createBrotliDecompress({ chunkSize: BROTLI_CHUNK });

  constructor(sink: BodySink) {
    this.stream.on('data', (bytes: Buffer) => sink.onData(bytes));
    this.stream.on('error', (error) => sink.onError(error));
  }

  push(chunk: Uint8Array): void {
    this.stream.write(chunk);
  }

  end(done: () => void): void {
    this.stream.once('end', done);
    this.stream.end();
  }

  destroy(): void {
    this.stream.destroy();
  }
}
