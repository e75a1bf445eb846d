/**
 * RSocket 1.0 constants used by the sync protocol over WebSocket (protocol.md §1.9). Over WebSocket one
 * binary message carries exactly one frame, without the 24-bit frame-length prefix used on TCP.
 */

/** Frame types (the top 6 bits of the second header word). */
export const FrameType = {
  SETUP: 0x01,
  LEASE: 0x02,
  KEEPALIVE: 0x03,
  REQUEST_RESPONSE: 0x04,
  REQUEST_FNF: 0x05,
  REQUEST_STREAM: 0x06,
  REQUEST_CHANNEL: 0x07,
  REQUEST_N: 0x08,
  CANCEL: 0x09,
  PAYLOAD: 0x0a,
  ERROR: 0x0b,
  METADATA_PUSH: 0x0c,
  RESUME: 0x0d,
  RESUME_OK: 0x0e,
  EXT: 0x3f,
} as const;

/** Flags (the low 10 bits of the second header word); several share a bit and depend on the frame type. */
export const FrameFlag = {
  /** Any frame: the receiver may ignore the frame if it does not understand it. */
  IGNORE: 0x200,
  /** SETUP, REQUEST_*, PAYLOAD: a uint24 metadata length and the metadata precede the data. */
  METADATA: 0x100,
  /** REQUEST_*, PAYLOAD: more fragments follow (never sent by the sync service). */
  FOLLOWS: 0x80,
  /** PAYLOAD: the stream is complete. */
  COMPLETE: 0x40,
  /** PAYLOAD: the frame carries a payload (onNext). */
  NEXT: 0x20,
  /** KEEPALIVE: the receiver must answer with a KEEPALIVE without this flag. */
  RESPOND: 0x80,
  /** SETUP: the client asks for resumability (a resume token follows the lifetime). */
  RESUME_ENABLE: 0x80,
  /** SETUP: the client will honour LEASE frames. */
  LEASE: 0x40,
} as const;

/** ERROR frame codes. Codes below 0x100 are only valid on stream 0 during setup. */
export const RSocketErrorCode = {
  INVALID_SETUP: 0x00000001,
  UNSUPPORTED_SETUP: 0x00000002,
  REJECTED_SETUP: 0x00000003,
  REJECTED_RESUME: 0x00000004,
  CONNECTION_ERROR: 0x00000101,
  CONNECTION_CLOSE: 0x00000102,
  APPLICATION_ERROR: 0x00000201,
  REJECTED: 0x00000202,
  CANCELED: 0x00000203,
  INVALID: 0x00000204,
} as const;

/** Stream id (uint32) + type/flags (uint16). */
export const FRAME_HEADER_BYTES = 6;
/** Stream ids and request-N values are 31-bit. */
export const MAX_STREAM_ID = 0x7fffffff;
export const MAX_REQUEST_N = 0x7fffffff;
/** Metadata lengths are uint24. */
export const MAX_METADATA_BYTES = 0xffffff;
