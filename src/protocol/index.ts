export {
  putChecksum,
  removeChecksum,
  addChecksums,
  toInt32,
  normaliseChecksum,
  sumChecksums,
} from './checksum.js';
export { encodeNdjsonLine, NdjsonDecoder } from './ndjson.js';
export { encodeBsonLine, BsonStreamDecoder, type BsonStreamDecoderOptions } from './bson-stream.js';
export {
  chooseSyncContentType,
  NDJSON_CONTENT_TYPE,
  BSON_STREAM_CONTENT_TYPE,
  type SyncContentType,
} from './sync-content-type.js';
export * from './rsocket/index.js';
export { mintToken, decodeTokenExpiry, type MintTokenOptions, type MintTokenKey } from './token.js';
