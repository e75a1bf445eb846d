import type { Random } from './random.js';

/** Size of the random text block payloads are cut from. */
const BLOCK_BYTES = 64 * 1024;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';

/**
 * Payload text of a fixed size in bytes (ASCII, so bytes = characters), cut at random offsets from one
 * random block: as cheap as a slice, and not trivially compressible (a run's gzip figures stay honest).
 */
export class PayloadSource {
  private readonly block: string;

  constructor(
    readonly bytes: number,
    private readonly random: Random,
  ) {
    if (!Number.isSafeInteger(bytes) || bytes < 0) {
      throw new RangeError(`payloadBytes must be an integer ≥ 0, got ${bytes}`);
    }
    const chars: string[] = [];
    for (let i = 0; i < BLOCK_BYTES; i++) chars.push(ALPHABET[random.int(ALPHABET.length)] as string);
    const block = chars.join('');
    this.block = bytes <= BLOCK_BYTES ? block : block.repeat(Math.ceil(bytes / BLOCK_BYTES) + 1);
  }

  next(): string {
    if (this.bytes === 0) return '';
    const offset = this.random.int(Math.min(BLOCK_BYTES, this.block.length - this.bytes + 1));
    return this.block.slice(offset, offset + this.bytes);
  }
}
