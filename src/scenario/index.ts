/** Scenarios: the file format, its validation, and the planned schedule of a run (`syncscale run --dry-run`). */
export { loadScenario } from './load-scenario.js';
export { parseScenario, type ParseScenarioOptions } from './parse-scenario.js';
export { ScenarioError, formatScenarioProblem, type ScenarioProblem } from './scenario-error.js';
export { planScenario, estimateSetupMs, SETUP_ALLOWANCE } from './plan-scenario.js';
export { formatPlan, type FormatPlanOptions } from './format-plan.js';
export { formatDuration, formatClock } from './format-duration.js';
export { validateThresholds } from './validate-thresholds.js';
export { DEFAULT_SYNC_CONFIG } from './dataset-schema.js';
export { DEFAULT_TRANSPORT } from './client-schema.js';
export { DEFAULT_WRITE_MIX } from './write-schema.js';
export { DEFAULT_MAX_DURATION } from './scenario-schema.js';
export type { ClientPlan, PhasePlan, PlanCheck, PlannedAction, RunPlan, WritePlan } from './plan-types.js';
export {
  TRANSPORTS,
  type Action,
  type ClientLoad,
  type ClientShape,
  type Dataset,
  type EmbeddedTarget,
  type ExternalProcess,
  type ExternalTarget,
  type KeyChoice,
  type Limits,
  type Phase,
  type Scenario,
  type ScenarioTarget,
  type TokenAlgorithm,
  type TokenSource,
  type Transport,
  type TransportShare,
  type WriteRate,
  type WriteShape,
} from './types.js';
export {
  CLI,
  loadDataset as createDatasetTables,
  serviceConfig,
  spawnService,
  waitForActiveCheckpoint,
  writeServiceFiles,
} from './embedded-target.js';
export { ServiceProcess, killAllServiceProcesses } from './child-processes.js';
/** Building blocks of file validation, shared with the drill file. */
export { YamlSource } from './yaml-source.js';
export { zodProblems, issueMessage } from './zod-problems.js';
export { formatPath } from './scenario-error.js';
export { datasetSchema } from './dataset-schema.js';
export { duration, positiveDuration, positiveCount, positiveRate } from './schema-helpers.js';
export { RunDirectory } from './run-directory.js';
export { scenarioRecord } from './scenario-record.js';
export { abortableSleep } from './abortable-sleep.js';
export { clientPlan, steadyClients } from './client-plan.js';
export { readCompactLog, type CompactOutput } from './external-target.js';
