/** The sizing model: fits of saved run results and recommendations for a capacity profile (pure functions). */
export { theilSen, leastSquares, r2, residualSpread, seededRandom, type Line, type Point } from './stats.js';
export { bootstrapLine, BOOTSTRAP_REPLICATES } from './bootstrap.js';
export { fitLine, predictBand, linearRefusal, type LinearFitOptions } from './linear-fit.js';
export {
  mainEstimate,
  type Axis,
  type Estimate,
  type Fit,
  type FitKind,
  type Goodness,
  type Prediction,
} from './fit-types.js';
export {
  loadRunResults,
  parseRunResults,
  RunInputError,
  type RunPhase,
  type RunResults,
} from './run-results.js';
export {
  compactions,
  connectionLevels,
  writeLevels,
  type ApiPoint,
  type CompactionRecord,
  type ConnectionLevel,
  type WriteLevel,
} from './levels.js';
export { type CapCheck } from './api-containers.js';
export { fitApiCpuPerConnection, fitApiCpuPerOp, fitApiHeap, fitApiMemory } from './api-fits.js';
export { fitApiLatency, kneeNote } from './latency-fit.js';
export { fitUsl, type UslFit } from './usl-fit.js';
export { fitReplicationCpu, fitReplicationMaxRate, fitReplicationMemory, FLAT } from './replication-fits.js';
export { fitCompactionDuration, fitCompactionMemory } from './compaction-fits.js';
export { fitStoragePerOp, fitStoragePerRow } from './storage-fits.js';
export { fitRun, invalidReasonOf, type RunFits } from './fit-run.js';
export {
  loadProfile,
  parseProfile,
  peakConnections,
  profileSchema,
  ProfileError,
  type CapacityProfile,
  type ProfileProblem,
} from './profile.js';
export type { Evidence, Quantity } from './quantity.js';
export {
  maxWithin,
  sizeApiContainers,
  type ApiLimit,
  type ApiSizing,
  type ApiSizingInput,
  type LimitName,
} from './api-containers.js';
export {
  checkHeap,
  HEAP_MARGIN,
  HEAP_SHARE,
  type ApiRecommendation,
  type HeapCheck,
} from './recommend-api.js';
export type { CompactionRecommendation, ReplicationRecommendation } from './recommend-backend.js';
export { MODELLED, type StorageRecommendation } from './recommend-storage.js';
export {
  validateCpuModel,
  validateMemoryModel,
  CPU_VALIDATION_TOLERANCE,
  VALIDATION_TOLERANCE,
  type ModelValidation,
} from './validation.js';
export {
  recommend,
  InvalidRunError,
  RECOMMENDATIONS_SCHEMA_VERSION,
  type Recommendations,
} from './recommend.js';
export { recommendationsCsv, CSV_COLUMNS } from './recommendations-csv.js';
export { formatSummary } from './summary.js';
export {
  loadCalibration,
  sizeRun,
  writeRecommendations,
  RECOMMENDATIONS_CSV,
  RECOMMENDATIONS_JSON,
} from './size-run.js';
export {
  calibrate,
  checkCalibration,
  CalibrationError,
  shapeDifferences,
  shapeOf,
  translateFits,
  type Calibration,
  type CalibrationCheck,
  type CalibrationShape,
  type DimensionName,
  type DimensionRatio,
} from './calibration.js';
