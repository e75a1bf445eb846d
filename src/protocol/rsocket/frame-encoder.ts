import {
  FRAME_HEADER_BYTES,
  FrameFlag,
  FrameType,
  MAX_METADATA_BYTES,
  MAX_REQUEST_N,
  MAX_STREAM_ID,
} from './frame-constants.js';

/**
 * RSocket frame encoders, for the service (PAYLOAD, ERROR, KEEPALIVE echo) and the client fleet (SETUP,
 * REQUEST_STREAM, REQUEST_N, KEEPALIVE, CANCEL). Each returns one WebSocket binary message.
 */

const EMPTY = Buffer.alloc(0);

export interface SetupOptions {
  keepaliveMs: number;
  lifetimeMs: number;
  metadataMime: string;
  dataMime: string;
  /** Sent with the METADATA flag when present (even if empty). */
  metadata?: Uint8Array;
  data?: Uint8Array;
  /** Default 1.0. */
  majorVersion?: number;
  minorVersion?: number;
  lease?: boolean;
  /** Sets RESUME_ENABLE and carries the token. */
  resumeToken?: Uint8Array;
}

export interface KeepaliveOptions {
  respond: boolean;
  /** Last received position; default 0. */
  position?: number;
  data?: Uint8Array;
}

export interface RequestStreamOptions {
  streamId: number;
  initialN: number;
  metadata?: Uint8Array;
  data?: Uint8Array;
}

export interface PayloadOptions {
  streamId: number;
  next?: boolean;
  complete?: boolean;
  follows?: boolean;
  metadata?: Uint8Array;
  data?: Uint8Array;
}

function checkUint31(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_STREAM_ID) {
    throw new RangeError(`${what} must be an integer in 0..2^31-1, got ${value}`);
  }
}

function asciiField(value: string, what: string): Buffer {
  const bytes = Buffer.from(value, 'latin1');
  if (bytes.length > 255 || !/^[\x20-\x7e]*$/.test(value))
    throw new RangeError(`${what} must be ≤255 ASCII chars`);
  return bytes;
}

/** Allocates a frame of `bodyBytes` after the header and writes the header. */
function allocFrame(streamId: number, type: number, flags: number, bodyBytes: number): Buffer {
  checkUint31(streamId, 'stream id');
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyBytes);
  frame.writeUInt32BE(streamId, 0);
  frame.writeUInt16BE((type << 10) | flags, 4);
  return frame;
}

function payloadBytes(metadata: Uint8Array | undefined, data: Uint8Array): number {
  if (metadata && metadata.byteLength > MAX_METADATA_BYTES)
    throw new RangeError('Metadata longer than 2^24-1 bytes');
  return (metadata ? 3 + metadata.byteLength : 0) + data.byteLength;
}

/** Writes optional uint24-prefixed metadata then the data at `offset`. */
function writePayload(
  frame: Buffer,
  offset: number,
  metadata: Uint8Array | undefined,
  data: Uint8Array,
): void {
  if (metadata) {
    frame.writeUIntBE(metadata.byteLength, offset, 3);
    frame.set(metadata, offset + 3);
    offset += 3 + metadata.byteLength;
  }
  frame.set(data, offset);
}

/** SETUP (stream 0): version, keepalive, lifetime, [resume token], MIME types, metadata, data. */
export function encodeSetup(options: SetupOptions): Buffer {
  checkUint31(options.keepaliveMs, 'keepalive interval');
  checkUint31(options.lifetimeMs, 'max lifetime');
  const metadataMime = asciiField(options.metadataMime, 'metadata MIME');
  const dataMime = asciiField(options.dataMime, 'data MIME');
  const token = options.resumeToken;
  const data = options.data ?? EMPTY;
  let flags = options.metadata ? FrameFlag.METADATA : 0;
  if (options.lease) flags |= FrameFlag.LEASE;
  if (token) flags |= FrameFlag.RESUME_ENABLE;
  const fixed = 12 + (token ? 2 + token.byteLength : 0) + 2 + metadataMime.length + dataMime.length;
  const frame = allocFrame(0, FrameType.SETUP, flags, fixed + payloadBytes(options.metadata, data));
  let offset = FRAME_HEADER_BYTES;
  offset = frame.writeUInt16BE(options.majorVersion ?? 1, offset);
  offset = frame.writeUInt16BE(options.minorVersion ?? 0, offset);
  offset = frame.writeUInt32BE(options.keepaliveMs, offset);
  offset = frame.writeUInt32BE(options.lifetimeMs, offset);
  if (token) {
    offset = frame.writeUInt16BE(token.byteLength, offset);
    frame.set(token, offset);
    offset += token.byteLength;
  }
  offset = frame.writeUInt8(metadataMime.length, offset);
  offset += metadataMime.copy(frame, offset);
  offset = frame.writeUInt8(dataMime.length, offset);
  offset += dataMime.copy(frame, offset);
  writePayload(frame, offset, options.metadata, data);
  return frame;
}

/** KEEPALIVE (stream 0): uint64 last received position, then data. */
export function encodeKeepalive(options: KeepaliveOptions): Buffer {
  const data = options.data ?? EMPTY;
  const position = options.position ?? 0;
  if (!Number.isSafeInteger(position) || position < 0) throw new RangeError('position must be a safe uint');
  const frame = allocFrame(
    0,
    FrameType.KEEPALIVE,
    options.respond ? FrameFlag.RESPOND : 0,
    8 + data.byteLength,
  );
  frame.writeUInt32BE(Math.floor(position / 2 ** 32), FRAME_HEADER_BYTES);
  frame.writeUInt32BE(position % 2 ** 32, FRAME_HEADER_BYTES + 4);
  frame.set(data, FRAME_HEADER_BYTES + 8);
  return frame;
}

/** REQUEST_STREAM: uint32 initial request N, optional metadata, data. */
export function encodeRequestStream(options: RequestStreamOptions): Buffer {
  checkUint31(options.initialN, 'initial request N');
  const data = options.data ?? EMPTY;
  const flags = options.metadata ? FrameFlag.METADATA : 0;
  const frame = allocFrame(
    options.streamId,
    FrameType.REQUEST_STREAM,
    flags,
    4 + payloadBytes(options.metadata, data),
  );
  frame.writeUInt32BE(options.initialN, FRAME_HEADER_BYTES);
  writePayload(frame, FRAME_HEADER_BYTES + 4, options.metadata, data);
  return frame;
}

/** REQUEST_N: adds `n` (1..2^31-1) to the stream's credit. */
export function encodeRequestN(streamId: number, n: number): Buffer {
  if (!Number.isInteger(n) || n < 1 || n > MAX_REQUEST_N) throw new RangeError(`request N must be 1..2^31-1`);
  const frame = allocFrame(streamId, FrameType.REQUEST_N, 0, 4);
  frame.writeUInt32BE(n, FRAME_HEADER_BYTES);
  return frame;
}

/** CANCEL: header only. */
export function encodeCancel(streamId: number): Buffer {
  return allocFrame(streamId, FrameType.CANCEL, 0, 0);
}

/** PAYLOAD: flags NEXT / COMPLETE / FOLLOWS, optional metadata, data. */
export function encodePayload(options: PayloadOptions): Buffer {
  const data = options.data ?? EMPTY;
  let flags = options.metadata ? FrameFlag.METADATA : 0;
  if (options.next) flags |= FrameFlag.NEXT;
  if (options.complete) flags |= FrameFlag.COMPLETE;
  if (options.follows) flags |= FrameFlag.FOLLOWS;
  const frame = allocFrame(options.streamId, FrameType.PAYLOAD, flags, payloadBytes(options.metadata, data));
  writePayload(frame, FRAME_HEADER_BYTES, options.metadata, data);
  return frame;
}

/** ERROR: uint32 code, UTF-8 message. */
export function encodeError(streamId: number, code: number, message: string): Buffer {
  const text = Buffer.from(message, 'utf8');
  const frame = allocFrame(streamId, FrameType.ERROR, 0, 4 + text.length);
  frame.writeUInt32BE(code >>> 0, FRAME_HEADER_BYTES);
  text.copy(frame, FRAME_HEADER_BYTES + 4);
  return frame;
}
