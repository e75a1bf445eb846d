export { ProbeMetric, PROBE_METRIC_KINDS, type Probe, type ProbeMetricName } from './probe.js';
export { ProcessProbe, type ProcessProbeOptions } from './process-probe.js';
export { parseProcStat, parseProcStatus, USER_HZ, type ProcStat, type ProcStatus } from './proc-files.js';
export {
  PrometheusProbe,
  DEFAULT_PROMETHEUS_SERIES,
  type PrometheusProbeOptions,
} from './prometheus-probe.js';
export {
  parsePrometheusText,
  type PromExposition,
  type PromFamily,
  type PromParseError,
  type PromSeries,
} from './prometheus-text.js';
export { PostgresProbe, BUCKET_STORAGE_TABLES, type PostgresProbeOptions } from './postgres-probe.js';
export { SelfProbe, type SelfProbeOptions } from './self-probe.js';
export {
  saturation,
  DEFAULT_SATURATION_THRESHOLDS,
  type SaturationThresholds,
  type SaturationVerdict,
} from './saturation.js';
export { CgroupProbe, cgroupPathOf, type CgroupProbeOptions } from './cgroup-probe.js';
export { BlindProbe } from './blind-probe.js';
export { ProbeScheduler, type ProbeSchedulerOptions, type ProbeSchedulerStats } from './probe-scheduler.js';
export {
  machineFingerprint,
  fingerprintDifferences,
  type MachineFingerprint,
} from './machine-fingerprint.js';
export {
  MongoDbProbe,
  mongoSamples,
  pingMongoDb,
  MONGODB_BUCKET_COLLECTIONS,
  type MongoReading,
} from './mongodb-probe.js';
