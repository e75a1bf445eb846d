import { exclusionSummary, sizingLimitLines } from './measurement-notes.js';
import { phaseValidityLines } from './run-results.js';
import { DASH, formatRate, roundMs } from './format.js';
import { phaseCount, phaseTrend } from './phase-metrics.js';
import { recommendationRows } from './recommendations.js';
import type { PhaseResult, RunResults } from './run-results.js';

/** At most this many lines, so the summary fits a terminal at the end of a run. */
export const TERMINAL_SUMMARY_MAX_LINES = 30;

export interface TerminalSummaryOptions {
  recommendations?: unknown;
  /** Report files to point at, e.g. the paths `writeReports` returned. */
  files?: string[];
}

/** Plain-text summary of a run (no colour codes), ≤ 30 lines: validity, phases, thresholds, sizing. */
export function renderTerminalSummary(results: RunResults, options: TerminalSummaryOptions = {}): string {
  const lines = [
    `Run ${results.runId} (${results.scenario.name}): ${results.status ?? 'unknown'}, ${results.validity.valid ? 'valid' : 'INVALID'}`,
    ...results.validity.reasons.slice(0, 3).map((r) => `  invalid: ${r}`),
    ...phaseValidityLines(results)
      .slice(0, 4)
      .map((l) => `  ${l}`),
  ];
  const width = Math.max(5, ...results.phases.map((p) => p.name.length));
  for (const phase of results.phases) lines.push(`  ${phase.name.padEnd(width)}  ${phaseLine(phase)}`);
  const thresholds = results.phases.flatMap((p) => p.thresholds.map((t) => ({ phase: p.name, ...t })));
  const failed = thresholds.filter((t) => !t.passed);
  const leftOut = exclusionSummary(results);
  if (leftOut) lines.push(leftOut);
  lines.push(...sizingLimitLines(results).slice(0, 3));
  lines.push(`Thresholds: ${thresholds.length - failed.length} passed, ${failed.length} failed`);
  for (const t of failed.slice(0, 3))
    lines.push(`  FAIL ${t.phase}: ${t.key} ${t.expression} (${t.reason ?? t.observed})`);
  const rows = options.recommendations === undefined ? [] : recommendationRows(options.recommendations);
  if (rows.length > 0) {
    lines.push('Sizing:');
    for (const r of rows.slice(0, 6)) lines.push(`  ${r.name}: ${r.number}${r.unit ? ` ${r.unit}` : ''}`);
  } else {
    lines.push('Sizing: run `syncscale size` to add recommendations');
  }
  for (const file of options.files ?? []) lines.push(`  ${file}`);
  return clamp(lines).join('\n') + '\n';
}

function phaseLine(phase: PhaseResult): string {
  const checkpoint = phaseTrend(phase, 'checkpoint_latency');
  const e2e = phaseTrend(phase, 'e2e_latency');
  const errors = phaseCount(phase, 'errors');
  const parts = [
    `clients ${phase.targetClients.end}`,
    `writes ${phase.writes ? formatRate(phase.writes.achievedRate) : DASH}`,
    `checkpoint p99 ${checkpoint?.n ? `${roundMs(checkpoint.p99)} ms` : DASH}`,
    `e2e p99 ${e2e?.n ? `${roundMs(e2e.p99)} ms` : DASH}`,
    `errors ${errors ?? DASH}`,
  ];
  return parts.join(', ');
}

function clamp(lines: string[]): string[] {
  if (lines.length <= TERMINAL_SUMMARY_MAX_LINES) return lines;
  const kept = lines.slice(0, TERMINAL_SUMMARY_MAX_LINES - 1);
  return [...kept, `  … ${lines.length - kept.length} more lines: see report.md`];
}
