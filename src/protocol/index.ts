export {
  putChecksum,
  removeChecksum,
  addChecksums,
  toInt32,
  normaliseChecksum,
  sumChecksums,
} from './checksum.js';
