/**
 * Log sequence numbers. Postgres prints an LSN as two upper-case hex halves without padding (`0/16B3748`);
 * that is the form the decoder emits, so values compare equal to what `pg_replication_slots` shows. The
 * service stores LSNs zero-padded (`00000000/016B3748`) so that text order is LSN order: see `normaliseLsn`.
 */

const LSN_PATTERN = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

/** `0/0`: the invalid LSN, which START_REPLICATION reads as "from the slot's confirmed position". */
export const ZERO_LSN = '0/0';

/** Formats the two 32-bit halves the wire protocol carries; used by the decoder on every message. */
export function formatLsn(hi: number, lo: number): string {
  return hi.toString(16).toUpperCase() + '/' + lo.toString(16).toUpperCase();
}

function parse(lsn: string): [number, number] {
  const match = LSN_PATTERN.exec(lsn);
  if (match === null) throw new TypeError(`Invalid LSN: ${JSON.stringify(lsn)}`);
  return [parseInt(match[1] as string, 16), parseInt(match[2] as string, 16)];
}

export function lsnToBigInt(lsn: string): bigint {
  const [hi, lo] = parse(lsn);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Postgres form (`16/B374D848`). */
export function bigIntToLsn(n: bigint): string {
  if (n < 0n || n > 0xffffffffffffffffn) throw new RangeError(`LSN out of range: ${n}`);
  return formatLsn(Number(n >> 32n), Number(n & 0xffffffffn));
}

/** Negative, zero or positive as `a` is before, at or after `b`; accepts padded and unpadded forms. */
export function compareLsn(a: string, b: string): number {
  const [ahi, alo] = parse(a);
  const [bhi, blo] = parse(b);
  return ahi !== bhi ? Math.sign(ahi - bhi) : Math.sign(alo - blo);
}

/** Zero-padded upper-case form (`00000016/B374D848`) whose text order is LSN order. */
export function normaliseLsn(lsn: string): string {
  const [hi, lo] = parse(lsn);
  return (
    hi.toString(16).toUpperCase().padStart(8, '0') + '/' + lo.toString(16).toUpperCase().padStart(8, '0')
  );
}
