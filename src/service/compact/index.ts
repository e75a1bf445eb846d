export { compact } from './compact.js';
export {
  type CompactOptions,
  type CompactResult,
  DEFAULT_COMPACT_LIMITS,
  defaultCompactMemoryLimitMB,
  validateBucketNames,
} from './compact-options.js';
export { BucketScan, TRACKED_ROW_OVERHEAD_BYTES } from './bucket-scan.js';
