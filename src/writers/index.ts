export {
  constant,
  ramp,
  RateShape,
  steps,
  type RateSegment,
  type RateShapeKind,
  type RateStep,
} from './rate-shape.js';
export {
  arrivalSchedule,
  scheduleLength,
  type ArrivalProcess,
  type ScheduleOptions,
} from './arrival-schedule.js';
export { createChooser, uniform, zipf, type IndexChooser, type KeyChoice } from './key-choice.js';
export { KeySpace, type KeySpaceOptions, type TouchedKeys } from './key-space.js';
export { createRandom, type Random } from './random.js';
export { LogHistogram, type LatencyStats } from './log-histogram.js';
export type { OperationMix } from './transaction-planner.js';
export type { WriteCounts } from './write-statement.js';
export type { WriteSummary } from './write-stats.js';
export { WriteGenerator, type WriteGeneratorOptions, type WriteRunOptions } from './write-generator.js';
export {
  createWriterTable,
  defaultWriterTable,
  userIds,
  datasetUserIds,
  type CreateWriterTableOptions,
  type WriterTableSpec,
} from './writer-table.js';
export { loadDataset, type DatasetOptions, type LoadedDataset } from './dataset-loader.js';
export {
  renderUploadBody,
  runUpload,
  UploadMetric,
  UPLOAD_METRIC_KINDS,
  type UploadRunOptions,
  type UploadSummary,
} from './upload-load.js';
