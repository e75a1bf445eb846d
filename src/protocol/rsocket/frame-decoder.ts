import { FRAME_HEADER_BYTES, FrameFlag, FrameType } from './frame-constants.js';
import type { RSocketFrame } from './frames.js';

/** A frame too short for its declared contents, or otherwise unparseable. */
export class RSocketFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RSocketFrameError';
  }
}

/** Cursor over one frame's bytes; every read checks the bounds. */
class FrameReader {
  offset = FRAME_HEADER_BYTES;
  constructor(readonly bytes: Buffer) {}

  private need(count: number, what: string): void {
    if (this.offset + count > this.bytes.length) throw new RSocketFrameError(`Frame too short for ${what}`);
  }
  uint8(what: string): number {
    this.need(1, what);
    return this.bytes.readUInt8(this.offset++);
  }
  uint16(what: string): number {
    this.need(2, what);
    const value = this.bytes.readUInt16BE(this.offset);
    this.offset += 2;
    return value;
  }
  uint31(what: string): number {
    this.need(4, what);
    const value = this.bytes.readUInt32BE(this.offset) & 0x7fffffff;
    this.offset += 4;
    return value;
  }
  uint64(what: string): number {
    this.need(8, what);
    const value = this.bytes.readUInt32BE(this.offset) * 2 ** 32 + this.bytes.readUInt32BE(this.offset + 4);
    this.offset += 8;
    return value;
  }
  bytesOf(count: number, what: string): Buffer {
    this.need(count, what);
    const slice = this.bytes.subarray(this.offset, this.offset + count);
    this.offset += count;
    return slice;
  }
  ascii(count: number, what: string): string {
    return this.bytesOf(count, what).toString('latin1');
  }
  /** Optional uint24-prefixed metadata (when the METADATA flag is set). */
  metadata(flags: number): Buffer | undefined {
    if ((flags & FrameFlag.METADATA) === 0) return undefined;
    this.need(3, 'metadata length');
    const length = this.bytes.readUIntBE(this.offset, 3);
    this.offset += 3;
    return this.bytesOf(length, 'metadata');
  }
  rest(): Buffer {
    return this.bytes.subarray(this.offset);
  }
}

function toBuffer(message: Uint8Array): Buffer {
  return Buffer.isBuffer(message)
    ? message
    : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
}

/** Decodes one frame (one WebSocket binary message). Throws RSocketFrameError when malformed. */
export function decodeFrame(message: Uint8Array): RSocketFrame {
  const bytes = toBuffer(message);
  if (bytes.length < FRAME_HEADER_BYTES) throw new RSocketFrameError('Frame shorter than its header');
  const streamId = bytes.readUInt32BE(0) & 0x7fffffff;
  const word = bytes.readUInt16BE(4);
  const frameType = word >>> 10;
  const flags = word & 0x3ff;
  const reader = new FrameReader(bytes);
  switch (frameType) {
    case FrameType.SETUP: {
      const majorVersion = reader.uint16('version');
      const minorVersion = reader.uint16('version');
      const keepaliveMs = reader.uint31('keepalive interval');
      const lifetimeMs = reader.uint31('max lifetime');
      const resume = (flags & FrameFlag.RESUME_ENABLE) !== 0;
      const resumeToken = resume
        ? reader.bytesOf(reader.uint16('resume token length'), 'resume token')
        : undefined;
      const metadataMime = reader.ascii(reader.uint8('metadata MIME length'), 'metadata MIME');
      const dataMime = reader.ascii(reader.uint8('data MIME length'), 'data MIME');
      const metadata = reader.metadata(flags);
      const lease = (flags & FrameFlag.LEASE) !== 0;
      return {
        type: FrameType.SETUP,
        streamId,
        flags,
        majorVersion,
        minorVersion,
        keepaliveMs,
        lifetimeMs,
        lease,
        resume,
        resumeToken,
        metadataMime,
        dataMime,
        metadata,
        data: reader.rest(),
      };
    }
    case FrameType.KEEPALIVE: {
      const position = reader.uint64('position');
      const respond = (flags & FrameFlag.RESPOND) !== 0;
      return { type: FrameType.KEEPALIVE, streamId, flags, respond, position, data: reader.rest() };
    }
    case FrameType.REQUEST_STREAM: {
      const initialN = reader.uint31('initial request N');
      const metadata = reader.metadata(flags);
      return { type: FrameType.REQUEST_STREAM, streamId, flags, initialN, metadata, data: reader.rest() };
    }
    case FrameType.REQUEST_N:
      return { type: FrameType.REQUEST_N, streamId, flags, n: reader.uint31('request N') };
    case FrameType.CANCEL:
      return { type: FrameType.CANCEL, streamId, flags };
    case FrameType.PAYLOAD: {
      const metadata = reader.metadata(flags);
      const next = (flags & FrameFlag.NEXT) !== 0;
      const complete = (flags & FrameFlag.COMPLETE) !== 0;
      const follows = (flags & FrameFlag.FOLLOWS) !== 0;
      return {
        type: FrameType.PAYLOAD,
        streamId,
        flags,
        next,
        complete,
        follows,
        metadata,
        data: reader.rest(),
      };
    }
    case FrameType.ERROR: {
      const code = reader.bytesOf(4, 'error code').readUInt32BE(0);
      return { type: FrameType.ERROR, streamId, flags, code, message: reader.rest().toString('utf8') };
    }
    default: {
      const ignore = (flags & FrameFlag.IGNORE) !== 0;
      return { type: 'unsupported', frameType, streamId, flags, ignore, body: reader.rest() };
    }
  }
}
