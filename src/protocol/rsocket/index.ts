export { FrameType, FrameFlag, RSocketErrorCode } from './frame-constants.js';
export { FRAME_HEADER_BYTES, MAX_STREAM_ID, MAX_REQUEST_N, MAX_METADATA_BYTES } from './frame-constants.js';
export type {
  RSocketFrame,
  SetupFrame,
  KeepaliveFrame,
  RequestStreamFrame,
  RequestNFrame,
  CancelFrame,
  PayloadFrame,
  ErrorFrame,
  UnsupportedFrame,
} from './frames.js';
export { decodeFrame, RSocketFrameError } from './frame-decoder.js';
export {
  encodeSetup,
  encodeKeepalive,
  encodeRequestStream,
  encodeRequestN,
  encodeCancel,
  encodePayload,
  encodeError,
  type SetupOptions,
  type KeepaliveOptions,
  type RequestStreamOptions,
  type PayloadOptions,
} from './frame-encoder.js';
