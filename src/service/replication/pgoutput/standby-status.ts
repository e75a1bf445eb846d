import { PG_EPOCH_MS } from './types.js';

/**
 * Standby status update ('r'): written, flushed and applied positions all set to `lsn`, the client clock in
 * microseconds since 2000-01-01, and whether the server should reply at once. For a logical slot the flushed
 * position becomes `confirmed_flush_lsn`; a position of 0 (0/0) confirms nothing but still resets wal_sender_timeout.
 */
export function encodeStandbyStatus(position: bigint, replyRequested: boolean): Buffer {
  const message = Buffer.allocUnsafe(34);
  message[0] = 0x72; // r
  message.writeBigUInt64BE(position, 1);
  message.writeBigUInt64BE(position, 9);
  message.writeBigUInt64BE(position, 17);
  message.writeBigInt64BE(BigInt(Date.now() - PG_EPOCH_MS) * 1000n, 25);
  message[33] = replyRequested ? 1 : 0;
  return message;
}
