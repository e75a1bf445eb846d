import { escapeHtml } from '../report/index.js';
import type { GateVerdict, MetricVerdict } from './compare-runs.js';

const OUTCOME_TEXT: Record<MetricVerdict['outcome'], string> = {
  regression: 'REGRESSION',
  'no-regression': 'no regression',
  inconclusive: 'inconclusive',
  skipped: 'skipped',
};

function headline(verdict: GateVerdict): string {
  const n = `${verdict.runs.baseline.length} baseline and ${verdict.runs.candidate.length} candidate runs`;
  switch (verdict.outcome) {
    case 'regression':
      return `REGRESSION: ${verdict.metrics
        .filter((m) => m.outcome === 'regression')
        .map((m) => m.label)
        .join(', ')} (${n}, δ ${pct(verdict.delta)})`;
    case 'inconclusive':
      return `INCONCLUSIVE — rerun with more runs (--max-runs): no regression shown, but not every metric could be shown within ${pct(verdict.delta)} (${n})`;
    case 'no-regression':
      return `NO REGRESSION: every metric within ${pct(verdict.delta)} of baseline (${n})`;
  }
}

const pct = (x: number) => `${+(x * 100).toFixed(1)} %`;

function value(v: number | undefined, unit: string): string {
  if (v === undefined) return '–';
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 4;
  return `${v.toFixed(digits)} ${unit}`;
}

function rows(verdict: GateVerdict): string[][] {
  return verdict.metrics.map((m) => [
    m.label + (m.worse === 'lower' ? ' (lower is worse)' : ''),
    m.baselineMedian === undefined
      ? '–'
      : `${value(m.baselineMedian, m.unit)} ±${pct(m.baselineSpread ?? 0)}`,
    m.candidateMedian === undefined
      ? '–'
      : `${value(m.candidateMedian, m.unit)} ±${pct(m.candidateSpread ?? 0)}`,
    m.worseRatio === undefined
      ? '–'
      : `${m.worseRatio.toFixed(3)} [${m.interval![0].toFixed(3)}, ${m.interval![1].toFixed(3)}]`,
    m.p === undefined ? '–' : `${m.p.toPrecision(2)} / ${m.pAdjusted!.toPrecision(2)}`,
    OUTCOME_TEXT[m.outcome],
  ]);
}

const HEADER = [
  'metric',
  'baseline median ±MAD',
  'candidate median ±MAD',
  'worse-ratio [95 % CI]',
  'p / Holm p',
  'outcome',
];

/** A fixed-width table for the terminal, with the verdict and every reason. */
export function gateTerminalText(verdict: GateVerdict): string {
  const table = [HEADER, ...rows(verdict)];
  const widths = HEADER.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  const lines = table.map((r) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]!))
      .join('  ')
      .trimEnd(),
  );
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return [
    `Gate ${verdict.scenario}: ${headline(verdict)}`,
    '',
    ...lines,
    '',
    ...verdict.metrics.map((m) => `  ${m.label}: ${OUTCOME_TEXT[m.outcome]} — ${m.reason}`),
    ...verdict.warnings.map((w) => `  warning: ${w}`),
    '',
  ].join('\n');
}

/** Markdown for a pull request (and `$GITHUB_STEP_SUMMARY`). */
export function gateMarkdown(verdict: GateVerdict): string {
  const escape = (s: string) => s.replaceAll('|', '\\|');
  const icon = { regression: '❌', 'no-regression': '✅', inconclusive: '⚠️' }[verdict.outcome];
  return [
    `## ${icon} syncscale gate: ${escape(headline(verdict))}`,
    '',
    `Scenario \`${verdict.scenario}\`; δ ${pct(verdict.delta)}; α ${verdict.alpha} (Holm–Bonferroni over ${verdict.metrics.filter((m) => m.p !== undefined).length} metrics); one statistic per run; Welch t-test on the logs against 1 + δ, CI of the ratio of geometric means (> 1 is worse).`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `| ${HEADER.map(() => '---').join(' | ')} |`,
    ...rows(verdict).map((r) => `| ${r.map(escape).join(' | ')} |`),
    '',
    ...verdict.metrics.map(
      (m) => `- **${escape(m.label)}**: ${OUTCOME_TEXT[m.outcome]} — ${escape(m.reason)}`,
    ),
    ...verdict.warnings.map((w) => `- ⚠️ ${escape(w)}`),
    '',
    'What each metric measures:',
    '',
    ...verdict.metrics.map((m) => `- \`${m.id}\`: ${escape(m.measures ?? '')}`),
    '',
  ].join('\n');
}

/** XML attribute and text escaping: the same five entities as HTML. */
const xml = escapeHtml;

/**
 * JUnit XML, one test case per metric: a regression is a failure; inconclusive and skipped metrics are
 * skipped test cases with their reason (CI systems show them without failing the build on their own).
 */
export function gateJunit(verdict: GateVerdict): string {
  const failures = verdict.metrics.filter((m) => m.outcome === 'regression').length;
  const skipped = verdict.metrics.filter(
    (m) => m.outcome === 'inconclusive' || m.outcome === 'skipped',
  ).length;
  const cases = verdict.metrics.map((m) => {
    const name = `${m.id}: ${m.label}`;
    const body =
      m.outcome === 'regression'
        ? `<failure message="${xml(m.reason)}" type="regression"/>`
        : m.outcome === 'no-regression'
          ? ''
          : `<skipped message="${xml(`${m.outcome}: ${m.reason}`)}"/>`;
    return `  <testcase classname="syncscale.gate.${xml(verdict.scenario)}" name="${xml(name)}">${body}</testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuite name="syncscale gate ${xml(verdict.scenario)}" tests="${verdict.metrics.length}" failures="${failures}" errors="0" skipped="${skipped}">`,
    ...cases,
    '</testsuite>',
    '',
  ].join('\n');
}
