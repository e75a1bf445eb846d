import { serialize } from 'bson';
import { describe, expect, it } from 'vitest';
import {
  decodeFrame,
  encodeCancel,
  encodeError,
  encodeKeepalive,
  encodePayload,
  encodeRequestN,
  encodeRequestStream,
  encodeSetup,
  FrameFlag,
  FrameType,
  RSocketErrorCode,
  RSocketFrameError,
} from '../../src/protocol/index.js';

const bson = (document: object): Buffer => Buffer.from(serialize(document));

describe('RSocket frames (protocol.md §1.9)', () => {
  it('exports the spec constants', () => {
    expect(FrameType).toMatchObject({ SETUP: 1, KEEPALIVE: 3, REQUEST_STREAM: 6, REQUEST_N: 8, CANCEL: 9 });
    expect(FrameType).toMatchObject({ PAYLOAD: 0x0a, ERROR: 0x0b });
    expect(FrameFlag).toMatchObject({
      IGNORE: 0x200,
      METADATA: 0x100,
      FOLLOWS: 0x80,
      COMPLETE: 0x40,
      NEXT: 0x20,
    });
    expect(FrameFlag).toMatchObject({ RESPOND: 0x80, RESUME_ENABLE: 0x80, LEASE: 0x40 });
    expect(RSocketErrorCode).toEqual({
      INVALID_SETUP: 0x1,
      UNSUPPORTED_SETUP: 0x2,
      REJECTED_SETUP: 0x3,
      REJECTED_RESUME: 0x4,
      CONNECTION_ERROR: 0x101,
      CONNECTION_CLOSE: 0x102,
      APPLICATION_ERROR: 0x201,
      REJECTED: 0x202,
      CANCELED: 0x203,
      INVALID: 0x204,
    });
  });

  it('lays out the SETUP the SDKs send, byte for byte', () => {
    const metadata = bson({ token: 'Token abc' });
    const frame = encodeSetup({
      keepaliveMs: 20_000,
      lifetimeMs: 30_000,
      metadataMime: 'application/bson',
      dataMime: 'application/bson',
      metadata,
    });
    const header = Buffer.from([0, 0, 0, 0, 0x05, 0x00, 0, 1, 0, 0, 0, 0, 0x4e, 0x20, 0, 0, 0x75, 0x30, 16]);
    expect(frame.subarray(0, header.length)).toEqual(header);
    expect(frame.toString('latin1', 19, 35)).toBe('application/bson');
    expect(frame[35]).toBe(16);
    expect(frame.readUIntBE(52, 3)).toBe(metadata.length);
    expect(frame.length).toBe(55 + metadata.length);
  });

  it('round-trips SETUP with and without metadata, data, lease and resume', () => {
    const metadata = bson({ token: 'Bearer x', user_agent: 'loadgen/1' });
    const setup = decodeFrame(
      encodeSetup({
        keepaliveMs: 15_000,
        lifetimeMs: 120_000,
        metadataMime: 'application/json',
        dataMime: 'application/bson',
        metadata,
        data: Buffer.from('d'),
      }),
    );
    expect(setup).toMatchObject({ type: FrameType.SETUP, streamId: 0, flags: FrameFlag.METADATA });
    expect(setup).toMatchObject({
      majorVersion: 1,
      minorVersion: 0,
      keepaliveMs: 15_000,
      lifetimeMs: 120_000,
    });
    expect(setup).toMatchObject({ lease: false, resume: false, resumeToken: undefined });
    expect(setup).toMatchObject({ metadataMime: 'application/json', dataMime: 'application/bson' });
    expect(setup).toMatchObject({ metadata, data: Buffer.from('d') });

    const bare = decodeFrame(
      encodeSetup({ keepaliveMs: 1, lifetimeMs: 2, metadataMime: 'a', dataMime: 'b' }),
    );
    expect(bare).toMatchObject({ flags: 0, metadata: undefined, data: Buffer.alloc(0) });

    const flagged = decodeFrame(
      encodeSetup({
        keepaliveMs: 1,
        lifetimeMs: 2,
        metadataMime: 'a',
        dataMime: 'b',
        lease: true,
        resumeToken: Buffer.from('tok'),
        metadata: Buffer.alloc(0),
        majorVersion: 2,
        minorVersion: 3,
      }),
    );
    expect(flagged).toMatchObject({ lease: true, resume: true, resumeToken: Buffer.from('tok') });
    expect(flagged).toMatchObject({ majorVersion: 2, minorVersion: 3, metadata: Buffer.alloc(0) });
    expect(flagged.flags).toBe(FrameFlag.METADATA | FrameFlag.LEASE | FrameFlag.RESUME_ENABLE);
  });

  it('round-trips KEEPALIVE with RESPOND, position and data', () => {
    const frame = encodeKeepalive({ respond: true, position: 2 ** 40 + 5, data: Buffer.from('ping') });
    expect(frame.readUInt16BE(4)).toBe((0x03 << 10) | 0x80);
    expect(decodeFrame(frame)).toEqual({
      type: FrameType.KEEPALIVE,
      streamId: 0,
      flags: FrameFlag.RESPOND,
      respond: true,
      position: 2 ** 40 + 5,
      data: Buffer.from('ping'),
    });
    expect(decodeFrame(encodeKeepalive({ respond: false }))).toMatchObject({
      respond: false,
      position: 0,
      flags: 0,
    });
  });

  it('round-trips REQUEST_STREAM with and without metadata', () => {
    const metadata = bson({ path: '/sync/stream' });
    const data = bson({ buckets: [], raw_data: true });
    const frame = encodeRequestStream({ streamId: 1, initialN: 10, metadata, data });
    expect(frame.readUInt32BE(0)).toBe(1);
    expect(frame.readUInt16BE(4)).toBe((0x06 << 10) | 0x100);
    expect(decodeFrame(frame)).toEqual({
      type: FrameType.REQUEST_STREAM,
      streamId: 1,
      flags: FrameFlag.METADATA,
      initialN: 10,
      metadata,
      data,
    });
    const bare = decodeFrame(encodeRequestStream({ streamId: 3, initialN: 1, data }));
    expect(bare).toEqual({
      type: FrameType.REQUEST_STREAM,
      streamId: 3,
      flags: 0,
      initialN: 1,
      metadata: undefined,
      data,
    });
  });

  it('round-trips REQUEST_N and CANCEL', () => {
    expect(decodeFrame(encodeRequestN(5, 7))).toEqual({
      type: FrameType.REQUEST_N,
      streamId: 5,
      flags: 0,
      n: 7,
    });
    expect(encodeCancel(9)).toEqual(Buffer.from([0, 0, 0, 9, 0x24, 0]));
    expect(decodeFrame(encodeCancel(9))).toEqual({ type: FrameType.CANCEL, streamId: 9, flags: 0 });
    expect(() => encodeRequestN(1, 0)).toThrow(RangeError);
  });

  it('round-trips PAYLOAD NEXT, COMPLETE, NEXT|COMPLETE, with and without metadata', () => {
    const data = bson({ token_expires_in: 10 });
    const next = decodeFrame(encodePayload({ streamId: 1, next: true, data }));
    expect(next).toEqual({
      type: FrameType.PAYLOAD,
      streamId: 1,
      flags: FrameFlag.NEXT,
      next: true,
      complete: false,
      follows: false,
      metadata: undefined,
      data,
    });
    const complete = encodePayload({ streamId: 1, complete: true });
    expect(complete).toEqual(Buffer.from([0, 0, 0, 1, 0x28, 0x40]));
    expect(decodeFrame(complete)).toMatchObject({ next: false, complete: true, data: Buffer.alloc(0) });
    const both = decodeFrame(
      encodePayload({ streamId: 3, next: true, complete: true, metadata: Buffer.from('m') }),
    );
    expect(both).toMatchObject({
      next: true,
      complete: true,
      metadata: Buffer.from('m'),
      data: Buffer.alloc(0),
    });
    expect(both.flags).toBe(FrameFlag.NEXT | FrameFlag.COMPLETE | FrameFlag.METADATA);
    expect(decodeFrame(encodePayload({ streamId: 3, follows: true }))).toMatchObject({ follows: true });
  });

  it('round-trips ERROR with a UTF-8 message', () => {
    const message = '[PSYNC_S2001] Something went wrong\n  naïve ✓';
    const frame = encodeError(0, RSocketErrorCode.REJECTED_SETUP, message);
    expect(frame.readUInt32BE(6)).toBe(3);
    expect(decodeFrame(frame)).toEqual({ type: FrameType.ERROR, streamId: 0, flags: 0, code: 3, message });
    expect(decodeFrame(encodeError(1, 0x201, ''))).toMatchObject({ streamId: 1, code: 0x201, message: '' });
  });

  it('decodes unknown frame types as unsupported, honouring IGNORE', () => {
    const frame = Buffer.from([0, 0, 0, 0, (0x0c << 2) | 0x02, 0x00, 1, 2]);
    expect(decodeFrame(frame)).toEqual({
      type: 'unsupported',
      frameType: 0x0c,
      streamId: 0,
      flags: FrameFlag.IGNORE,
      ignore: true,
      body: Buffer.from([1, 2]),
    });
  });

  it('throws RSocketFrameError on truncated frames', () => {
    expect(() => decodeFrame(Buffer.from([0, 0, 0]))).toThrow(RSocketFrameError);
    expect(() => decodeFrame(encodeRequestN(1, 1).subarray(0, 8))).toThrow(RSocketFrameError);
    const setup = encodeSetup({
      keepaliveMs: 1,
      lifetimeMs: 2,
      metadataMime: 'a',
      dataMime: 'b',
      metadata: Buffer.from('xyz'),
    });
    expect(() => decodeFrame(setup.subarray(0, setup.length - 1))).toThrow(RSocketFrameError);
    const stream = encodeRequestStream({ streamId: 1, initialN: 1, metadata: Buffer.from('xyz') });
    expect(() => decodeFrame(stream.subarray(0, 12))).toThrow(RSocketFrameError);
  });

  it('accepts a plain Uint8Array and ignores the reserved top bit of the stream id', () => {
    const frame = encodeCancel(5);
    frame[0] = 0x80;
    expect(decodeFrame(new Uint8Array(frame))).toMatchObject({ type: FrameType.CANCEL, streamId: 5 });
  });
});
