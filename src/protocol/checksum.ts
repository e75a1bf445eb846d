import { hash } from 'node:crypto';

/**
 * Checksum arithmetic of the sync protocol (protocol.md §1.7). Op checksums are uint32; bucket checksums are
 * wrapping sums modulo 2^32. The service emits bucket checksums as signed int32, op checksums as uint32;
 * clients normalise both.
 */

/** First 4 bytes, little-endian uint32, of SHA-256 over the UTF-8 text. */
function hash32(text: string): number {
  // One-shot digest: creating a Hash object per op costs more than hashing the op.
  return hash('sha256', text, 'buffer').readUInt32LE(0);
}

/** Checksum of a PUT: `put.<object_type>.<object_id>.<data>` with data exactly as sent to clients. */
export function putChecksum(objectType: string, objectId: string, data: string): number {
  return hash32(`put.${objectType}.${objectId}.${data}`);
}

/** Checksum of a REMOVE: `delete.<subkey>`. */
export function removeChecksum(subkey: string): number {
  return hash32(`delete.${subkey}`);
}

/** Wrapping addition modulo 2^32, result as uint32. */
export function addChecksums(a: number, b: number): number {
  return (a + b) >>> 0;
}

/** The uint32 value as the signed int32 the service puts in checkpoint lines. */
export function toInt32(checksum: number): number {
  return checksum | 0;
}

/** Any JSON/BSON representation a server may send (u32, i32, i64, whole double) as uint32. */
export function normaliseChecksum(value: number | bigint): number {
  if (typeof value === 'bigint') return Number(BigInt.asUintN(32, value));
  return Number(BigInt.asUintN(32, BigInt(Math.trunc(value))));
}

/** Wrapping sum of many checksums, as uint32. */
export function sumChecksums(values: Iterable<number>): number {
  let sum = 0;
  for (const value of values) sum = (sum + value) >>> 0;
  return sum;
}
