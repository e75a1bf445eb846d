/**
 * A streaming DEFLATE decoder (RFC 1951) whose history window grows with the output.
 *
 * Why not node:zlib: an inflate stream there holds zlib's ~7 KB state, a 32 KB window, an output buffer and a
 * Transform stream per client, about 23 KB of RSS per idle gzip client in the fleet (bench:fleet). A sync
 * stream's body is small lines, each sync-flushed by the server, so most clients have received a few KB in
 * all: a back-reference can never reach further back than that, so the window here holds the output so far
 * (grown by half when it must, at most 32 KB). Decoded bytes go to one shared scratch buffer and are copied
 * into the window once per push. pako and fflate both keep a full 32 KB window per stream,
 * and fflate allocates ≥ 128 KB per pushed chunk.
 *
 * The decoder is synchronous and resumable at any byte: input that ends inside a symbol is kept and decoded
 * with the next chunk; a block's Huffman tables are kept only while the block is open (a sync flush closes it).
 */

/** The largest back-reference distance DEFLATE allows. */
const MAX_WINDOW = 32 * 1024;
/** Window positions are the output position modulo 32 KB (below 32 KB the window has not wrapped yet). */
const RING_MASK = MAX_WINDOW - 1;

// RFC 1951 §3.2.5: base lengths and distances with their extra bits, and §3.2.7's code length order.
// prettier-ignore
const LENGTH_BASE = Uint16Array.of(
  3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
  258,
);
// prettier-ignore
const LENGTH_EXTRA = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0);
// prettier-ignore
const DIST_BASE = Uint16Array.of(
  1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
  6145, 8193, 12289, 16385, 24577,
);
// prettier-ignore
const DIST_EXTRA = Uint8Array.of(
  0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
);
const CODE_LENGTH_ORDER = Uint8Array.of(16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15);

/** Bits of a table's direct lookup: longer codes (rare symbols) are decoded bit by bit (RFC 1951 §3.2.2). */
const ROOT_BITS = 9;

/**
 * A Huffman decoding table. `entries[next rootBits bits, LSB first]` = symbol << 4 | length for codes of at
 * most `rootBits` bits, 0 otherwise; longer codes are found from `counts` (codes per length) and `symbols`
 * (in canonical order). A table of 2^maxBits entries would cost up to 64 KB to build for each dynamic block,
 * and the fleet decodes one small block per change per client.
 */
interface HuffmanTable {
  entries: Uint16Array;
  rootBits: number;
  maxBits: number;
  counts: Uint16Array;
  symbols: Uint16Array;
}

/** A malformed compressed body. */
export class InflateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InflateError';
  }
}

/** A table able to hold any code of up to `symbols` symbols (built in place by `buildTable`). */
function emptyTable(symbols: number): HuffmanTable {
  return {
    entries: new Uint16Array(1 << ROOT_BITS),
    rootBits: 0,
    maxBits: 0,
    counts: new Uint16Array(16),
    symbols: new Uint16Array(symbols),
  };
}

/** Working space of `buildTable` (decoding is synchronous: one build at a time). */
const nextCode = new Uint16Array(16);
const offsets = new Uint16Array(16);

/**
 * Builds into `table` the decoding table of a canonical Huffman code from the code lengths
 * `lengths[from, from + count)` (RFC 1951 §3.2.2), and returns it.
 */
function buildTable(table: HuffmanTable, lengths: Uint8Array, from: number, count: number): HuffmanTable {
  const counts = table.counts.fill(0);
  let maxBits = 0;
  for (let i = from; i < from + count; i++) {
    const length = lengths[i]!;
    counts[length]!++;
    if (length > maxBits) maxBits = length;
  }
  counts[0] = 0;
  let code = 0;
  let left = 1;
  for (let bits = 1; bits <= 15; bits++) {
    left = (left << 1) - counts[bits]!;
    if (left < 0) throw new InflateError('invalid Huffman code: over-subscribed');
    code = (code + counts[bits - 1]!) << 1;
    nextCode[bits] = code;
    offsets[bits] = offsets[bits - 1]! + counts[bits - 1]!;
  }
  // Incomplete codes are legal (a single distance code); their missing entries stay 0 and fail when met.
  const rootBits = Math.min(maxBits, ROOT_BITS);
  const size = 1 << rootBits;
  const { entries, symbols } = table;
  entries.fill(0, 0, size);
  for (let symbol = 0; symbol < count; symbol++) {
    const length = lengths[from + symbol]!;
    if (length === 0) continue;
    symbols[offsets[length]!++] = symbol;
    const codeOfSymbol = nextCode[length]!++;
    if (length > rootBits) continue;
    let reversed = 0;
    for (let c = codeOfSymbol, i = 0; i < length; i++, c >>= 1) reversed = (reversed << 1) | (c & 1);
    const entry = (symbol << 4) | length;
    for (let index = reversed; index < size; index += 1 << length) entries[index] = entry;
  }
  table.rootBits = rootBits;
  table.maxBits = maxBits;
  return table;
}

/** A table of its own for a stream whose block stays open after its push (the shared ones are rebuilt). */
function copyTable(table: HuffmanTable): HuffmanTable {
  return {
    entries: table.entries.slice(),
    rootBits: table.rootBits,
    maxBits: table.maxBits,
    counts: table.counts.slice(),
    symbols: table.symbols.slice(),
  };
}

const FIXED_LENGTHS = Uint8Array.from({ length: 288 + 30 }, (_, symbol) =>
  symbol < 144 ? 8 : symbol < 256 ? 9 : symbol < 280 ? 7 : symbol < 288 ? 8 : 5,
);
const FIXED_LITERALS = buildTable(emptyTable(288), FIXED_LENGTHS, 0, 288);
const FIXED_DISTANCES = buildTable(emptyTable(30), FIXED_LENGTHS, 288, 30);

/**
 * The tables of the dynamic block being decoded, shared by every stream: a dynamic block's tables are built
 * here, and copied only when the block is still open at the end of its push (input that ended mid-block).
 * Building 2–3 tables per small block into fresh arrays was half of the fleet's decoding time.
 */
const SHARED = {
  codeLengthLengths: new Uint8Array(19),
  codeLengths: emptyTable(19),
  lengths: new Uint8Array(286 + 30),
  literals: emptyTable(288),
  distances: emptyTable(32),
};

/**
 * The next code at bit `pos`: its symbol << 4 | length; 0 when the bits are no code of the table; -1 when the
 * input ends before the code does.
 */
function decodeSymbol(table: HuffmanTable, data: Uint8Array, pos: number, endBits: number): number {
  const entry = table.entries[bitsAt(data, pos, table.rootBits)]!;
  if (entry !== 0) return pos + (entry & 15) > endBits ? -1 : entry;
  if (table.maxBits <= table.rootBits) return pos + table.rootBits > endBits ? -1 : 0;
  // A code longer than the direct lookup: canonical decoding, one bit at a time (codes are sent MSB first).
  let code = 0;
  let first = 0;
  let index = 0;
  for (let length = 1; length <= table.maxBits; length++) {
    if (pos + length > endBits) return -1;
    code |= bitsAt(data, pos + length - 1, 1);
    const count = table.counts[length]!;
    if (code - first < count) return (table.symbols[index + code - first]! << 4) | length;
    index += count;
    first = (first + count) << 1;
    code <<= 1;
  }
  return 0;
}

/** Decoded bytes of one push are gathered here, then copied out once (decoding is synchronous). */
let scratch = new Uint8Array(64 * 1024);

/** `n` bits (n ≤ 16) at bit position `pos`, LSB first; bytes past the end read as 0 (callers check the end). */
function bitsAt(data: Uint8Array, pos: number, n: number): number {
  const at = pos >> 3;
  return ((data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16)) >>> (pos & 7)) & ((1 << n) - 1);
}

/**
 * A raw DEFLATE stream decoder. `push` returns the bytes decoded from what has arrived so far; after the final
 * block, `ended` is true and `takeRemainder` gives the bytes that followed it (a gzip or zlib trailer).
 */
export class RawInflater {
  /** The history window: the output so far, grown with it up to 32 KB, then a ring of the last 32 KB. */
  private window = new Uint8Array(0);
  /** Bytes decoded by earlier pushes (back-references cannot reach before the start). */
  private total = 0;
  /** Input not yet decoded, starting `bitOffset` bits into its first byte. */
  private pending: Uint8Array | undefined;
  private bitOffset = 0;
  /** Inside a stored block: bytes of it still to copy; inside a Huffman block: its tables. */
  private storedLeft = -1;
  private literals: HuffmanTable | undefined;
  private distances: HuffmanTable | undefined;
  private finalBlock = false;
  private done = false;

  /** True once the final block has been decoded. */
  get ended(): boolean {
    return this.done;
  }

  /** Bytes the window holds now (for tests and memory accounting). */
  get windowBytes(): number {
    return this.window.length;
  }

  /** The input that followed the final block, from the next byte boundary. */
  takeRemainder(): Uint8Array {
    const rest = this.pending ?? new Uint8Array(0);
    this.pending = undefined;
    return this.bitOffset === 0 ? rest : rest.subarray(1);
  }

  push(chunk: Uint8Array): Uint8Array {
    const data = this.pending ? joinBytes(this.pending, chunk) : chunk;
    const endBits = data.length * 8;
    let pos = this.bitOffset;
    let out = 0;

    while (!this.done) {
      if (this.storedLeft < 0 && !this.literals) {
        // A block header (3 bits; a dynamic block's tables follow and are read whole or not at all).
        if (pos + 3 > endBits) break;
        const header = bitsAt(data, pos, 3);
        const type = header >> 1;
        if (type === 0) {
          const start = ((pos + 3 + 7) >> 3) + 4;
          if (start > data.length) break;
          const length = data[start - 4]! | (data[start - 3]! << 8);
          const check = data[start - 2]! | (data[start - 1]! << 8);
          if ((length ^ 0xffff) !== check) throw new InflateError('invalid stored block length');
          this.finalBlock = (header & 1) === 1;
          this.storedLeft = length;
          pos = start * 8;
        } else if (type === 1) {
          this.finalBlock = (header & 1) === 1;
          this.literals = FIXED_LITERALS;
          this.distances = FIXED_DISTANCES;
          pos += 3;
        } else if (type === 2) {
          const after = readDynamicTables(data, pos + 3, endBits);
          if (after < 0) break;
          this.finalBlock = (header & 1) === 1;
          this.literals = SHARED.literals;
          this.distances = SHARED.distances;
          pos = after;
        } else throw new InflateError('invalid block type');
      }

      if (this.storedLeft >= 0) {
        const available = Math.min(this.storedLeft, data.length - (pos >> 3));
        out = this.emitBytes(data.subarray(pos >> 3, (pos >> 3) + available), out);
        pos += available * 8;
        this.storedLeft -= available;
        if (this.storedLeft > 0) break;
        this.storedLeft = -1;
      } else {
        const result = this.decodeSymbols(data, pos, endBits, out);
        pos = result.pos;
        out = result.out;
        if (this.literals) break; // input ran out inside the block
      }
      if (this.finalBlock) this.done = true;
    }

    if (this.literals === SHARED.literals) this.literals = copyTable(SHARED.literals);
    if (this.distances === SHARED.distances) this.distances = copyTable(SHARED.distances);
    this.remember(out);
    const consumed = pos >> 3;
    this.bitOffset = pos & 7;
    this.pending = consumed < data.length ? copyBytes(data.subarray(consumed)) : undefined;
    return scratch.slice(0, out);
  }

  /** Decodes literal/length symbols until the block ends or the input runs out. */
  private decodeSymbols(
    data: Uint8Array,
    start: number,
    endBits: number,
    startOut: number,
  ): { pos: number; out: number } {
    const literals = this.literals!;
    const distances = this.distances!;
    let pos = start;
    let out = startOut;
    for (;;) {
      const symbolStart = pos;
      const entry = decodeSymbol(literals, data, pos, endBits);
      if (entry < 0) return { pos: symbolStart, out };
      if (entry === 0) throw new InflateError('invalid literal/length code');
      pos += entry & 15;
      const symbol = entry >> 4;
      if (symbol < 256) {
        out = this.emitByte(symbol, out);
        continue;
      }
      if (symbol === 256) {
        this.literals = undefined;
        this.distances = undefined;
        return { pos, out };
      }
      const lengthIndex = symbol - 257;
      if (lengthIndex >= 29) throw new InflateError('invalid literal/length code');
      const lengthExtra = LENGTH_EXTRA[lengthIndex]!;
      const length = LENGTH_BASE[lengthIndex]! + bitsAt(data, pos, lengthExtra);
      pos += lengthExtra;
      const distanceEntry = decodeSymbol(distances, data, pos, endBits);
      if (distanceEntry < 0) return { pos: symbolStart, out };
      pos += distanceEntry & 15;
      const distanceSymbol = distanceEntry >> 4;
      if (distanceEntry === 0 || distanceSymbol >= 30) throw new InflateError('invalid distance code');
      const distanceExtra = DIST_EXTRA[distanceSymbol]!;
      const distance = DIST_BASE[distanceSymbol]! + bitsAt(data, pos, distanceExtra);
      pos += distanceExtra;
      if (pos > endBits) return { pos: symbolStart, out };
      if (distance > this.total + out) throw new InflateError('invalid distance: too far back');
      out = this.emitCopy(distance, length, out);
    }
  }

  private ensureScratch(out: number, more: number): void {
    if (out + more <= scratch.length) return;
    const grown = new Uint8Array(Math.max(scratch.length * 2, out + more));
    grown.set(scratch.subarray(0, out));
    scratch = grown;
  }

  private emitByte(byte: number, out: number): number {
    if (out >= scratch.length) this.ensureScratch(out, 1);
    scratch[out] = byte;
    return out + 1;
  }

  private emitBytes(bytes: Uint8Array, out: number): number {
    this.ensureScratch(out, bytes.length);
    scratch.set(bytes, out);
    return out + bytes.length;
  }

  /** Copies `length` bytes from `distance` back: from the window for history before this push, else from scratch. */
  private emitCopy(distance: number, length: number, out: number): number {
    this.ensureScratch(out, length);
    let from = this.total + out - distance; // a position in the whole output
    let to = out;
    const end = out + length;
    for (const window = this.window; from < this.total && to < end; from++, to++)
      scratch[to] = window[from & RING_MASK]!;
    for (let at = from - this.total; to < end;) scratch[to++] = scratch[at++]!;
    return end;
  }

  /**
   * Appends this push's `count` decoded bytes to the window. Below 32 KB the window holds the whole output
   * unwrapped and grows by half (rounded to 256 bytes) when it must; at 32 KB it is a ring.
   */
  private remember(count: number): void {
    const total = this.total + count;
    let window = this.window;
    if (window.length < MAX_WINDOW && total > window.length) {
      const grown = Math.min(MAX_WINDOW, Math.ceil(Math.max(total, window.length * 1.5) / 256) * 256);
      window = new Uint8Array(grown);
      window.set(this.window); // unwrapped: history at [0, this.total)
      this.window = window;
    }
    const kept = Math.min(count, MAX_WINDOW);
    let position = (total - kept) & RING_MASK;
    let from = count - kept;
    while (from < count) {
      const run = Math.min(count - from, MAX_WINDOW - position);
      window.set(scratch.subarray(from, from + run), position);
      from += run;
      position = 0;
    }
    this.total = total;
  }
}

/**
 * Reads a dynamic block's code length code and both tables starting at `start` (RFC 1951 §3.2.7) into
 * SHARED.literals and SHARED.distances; returns the bit position after them, or -1 when the input ends
 * before they do (the block header is then read again with more input).
 */
function readDynamicTables(data: Uint8Array, start: number, endBits: number): number {
  let pos = start;
  if (pos + 14 > endBits) return -1;
  const literalCount = bitsAt(data, pos, 5) + 257;
  const distanceCount = bitsAt(data, pos + 5, 5) + 1;
  const codeLengthCount = bitsAt(data, pos + 10, 4) + 4;
  pos += 14;
  if (literalCount > 286 || distanceCount > 30) throw new InflateError('too many length or distance symbols');
  if (pos + codeLengthCount * 3 > endBits) return -1;
  const codeLengthLengths = SHARED.codeLengthLengths.fill(0);
  for (let i = 0; i < codeLengthCount; i++)
    codeLengthLengths[CODE_LENGTH_ORDER[i]!] = bitsAt(data, pos + i * 3, 3);
  pos += codeLengthCount * 3;
  const codeLengths = buildTable(SHARED.codeLengths, codeLengthLengths, 0, 19);
  const lengths = SHARED.lengths;
  const total = literalCount + distanceCount;
  for (let i = 0; i < total;) {
    const entry = decodeSymbol(codeLengths, data, pos, endBits);
    if (entry < 0) return -1;
    if (entry === 0) throw new InflateError('invalid code length code');
    pos += entry & 15;
    const symbol = entry >> 4;
    if (symbol < 16) {
      lengths[i++] = symbol;
      continue;
    }
    let repeat: number;
    let value = 0;
    if (symbol === 16) {
      if (i === 0) throw new InflateError('repeat with no previous code length');
      value = lengths[i - 1]!;
      repeat = 3 + bitsAt(data, pos, 2);
      pos += 2;
    } else if (symbol === 17) {
      repeat = 3 + bitsAt(data, pos, 3);
      pos += 3;
    } else {
      repeat = 11 + bitsAt(data, pos, 7);
      pos += 7;
    }
    if (pos > endBits) return -1;
    if (i + repeat > total) throw new InflateError('code lengths overflow the tables');
    lengths.fill(value, i, i + repeat);
    i += repeat;
  }
  if (lengths[256] === 0) throw new InflateError('no end-of-block code');
  buildTable(SHARED.literals, lengths, 0, literalCount);
  buildTable(SHARED.distances, lengths, literalCount, distanceCount);
  return pos;
}

/** `a` then `b` in one array (`b` itself when `a` is empty). */
export function joinBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length === 0) return b;
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}

/**
 * A copy of `bytes` to keep: input arrives as Buffers, whose `slice` is a view that would keep the socket's
 * whole chunk alive.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
