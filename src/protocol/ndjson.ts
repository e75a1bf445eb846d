/**
 * NDJSON framing of the sync stream (protocol.md §1.3): one JSON object per line, terminated by `\n`.
 */

/** One line of the stream: `JSON.stringify(line) + '\n'`. Throws a TypeError on bigint values (op ids are strings). */
export function encodeNdjsonLine(line: object): string {
  return JSON.stringify(line) + '\n';
}

const NEWLINE = 0x0a;

/**
 * Streaming NDJSON decoder: push byte chunks as they arrive, get back every complete line parsed. Lines are
 * split on the `\n` byte before UTF-8 decoding, so multi-byte characters split across chunks are safe (the
 * byte 0x0A never occurs inside a multi-byte sequence). Blank lines are skipped.
 */
export class NdjsonDecoder<T = unknown> {
  private pending: Buffer[] = [];

  /** Parses every line completed by this chunk. Throws a SyntaxError on a malformed line. */
  push(chunk: Uint8Array): T[] {
    const bytes = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: T[] = [];
    let start = 0;
    let end = bytes.indexOf(NEWLINE, start);
    while (end !== -1) {
      let line = bytes.subarray(start, end);
      if (this.pending.length > 0) {
        this.pending.push(line);
        line = Buffer.concat(this.pending);
        this.pending = [];
      }
      this.parseInto(line, lines);
      start = end + 1;
      end = bytes.indexOf(NEWLINE, start);
    }
    if (start < bytes.length) this.pending.push(bytes.subarray(start));
    return lines;
  }

  /** Parses a final line that had no trailing `\n` (if any) and resets the decoder. */
  end(): T[] {
    const lines: T[] = [];
    if (this.pending.length > 0) this.parseInto(Buffer.concat(this.pending), lines);
    this.pending = [];
    return lines;
  }

  /** Bytes of an incomplete line held back. */
  get bufferedBytes(): number {
    let total = 0;
    for (const part of this.pending) total += part.length;
    return total;
  }

  private parseInto(line: Buffer, out: T[]): void {
    const text = line.toString('utf8');
    if (text.trim() === '') return;
    out.push(JSON.parse(text) as T);
  }
}
