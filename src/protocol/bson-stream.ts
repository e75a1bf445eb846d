import { deserialize, serialize, type DeserializeOptions, type Document } from 'bson';

/**
 * BSON-stream framing of the sync stream (protocol.md §1.3): a plain concatenation of BSON documents, each
 * self-delimited by its leading little-endian int32 total length. Also the data of RSocket PAYLOAD frames.
 */

/**
 * One line as a BSON document. Whole numbers within int32 become int32, other numbers double (so a checksum
 * of 4201080675 is a double); `undefined` fields are dropped (`undefined` array items become null).
 * Throws a TypeError on bigint values: op ids are strings and a bigint would silently become int64.
 */
export function encodeBsonLine(line: object): Buffer {
  assertNoBigInt(line);
  const bytes = serialize(line as Document, { ignoreUndefined: true });
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function assertNoBigInt(value: unknown): void {
  if (typeof value === 'bigint') throw new TypeError('bigint values cannot appear in sync lines');
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return;
  if (Array.isArray(value)) {
    for (const item of value) assertNoBigInt(item);
    return;
  }
  for (const key in value) assertNoBigInt((value as Record<string, unknown>)[key]);
}

/** Smallest possible BSON document: int32 length + terminating NUL. */
const MIN_DOCUMENT_BYTES = 5;

export interface BsonStreamDecoderOptions {
  /** Largest document accepted; a larger length prefix is treated as a corrupt stream. Default 64 MiB. */
  maxDocumentBytes?: number;
  /** Passed to `bson.deserialize`. */
  deserialize?: DeserializeOptions;
}

/**
 * Streaming decoder of concatenated BSON documents: push byte chunks (split anywhere), get back every
 * document completed. Partial documents are kept as a list of chunks and joined once, when complete.
 */
export class BsonStreamDecoder<T = Document> {
  private chunks: Buffer[] = [];
  private length = 0;
  private readonly maxDocumentBytes: number;
  private readonly options: DeserializeOptions | undefined;

  constructor(options: BsonStreamDecoderOptions = {}) {
    this.maxDocumentBytes = options.maxDocumentBytes ?? 64 * 1024 * 1024;
    this.options = options.deserialize;
  }

  /** Decodes every document completed by this chunk. Throws on a corrupt length prefix or document. */
  push(chunk: Uint8Array): T[] {
    if (chunk.byteLength > 0) {
      this.chunks.push(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength),
      );
      this.length += chunk.byteLength;
    }
    const documents: T[] = [];
    while (this.length >= 4) {
      const size = this.peekLength();
      if (size < MIN_DOCUMENT_BYTES || size > this.maxDocumentBytes) {
        throw new RangeError(`Invalid BSON document length ${size} in stream`);
      }
      if (this.length < size) break;
      documents.push(deserialize(this.take(size), this.options) as T);
    }
    return documents;
  }

  /** Bytes of an incomplete document held back; non-zero at the end of a stream means it was truncated. */
  get bufferedBytes(): number {
    return this.length;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= 4) return first.readInt32LE(0);
    return this.join(4).readInt32LE(0);
  }

  /** Merges leading chunks until the first one holds at least `bytes` bytes (`bytes` ≤ this.length). */
  private join(bytes: number): Buffer {
    let first = this.chunks[0]!;
    if (first.length >= bytes) return first;
    let count = 0;
    let total = 0;
    while (total < bytes) total += this.chunks[count++]!.length;
    first = Buffer.concat(this.chunks.slice(0, count), total);
    this.chunks.splice(0, count, first);
    return first;
  }

  private take(bytes: number): Buffer {
    const first = this.join(bytes);
    const taken = first.subarray(0, bytes);
    if (first.length === bytes) this.chunks.shift();
    else this.chunks[0] = first.subarray(bytes);
    this.length -= bytes;
    return taken;
  }
}
