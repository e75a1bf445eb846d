import type { FrameType } from './frame-constants.js';

/** Decoded RSocket frames. Buffers are views into the received message (no copy). */

interface FrameHeader {
  streamId: number;
  /** The raw 10 flag bits. */
  flags: number;
}

export interface SetupFrame extends FrameHeader {
  type: typeof FrameType.SETUP;
  majorVersion: number;
  minorVersion: number;
  /** Interval at which the client sends KEEPALIVE frames. */
  keepaliveMs: number;
  /** Max lifetime: the connection is dead if no KEEPALIVE arrives within it. */
  lifetimeMs: number;
  /** LEASE flag: the client wants leases (the sync service rejects this). */
  lease: boolean;
  /** RESUME_ENABLE flag: the client wants resumability (the sync service rejects this). */
  resume: boolean;
  resumeToken: Buffer | undefined;
  metadataMime: string;
  dataMime: string;
  metadata: Buffer | undefined;
  data: Buffer;
}

export interface KeepaliveFrame extends FrameHeader {
  type: typeof FrameType.KEEPALIVE;
  respond: boolean;
  /** Last received position (uint64; exact up to 2^53). */
  position: number;
  data: Buffer;
}

export interface RequestStreamFrame extends FrameHeader {
  type: typeof FrameType.REQUEST_STREAM;
  initialN: number;
  metadata: Buffer | undefined;
  data: Buffer;
}

export interface RequestNFrame extends FrameHeader {
  type: typeof FrameType.REQUEST_N;
  n: number;
}

export interface CancelFrame extends FrameHeader {
  type: typeof FrameType.CANCEL;
}

export interface PayloadFrame extends FrameHeader {
  type: typeof FrameType.PAYLOAD;
  next: boolean;
  complete: boolean;
  follows: boolean;
  metadata: Buffer | undefined;
  data: Buffer;
}

export interface ErrorFrame extends FrameHeader {
  type: typeof FrameType.ERROR;
  code: number;
  message: string;
}

/** Any other frame type (LEASE, REQUEST_RESPONSE, METADATA_PUSH, …): header and raw body only. */
export interface UnsupportedFrame extends FrameHeader {
  type: 'unsupported';
  frameType: number;
  /** IGNORE flag: the receiver may silently drop the frame. */
  ignore: boolean;
  body: Buffer;
}

export type RSocketFrame =
  | SetupFrame
  | KeepaliveFrame
  | RequestStreamFrame
  | RequestNFrame
  | CancelFrame
  | PayloadFrame
  | ErrorFrame
  | UnsupportedFrame;
