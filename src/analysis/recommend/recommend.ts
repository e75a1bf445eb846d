import type { RunFits } from '../fits/fit-run.js';
import { fitRun, invalidReasonOf } from '../fits/fit-run.js';
import {
  connectionLevels,
  cpuLevels,
  latencyLevels,
  storageEngineOf,
  writeLevels,
} from '../levels/levels.js';
import { fitApiCpuModel, type CpuModelChoice } from '../fits/api-cpu-model.js';
import { peakConnections, type CapacityProfile } from './profile.js';
import { recommendApi, type ApiRecommendation } from './api.js';
import {
  recommendCompaction,
  recommendReplication,
  type CompactionRecommendation,
  type ReplicationRecommendation,
} from './backend.js';
import { recommendStorage, type StorageRecommendation } from './storage.js';
import { validPart, type ExcludedPhase, type RunResults } from '../levels/run-results.js';
import { translateFits, type Calibration } from '../calibration/calibration.js';
import { translateCpuPoints } from '../calibration/cpu-calibration.js';
import { SYNCSCALE_VERSION } from '../../version.js';
import {
  validateCpuModel,
  validateMemoryModel,
  type ModelValidation,
} from '../validation/model-validation.js';

export const RECOMMENDATIONS_SCHEMA_VERSION = 1;

/** The whole sizing: what `recommendations.json` holds. */
export interface Recommendations {
  schemaVersion: typeof RECOMMENDATIONS_SCHEMA_VERSION;
  run: {
    runId: string;
    scenario: string;
    /** The service the figures were measured on: the reference service or the external target. */
    service: string;
    /** What the clients' HTTP streams accepted (`sdk` = gzip, deflate, br as the official SDKs). */
    compression: string;
    /** Set for untranslated reference-service figures: they are not PowerSync's, and how to get those. */
    caveat?: string;
    valid: boolean;
    invalidReasons: string[];
    /** Phases left out of every fit (invalid), with their reasons. */
    excludedPhases: ExcludedPhase[];
    /** Write levels the source database did not keep up with: not sized as sustained. */
    unsustainedWriteLevels: Array<{ phase: string; finding: string }>;
  };
  profile: {
    name: string;
    peakConnections: number;
    designConnections: number;
    peakTxPerSecond: number;
    targetUtilisation: number;
    headroom: number;
  };
  api: ApiRecommendation | { infeasible: string };
  replication: ReplicationRecommendation;
  compaction: CompactionRecommendation;
  storage: StorageRecommendation;
  validation: ModelValidation;
  /** The CPU model, validated the same way. */
  cpuValidation: ModelValidation;
  /** Which API CPU form was chosen (linear, with a connections × rate term, convex) and why. */
  cpuModel: CpuModelChoice;
  /** Monthly cost, when the profile prices its shapes (and optionally the compact job and the storage). */
  cost?: {
    apiPerMonth: number;
    compactPerMonth?: number;
    storagePerMonth?: number;
    totalPerMonth: number;
    note: string;
  };
  /** Every fit, as evidence (points, estimates, intervals, goodness, refusals). */
  fits: RunFits;
}

/** What the run measured: which service, and what the clients' streams accepted. */
/** Printed with every untranslated reference-service sizing (terminal, report.md/html). */
export const REFERENCE_CAVEAT =
  'These figures are for the reference service, not PowerSync: run the same scenario against your deployment (target.external, or docker-compose.bench.yml) for figures of the real service.';

function measuredWith(
  run: RunResults,
  calibration?: Calibration,
): { service: string; compression: string; caveat?: string } {
  const scenario = run.scenario as { target: { kind?: string; endpoint?: string }; compression?: string };
  const reported = (run as { targetService?: { name?: string; version?: string } }).targetService;
  const says = reported
    ? ` (${[reported.name, reported.version].filter(Boolean).join(' ')})`
    : ' (version not reported)';
  const service =
    scenario.target.kind === 'external'
      ? `external target ${scenario.target.endpoint ?? ''}${says}`
      : `reference service (syncscale ${SYNCSCALE_VERSION})`;
  return {
    service: calibration
      ? `${calibration.real.service} — translated from ${service} by calibration (reference run ${calibration.reference.runId}, real run ${calibration.real.runId})`
      : service,
    // Runs before the compression setting existed sent no Accept-Encoding.
    compression: scenario.compression ?? 'none (run predates the setting)',
    ...(scenario.target.kind !== 'external' && !calibration ? { caveat: REFERENCE_CAVEAT } : {}),
  };
}

export class InvalidRunError extends Error {
  override name = 'InvalidRunError';
}

/**
 * Sizes a deployment for `profile` from a run's valid phases (the invalid ones are named). Throws
 * InvalidRunError when no phase is valid.
 */
export function recommend(
  whole: RunResults,
  profile: CapacityProfile,
  options: { calibration?: Calibration } = {},
): Recommendations {
  const invalid = invalidReasonOf(whole);
  if (invalid) throw new InvalidRunError(`refusing to size from an invalid run (${whole.runId}): ${invalid}`);
  const { run, excluded } = validPart(whole);
  const calibration = options.calibration;
  // API CPU against connections and write rate, predicted at the profile's peak with headroom; the form
  // (linear, rate, rate-convex) chosen by its prediction of the held-out top level.
  const designRate = profile.writes.peak_tx_per_second * (1 + profile.utilisation.headroom);
  // A calibration that carries the CPU model moves the reference's CPU levels to the real service's first.
  const translatedCpu = calibration ? translateCpuPoints(cpuLevels(run), calibration) : undefined;
  const cpuModel = fitApiCpuModel(translatedCpu?.points ?? cpuLevels(run), designRate);
  const cpuFit = translatedCpu
    ? {
        ...cpuModel.fit,
        description: `${cpuModel.fit.description} — ${translatedCpu.note}`,
        notes: [...cpuModel.fit.notes, translatedCpu.note],
      }
    : cpuModel.fit;
  const measuredFits = { ...fitRun(whole), apiCpuPerConnection: cpuFit };
  const fits = calibration
    ? {
        ...translateFits(measuredFits, calibration),
        ...(translatedCpu ? { apiCpuPerConnection: cpuFit } : {}),
      }
    : measuredFits;
  const levels = connectionLevels(run);
  const writes = writeLevels(run);
  const peak = peakConnections(profile);
  const design = Math.ceil(peak * (1 + profile.utilisation.headroom));
  const api = recommendApi(
    profile,
    fits,
    levels,
    design,
    calibration?.realLatencyLevels ?? latencyLevels(run),
  );
  const compaction = recommendCompaction(profile, fits);
  return {
    ...(monthlyCost(profile, api, compaction) ?? {}),
    schemaVersion: RECOMMENDATIONS_SCHEMA_VERSION,
    run: {
      runId: run.runId,
      scenario: run.scenario.name,
      ...measuredWith(run, calibration),
      valid: whole.validity.valid,
      invalidReasons: whole.validity.reasons,
      excludedPhases: excluded,
      unsustainedWriteLevels: run.phases.flatMap((p) => {
        const finding = (p.writes as { sourceBackpressure?: unknown } | null | undefined)?.sourceBackpressure;
        return typeof finding === 'string' ? [{ phase: p.name, finding }] : [];
      }),
    },
    profile: {
      name: profile.name,
      peakConnections: peak,
      designConnections: design,
      peakTxPerSecond: profile.writes.peak_tx_per_second,
      targetUtilisation: profile.utilisation.target,
      headroom: profile.utilisation.headroom,
    },
    // With a calibration, latency objectives are checked against the real run's measured levels (above): a
    // translated reference fit may never recommend beyond what the real service was seen to meet.
    api,
    replication: recommendReplication(profile, fits, writes),
    compaction,
    storage: recommendStorage(profile, fits, run.scenario.dataset?.rowSizeBytes, storageEngineOf(run)),
    validation: validateMemoryModel(levels),
    cpuValidation: validateCpuModel(levels),
    cpuModel: cpuModel.choice,
    fits,
  };
}

/** API containers at their shape's price, the compact job for its predicted run each day, and the storage. */
function monthlyCost(
  profile: CapacityProfile,
  api: Recommendations['api'],
  compaction: CompactionRecommendation,
): { cost: NonNullable<Recommendations['cost']> } | undefined {
  if ('infeasible' in api) return undefined;
  const chosen = api.shapes.find((s) => s.chosen);
  if (chosen?.costPerMonth === undefined) return undefined;
  const hoursPerMonth = 730.5;
  const compactHours =
    compaction.durationSeconds.value === null ? undefined : (compaction.durationSeconds.value / 3600) * 30.44;
  const compactPrice = profile.containers.compact_price_per_hour;
  const storagePrice = profile.containers.storage_price_per_hour;
  const compactPerMonth =
    compactPrice !== undefined && compactHours !== undefined ? compactPrice * compactHours : undefined;
  const storagePerMonth = storagePrice !== undefined ? storagePrice * hoursPerMonth : undefined;
  const notes = [
    `API ${api.containers.value} × ${chosen.cpu} vCPU / ${chosen.memoryMb} MB`,
    ...(compactPerMonth !== undefined
      ? ['the compact job for its predicted duration once a day']
      : compactPrice !== undefined
        ? ['the compact job: duration not measured']
        : []),
    ...(storagePerMonth !== undefined ? ['storage'] : []),
  ];
  return {
    cost: {
      apiPerMonth: chosen.costPerMonth,
      ...(compactPerMonth !== undefined ? { compactPerMonth } : {}),
      ...(storagePerMonth !== undefined ? { storagePerMonth } : {}),
      totalPerMonth: chosen.costPerMonth + (compactPerMonth ?? 0) + (storagePerMonth ?? 0),
      note: notes.join(' + '),
    },
  };
}
