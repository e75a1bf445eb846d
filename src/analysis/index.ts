/**
 * The sizing model, pure functions of a saved run directory, in rooms:
 * - `levels/`: a run's results.json and the steady levels in it (connections, write rates, compactions);
 * - `fits/`: statistics and the cost fits over those levels (linear with bootstrap bands, USL, per dimension);
 * - `validation/`: a fit checked against a level it was not fitted on;
 * - `calibration/`: reference-service fits carried over to a real deployment by measured ratios;
 * - `recommend/`: a capacity profile, the fits and the above turned into container counts, heap, replication,
 *   compaction and storage, with the terminal summary and CSV.
 * This file is the only way in.
 */
// fits/: statistics
export {
  theilSen,
  leastSquares,
  r2,
  residualSpread,
  seededRandom,
  type Line,
  type Point,
} from './fits/stats.js';
export { bootstrapLine, BOOTSTRAP_REPLICATES } from './fits/bootstrap.js';
export { fitLine, predictBand, linearRefusal, type LinearFitOptions } from './fits/linear-fit.js';
export {
  mainEstimate,
  type Axis,
  type Estimate,
  type Fit,
  type FitKind,
  type Goodness,
  type Prediction,
} from './fits/fit-types.js';
// levels/
export {
  loadRunResults,
  parseRunResults,
  phaseInvalidReasons,
  validPart,
  type ExcludedPhase,
  RunInputError,
  type RunPhase,
  type RunResults,
} from './levels/run-results.js';
export {
  compactions,
  connectionLevels,
  writeLevels,
  type ApiPoint,
  type CompactionRecord,
  type ConnectionLevel,
  type WriteLevel,
} from './levels/levels.js';
// fits/: cost fits
export { fitApiCpuPerConnection, fitApiCpuPerOp, fitApiHeap, fitApiMemory } from './fits/api-fits.js';
export { fitApiLatency, kneeNote } from './fits/latency-fit.js';
export { fitUsl, type UslFit } from './fits/usl-fit.js';
export {
  fitReplicationCpu,
  fitReplicationMaxRate,
  fitReplicationMemory,
  FLAT,
} from './fits/replication-fits.js';
export { fitCompactionDuration, fitCompactionMemory } from './fits/compaction-fits.js';
export { fitStoragePerOp, fitStoragePerRow } from './fits/storage-fits.js';
export { fitRun, invalidReasonOf, type RunFits } from './fits/fit-run.js';
// validation/
export {
  validateCpuModel,
  validateMemoryModel,
  CPU_VALIDATION_TOLERANCE,
  VALIDATION_TOLERANCE,
  type ModelValidation,
} from './validation/model-validation.js';
// recommend/
export { type CapCheck } from './recommend/api-containers.js';
export {
  loadProfile,
  parseProfile,
  peakConnections,
  profileSchema,
  ProfileError,
  type CapacityProfile,
  type ProfileProblem,
} from './recommend/profile.js';
export type { Evidence, Quantity } from './recommend/quantity.js';
export {
  maxWithin,
  sizeApiContainers,
  type ApiLimit,
  type ApiSizing,
  type ApiSizingInput,
  type LimitName,
} from './recommend/api-containers.js';
export {
  checkHeap,
  HEAP_MARGIN,
  HEAP_SHARE,
  type ApiRecommendation,
  type HeapCheck,
} from './recommend/api.js';
export type { CompactionRecommendation, ReplicationRecommendation } from './recommend/backend.js';
export { MODELLED, type StorageRecommendation } from './recommend/storage.js';
export {
  recommend,
  InvalidRunError,
  RECOMMENDATIONS_SCHEMA_VERSION,
  type Recommendations,
} from './recommend/recommend.js';
export { recommendationsCsv, CSV_COLUMNS } from './recommend/recommendations-csv.js';
export { formatSummary } from './recommend/summary.js';
export {
  loadCalibration,
  sizeRun,
  writeRecommendations,
  RECOMMENDATIONS_CSV,
  RECOMMENDATIONS_JSON,
} from './recommend/size-run.js';
// calibration/
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
} from './calibration/calibration.js';
