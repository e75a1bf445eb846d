import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ExitCode } from '../errors/index.js';
import type { WindowAggregates } from '../metrics/index.js';
import { writeArtifact } from '../redact/index.js';
import { parseYamlSafely } from '../yaml/index.js';
import { judgePhase, judgeRun } from './phase-validity.js';
import type { RunState } from './run-state.js';
import { formatClockOffset } from './clock-offset.js';
import { formatInitialReplication } from './settled-start.js';

/**
 * The end of a run: each phase's verdict and the run's, the exit code, results.json and run.log closed, the
 * summary, the sizing (unless asked not to) and the reports.
 */
export async function finishRun(
  run: RunState,
  size: boolean,
  profilePath: string | undefined,
): Promise<{ exitCode: number; valid: boolean; reasons: string[] }> {
  const interrupted = run.options.signal.aborted;
  const timedOut = run.deadline.aborted && !interrupted;
  // A phase cut short by an interrupt still gets its verdict; the run is judged from its phases.
  run.validity = judgeRun(
    run.phases.map((p) => ({ ...p, validity: p.validity ?? judgePhase(p, run.selfSamples) })),
    timedOut ? [`run exceeded limits.max_duration (${run.scenario.limits.maxDurationMs} ms)`] : [],
  );
  const reasons = run.validity.reasons;
  const thresholdsFailed = run.phases.some((p) => p.thresholds.some((t) => !t.passed));
  const exitCode =
    run.failure || interrupted
      ? ExitCode.FAILURE
      : reasons.length > 0
        ? ExitCode.RUN_INVALID
        : thresholdsFailed
          ? ExitCode.THRESHOLDS_FAILED
          : ExitCode.OK;
  const results = run.results();
  run.dir.writeJson('results.json', results);
  run.dir.line(`run ended with exit code ${exitCode}`);
  await run.dir.close();
  run.options.out(summaryText(run, exitCode, await leftOutLines(results)));
  if (!run.failure && !interrupted && size)
    run.options.out(await sizingSummary(run.dir.path, profilePath ?? DEFAULT_PROFILE));
  run.options.out(await reports(run.dir.path));
  return { exitCode, valid: run.validity.valid, reasons };
}

/** The lines printed at the end of a run: each phase, what was left out, findings, the results file. */
export function summaryText(run: RunState, exitCode: number, notes: readonly string[] = []): string {
  const { dir, phases, validity, failure, initialReplication } = run;
  const lines = [`\nRun ${dir.id}: ${exitCode === 0 ? 'passed' : `exit ${exitCode}`}`];
  if (initialReplication) lines.push(`  ${formatInitialReplication(initialReplication)}`);
  if (run.clock.before)
    lines.push(
      `  ${formatClockOffset(run.clock.before, 'before the phases; taken out of e2e latencies')}${run.clock.after ? `; after: ${run.clock.after.offsetMs >= 0 ? '+' : '−'}${Math.abs(run.clock.after.offsetMs).toFixed(1)} ms` : ''}`,
    );
  for (const phase of phases) {
    for (const problem of phase.problems ?? [])
      lines.push(`  ${phase.name}: [${problem.code}] ${problem.message}`);
    const failed = phase.thresholds.filter((t) => !t.passed);
    lines.push(
      `  ${phase.name}: clients ${phase.targetClients.end}, writes ${phase.writes ? phase.writes.achievedRate.toFixed(1) + ' tx/s' : '-'}` +
        (phase.upload
          ? `, uploads ${phase.upload.achievedRate.toFixed(1)}/s (${phase.upload.non2xx + phase.upload.errors} failed, p99 ${phase.upload.latencyMs.p99} ms)`
          : '') +
        (failed.length
          ? `, thresholds failed: ${failed.map((t) => `${t.key} ${t.expression} (${t.reason})`).join('; ')}`
          : ''),
    );
  }
  for (const phase of validity.invalidPhases)
    lines.push(`  phase ${phase.name} left out (invalid): ${phase.reasons.join('; ')}`);
  for (const phase of phases)
    if (phase.writes?.sourceBackpressure) lines.push(`  ${phase.name}: ${phase.writes.sourceBackpressure}`);
  if (validity.reasons.length > 0) lines.push(`  INVALID RUN: ${validity.reasons.join('; ')}`);
  if (failure) lines.push(`  ERROR: ${failure instanceof Error ? failure.message : String(failure)}`);
  for (const note of notes) lines.push(`  ${note}`);
  lines.push(`  results: ${dir.file('results.json')}`);
  return lines.join('\n') + '\n';
}

/** What each phase's figures left out and what the probes could not see, said after the phases. */
async function leftOutLines(saved: ReturnType<RunState['results']>): Promise<string[]> {
  const { backlogLines, exclusionSummary, parseRunResults, sizingLimitLines } =
    await import('../report/index.js');
  const results = parseRunResults(saved);
  return [...backlogLines(results), exclusionSummary(results), ...sizingLimitLines(results)].filter(
    (l) => l !== undefined,
  );
}

const DEFAULT_PROFILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../scenarios/profile-default.yaml',
);

/**
 * The sizing summary for a profile, written as recommendations.json/.csv beside the results. An invalid run
 * is not sized: its figures measured the generator, not the service.
 */
async function sizingSummary(runDir: string, profilePath: string): Promise<string> {
  try {
    const { sizeRun, writeRecommendations } = await import('../analysis/index.js');
    const { recommendations, text } = sizeRun(runDir, profilePath);
    writeRecommendations(runDir, recommendations);
    return `\nSizing for profile ${path.basename(profilePath)}:\n${text}\n`;
  } catch (error) {
    return `\nNo sizing summary: ${error instanceof Error ? error.message : String(error)}\n`;
  }
}

/** report.md and report.html from what was saved (also for an interrupted run: it shows what was gathered). */
async function reports(runDir: string): Promise<string> {
  try {
    const { writeReports } = await import('../report/index.js');
    const written = await writeReports(runDir);
    return `Reports: ${written.markdown}, ${written.html}\n`;
  } catch (error) {
    return `No report: ${error instanceof Error ? error.message : String(error)}\n`;
  }
}

/** Where each service process's figures came from: /proc (its pid), its metrics, or nowhere. */
export function observedSources(
  cumulative: WindowAggregates,
  labels: readonly string[],
): Record<string, Record<string, '/proc' | 'metrics' | 'unavailable'>> {
  const has = (metric: string, label: string) =>
    cumulative.series.some((s) => s.metric === metric && s.tags.process === label);
  const pick = (label: string, proc: string | undefined, metrics: string[]) =>
    proc && has(proc, label) ? '/proc' : metrics.some((m) => has(m, label)) ? 'metrics' : 'unavailable';
  const out: Record<string, Record<string, '/proc' | 'metrics' | 'unavailable'>> = {};
  for (const label of labels) {
    out[label] = {
      rss: pick(label, 'process_rss_bytes', ['process_resident_memory_bytes']),
      cpu: pick(label, 'process_cpu_seconds', ['process_cpu_seconds_total']),
      heap: pick(label, undefined, ['nodejs_heap_size_used_bytes']),
      connections: pick(label, undefined, ['powersync_concurrent_connections']),
      operations_synced: pick(label, undefined, ['powersync_operations_synced_total']),
      replication_lag: pick(label, undefined, ['powersync_replication_lag_seconds']),
    };
  }
  return out;
}

/** Rewrites the run directory's files whose names match, redacted (they were needed in clear while running). */
export function redactFilesIn(dirPath: string, name: RegExp): void {
  try {
    for (const file of readdirSync(dirPath)) {
      if (!name.test(file)) continue;
      const full = path.join(dirPath, file);
      writeArtifact(full, readFileSync(full, 'utf8'));
    }
  } catch {
    // best effort: the run's outcome matters more than this rewrite
  }
}

export function bucketDefinitionCount(text: string): number | null {
  const parsed = parseYamlSafely(text).value as { bucket_definitions?: Record<string, unknown> } | null;
  return parsed?.bucket_definitions ? Object.keys(parsed.bucket_definitions).length : null;
}
