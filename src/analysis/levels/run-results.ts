import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const trend = z.object({
  kind: z.literal('trend'),
  n: z.number(),
  min: z.number(),
  max: z.number(),
  mean: z.number(),
  p50: z.number(),
  p99: z.number(),
});
const counter = z.object({ kind: z.literal('counter'), count: z.number(), rate: z.number() });
const gauge = z.object({ kind: z.literal('gauge'), last: z.number(), min: z.number(), max: z.number() });

const series = z.object({
  metric: z.string(),
  tags: z.record(z.string(), z.string()),
  aggregate: z.union([trend, counter, gauge]),
});

const compactResult = z.looseObject({
  opsExamined: z.number(),
  durationMs: z.number(),
  movedOps: z.number().optional(),
  clearedOps: z.number().optional(),
  trackedRowsPeak: z.number().optional(),
  memoryLimitMB: z.number().optional(),
  buckets: z.number().optional(),
  /** Peak RSS of the compact process (`syncscale service compact` reports it). */
  peakRssMb: z.number().optional(),
});

const phase = z.object({
  name: z.string(),
  start: z.number(),
  end: z.number(),
  targetClients: z.object({ start: z.number(), end: z.number() }),
  writes: z
    .looseObject({
      targetRate: z.number(),
      achievedRate: z.number(),
      achievedRowsRate: z.number().optional(),
      transactions: z.number().optional(),
      rows: z.number().optional(),
    })
    .nullable()
    .optional(),
  actions: z
    .array(z.looseObject({ kind: z.string(), result: z.unknown().optional() }))
    .optional()
    .default([]),
  aggregates: z.object({ series: z.array(series) }),
  /** The phase's settle window (runs since settle windows): gauges and trends start at `measuredFrom`. */
  settle: z.object({ start: z.number(), measuredFrom: z.number() }).optional(),
  /** Per-phase validity (runs since per-phase judging); older runs carry only the run's. */
  validity: z
    .object({ valid: z.boolean(), reasons: z.array(z.string()), notes: z.array(z.string()).optional() })
    .optional(),
});

const runResults = z.looseObject({
  runId: z.string(),
  scenario: z.looseObject({
    name: z.string(),
    target: z.looseObject({
      api: z
        .looseObject({
          containers: z.number(),
          heapMb: z.number().optional(),
          maxConcurrentConnections: z.number().optional(),
        })
        .optional(),
    }),
    dataset: z
      .looseObject({
        users: z.number(),
        rowsPerUser: z.number(),
        rowSizeBytes: z.number(),
        lists: z.number(),
      })
      .optional(),
  }),
  validity: z.looseObject({
    valid: z.boolean(),
    reasons: z.array(z.string()),
    invalidPhases: z.array(z.object({ name: z.string(), reasons: z.array(z.string()) })).optional(),
  }),
  phases: z.array(phase),
});

export type RunResults = z.infer<typeof runResults>;
export type RunPhase = z.infer<typeof phase>;
export type Series = z.infer<typeof series>;
export type CompactResult = z.infer<typeof compactResult>;

export class RunInputError extends Error {
  override name = 'RunInputError';
}

/** Parses a `results.json` document; throws RunInputError listing every problem with its path. */
export function parseRunResults(data: unknown): RunResults {
  const parsed = runResults.safeParse(data);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  throw new RunInputError(`results.json is not a syncscale run result:\n${problems.join('\n')}`);
}

/** Reads `<runDir>/results.json` (or the file itself when given one). */
export function loadRunResults(runDirOrFile: string): RunResults {
  const file = runDirOrFile.endsWith('.json') ? runDirOrFile : path.join(runDirOrFile, 'results.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RunInputError(`cannot read ${file}: ${(error as Error).message}`);
  }
  try {
    return parseRunResults(JSON.parse(text));
  } catch (error) {
    if (error instanceof RunInputError) throw new RunInputError(`${file}: ${error.message}`);
    throw new RunInputError(`${file} is not JSON: ${(error as Error).message}`);
  }
}

export function compactResultOf(value: unknown): CompactResult | undefined {
  const parsed = compactResult.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** The series of a metric whose tags include every entry of `tags`. */
export function seriesOf(phase: RunPhase, metric: string, tags: Record<string, string> = {}): Series[] {
  return phase.aggregates.series.filter(
    (s) => s.metric === metric && Object.entries(tags).every(([k, v]) => s.tags[k] === v),
  );
}

export function gaugeOf(phase: RunPhase, metric: string, tags: Record<string, string> = {}) {
  const found = seriesOf(phase, metric, tags)[0]?.aggregate;
  return found?.kind === 'gauge' ? found : undefined;
}

export function trendOf(phase: RunPhase, metric: string, tags: Record<string, string> = {}) {
  const found = seriesOf(phase, metric, tags).find(
    (s) => Object.keys(s.tags).length === Object.keys(tags).length,
  )?.aggregate;
  return found?.kind === 'trend' ? found : undefined;
}

/** Names of the service processes with a given prefix (`api-`, `replicator-`) that report `metric`. */
export function processesOf(phase: RunPhase, prefix: string, metric = 'process_rss_bytes'): string[] {
  return seriesOf(phase, metric)
    .map((s) => s.tags.process)
    .filter((p): p is string => typeof p === 'string' && p.startsWith(prefix))
    .sort();
}

export const phaseSeconds = (phase: RunPhase): number => (phase.end - phase.start) / 1000;

/** Seconds the phase's gauges and trends cover: the phase after its settle window. */
export const measuredSeconds = (phase: RunPhase): number =>
  (phase.end - (phase.settle?.measuredFrom ?? phase.start)) / 1000;

/** Average cores a process used in the phase: growth of its cumulative CPU seconds over the measured part. */
export function cpuCores(phase: RunPhase, processName: string): number | undefined {
  const seconds = gaugeOf(phase, 'process_cpu_seconds', { process: processName });
  const span = measuredSeconds(phase);
  if (!seconds || span <= 0) return undefined;
  return (seconds.max - seconds.min) / span;
}

/** A phase left out of fits, with why. */
export interface ExcludedPhase {
  phase: string;
  reasons: string[];
}

/**
 * Why a phase did not measure the service, or undefined when it did. Runs that record per-phase validity are
 * read as they say. Older runs recorded one verdict for the whole run: a reason that names a phase ("writers
 * behind schedule in phase X") voids only that phase, and the phase's own writer summary marked
 * behindSchedule voids it too; a reason that names no phase (a saturated generator) voids every phase.
 */
export function phaseInvalidReasons(run: RunResults, phase: RunPhase): string[] | undefined {
  if (phase.validity) return phase.validity.valid ? undefined : phase.validity.reasons;
  if (run.validity.valid) return undefined;
  const reasons: string[] = [];
  const named = (r: string) => /\bin phase (\S+?):/.exec(r)?.[1];
  for (const reason of run.validity.reasons) {
    const name = named(reason);
    if (name === undefined || name === phase.name) reasons.push(reason);
  }
  const writes = phase.writes as { behindSchedule?: unknown; reason?: unknown } | null | undefined;
  if (writes?.behindSchedule === true && reasons.length === 0)
    reasons.push(`writers behind schedule in phase ${phase.name}: ${String(writes.reason ?? '')}`);
  return reasons.length > 0 ? reasons : undefined;
}

/**
 * The run with only the phases that measured the service, the phases left out, and a reason when nothing is
 * left to size from (every phase invalid, or no phase at all).
 */
export function validPart(run: RunResults): {
  run: RunResults;
  excluded: ExcludedPhase[];
  invalid?: string;
} {
  const excluded: ExcludedPhase[] = [];
  const kept: RunPhase[] = [];
  for (const phase of run.phases) {
    const reasons = phaseInvalidReasons(run, phase);
    if (reasons) excluded.push({ phase: phase.name, reasons });
    else kept.push(phase);
  }
  const invalid =
    run.phases.length > 0 && kept.length === 0
      ? `every phase is invalid: ${excluded.map((e) => `${e.phase} (${e.reasons.join('; ')})`).join('; ')}`
      : undefined;
  return { run: { ...run, phases: kept }, excluded, ...(invalid ? { invalid } : {}) };
}
