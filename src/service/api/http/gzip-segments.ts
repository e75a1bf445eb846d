import type http from 'node:http';
import zlib from 'node:zlib';

/**
 * One-shot compressor settings: a 4 KiB window and small hash tables are plenty for sync lines, and make
 * each segment's short-lived deflate state (~24 KB, freed at once) cheap to set up.
 */
const SEGMENT_OPTIONS: zlib.ZlibOptions = {
  level: 6,
  windowBits: 12,
  memLevel: 5,
  finishFlush: zlib.constants.Z_SYNC_FLUSH,
};

/** gzip header (RFC 1952 §2.3): deflate, no flags, no mtime, OS unix. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03]);
/** A final, empty fixed-Huffman deflate block: ends the deflate data. */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);

/**
 * gzip for a long-lived stream without a compressor per stream. The response is one gzip member whose
 * deflate data is a series of independently compressed segments: the lines written in one turn of the event
 * loop are compressed by a fresh raw deflater and sync-flushed (so the segment ends on a byte boundary, with
 * no final-block bit and no reference to earlier data — a valid continuation of any deflate stream,
 * RFC 1951). Between bursts a stream holds only a running CRC-32 and byte count; a streaming compressor
 * holds ~100–200 KB per stream for its whole life. The end writes a final empty block and the trailer.
 * One member matters: Chromium's decoder stops after the first member of a multi-member body.
 */
export class GzipSegments {
  private pending: Buffer[] = [];
  private scheduled = false;
  private started = false;
  private crc = 0;
  private size = 0;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly onSent: (bytes: number) => void,
  ) {}

  /**
   * Queues bytes for the next segment (compressed now when `now`, else at the end of this event-loop turn);
   * returns false while the response is backpressured (wait for 'drain').
   */
  write(bytes: Buffer, now = false): boolean {
    this.pending.push(bytes);
    if (now) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
    return !this.res.writableNeedDrain;
  }

  /** Compresses what is queued into one segment and writes it (with the header, the first time). */
  flush(): void {
    if (this.pending.length === 0 || this.res.destroyed) return;
    const input = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.pending = [];
    this.crc = zlib.crc32(input, this.crc);
    this.size = (this.size + input.length) >>> 0;
    const segment = compressSegment(input);
    this.send(this.started ? segment : Buffer.concat([GZIP_HEADER, segment]));
    this.started = true;
  }

  /** Writes what is queued, then the final block and the trailer (CRC-32, size mod 2^32). */
  end(): void {
    this.flush();
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(this.crc >>> 0, 0);
    trailer.writeUInt32LE(this.size, 4);
    this.send(Buffer.concat([this.started ? Buffer.alloc(0) : GZIP_HEADER, FINAL_BLOCK, trailer]));
    this.started = true;
  }

  private send(chunk: Buffer): void {
    this.onSent(chunk.length);
    this.res.write(chunk);
  }
}

/**
 * Recently compressed segments by their input. A change to a bucket many streams watch sends the same lines
 * to each of them, and a segment depends on nothing but its input (no window carried over, fixed options),
 * so one compression serves every stream; only the CRC-32 is per stream. Small inputs only, a few entries.
 */
const recentSegments = new Map<string, Buffer>();
const MAX_CACHED_INPUT_BYTES = 16 * 1024;
const MAX_CACHED_SEGMENTS = 32;

function compressSegment(input: Buffer): Buffer {
  if (input.length > MAX_CACHED_INPUT_BYTES) return zlib.deflateRawSync(input, SEGMENT_OPTIONS);
  const key = input.toString('latin1');
  const cached = recentSegments.get(key);
  if (cached) return cached;
  const segment = zlib.deflateRawSync(input, SEGMENT_OPTIONS);
  recentSegments.set(key, segment);
  if (recentSegments.size > MAX_CACHED_SEGMENTS) recentSegments.delete(recentSegments.keys().next().value!);
  return segment;
}
