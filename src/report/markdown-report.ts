import { backlogLines, exclusionLines, sizingLimitLines } from './measurement-notes.js';
import { phaseValidityLines } from './run-results.js';
import { mdCell } from './format.js';
import { apiDecisionTables, measuredOnText, recommendationRows } from './recommendations.js';
import type { RunResults } from './run-results.js';
import {
  compactionTable,
  phaseTable,
  recommendationTable,
  resourceTable,
  summaryRows,
  thresholdTable,
  type Table,
} from './tables.js';

/**
 * `report.md`: the run for PRs and wikis. A pure function of the saved results (and `recommendations.json`
 * when there is one); it contains no time but the run's own, so the same results give the same report.
 */
export function renderMarkdownReport(results: RunResults, recommendations?: unknown): string {
  const out: string[] = [`# syncscale report: ${results.scenario.name}`, ''];
  for (const [key, value] of summaryRows(results)) out.push(`- **${key}:** ${value}`);
  out.push('', '## Validity', '', ...validityLines(results), '');
  section(out, 'Phases', phaseTable(results), [
    'Latencies: p50 / p99 in milliseconds from HDR histograms, n = samples in the phase. Writes in transactions per second. — = not recorded in the phase.',
  ]);
  section(out, 'Thresholds', thresholdTable(results), [], 'No thresholds in this scenario.');
  section(
    out,
    'Resources per phase',
    resourceTable(results),
    [
      'Gauges sampled every second: last value in the phase, with the lowest and highest sample. CPU mean = rise in the process’s CPU seconds ÷ phase duration; CPU max = highest one-second share (1.00 = one core).',
    ],
    'The probes recorded no process resources.',
  );
  section(out, 'Compaction', compactionTable(results), [], 'No compaction ran.');
  out.push('## Recommendations', '');
  const measuredOn = measuredOnText(recommendations);
  if (measuredOn) out.push(`> ${measuredOn}`, '');
  const rows = recommendations === undefined ? [] : recommendationRows(recommendations);
  if (rows.length > 0) {
    out.push(...markdownTable(recommendationTable(rows)), '');
    const decision = apiDecisionTables(recommendations);
    if (decision.limits.rows.length > 0)
      out.push('### API limits', '', ...markdownTable(decision.limits), '');
    if (decision.shapes.rows.length > 0)
      out.push(
        '### Container shapes',
        '',
        ...(decision.ceiling ? [decision.ceiling, ''] : []),
        ...markdownTable(decision.shapes),
        '',
      );
  } else {
    out.push(
      recommendations === undefined
        ? 'None yet: run `syncscale size` to add recommendations.'
        : '`recommendations.json` has no entries with a number.',
      '',
    );
  }
  return out.join('\n');
}

function validityLines(results: RunResults): string[] {
  const lines = [
    results.validity.valid
      ? '**Valid**: the load generator kept up (event loop, CPU, write schedule) in every phase judged; phases where it did not are listed and left out.'
      : '**INVALID**: nothing that was asked can be judged from this run.',
  ];
  if (results.validity.reasons.length > 0) {
    lines.push('', ...results.validity.reasons.map((r) => `- ${r}`));
  }
  const phaseLines = phaseValidityLines(results);
  if (phaseLines.length > 0) lines.push('', 'Phases:', '', ...phaseLines.map((l) => `- ${l}`));
  const backlog = backlogLines(results);
  if (backlog.length > 0)
    lines.push('', 'Catching up after backlog actions:', '', ...backlog.map((l) => `- ${l}`));
  const leftOut = exclusionLines(results);
  if (leftOut.length > 0)
    lines.push('', `Left out of the figures: ${leftOut[0]}`, '', ...leftOut.slice(1).map((l) => `- ${l}`));
  const limits = sizingLimitLines(results);
  if (limits.length > 0) lines.push('', 'What limits the sizing:', '', ...limits.map((l) => `- ${l}`));
  if (results.probesUnavailable.length > 0) {
    lines.push('', 'Probe notes:', '', ...results.probesUnavailable.map((p) => `- ${p}`));
  }
  return lines;
}

function section(out: string[], title: string, table: Table, notes: string[], empty = 'No data.'): void {
  out.push(`## ${title}`, '');
  if (table.rows.length === 0) {
    out.push(empty, '');
    return;
  }
  out.push(...markdownTable(table), '');
  for (const note of notes) out.push(note, '');
}

export function markdownTable(table: Table): string[] {
  const lines = [
    `| ${table.headers.map(mdCell).join(' | ')} |`,
    `|${table.headers.map(() => ' --- |').join('')}`,
  ];
  for (const row of table.rows) lines.push(`| ${row.map(mdCell).join(' | ')} |`);
  return lines;
}
