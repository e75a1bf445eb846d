/** Reports: pure functions of a run's saved results (`results.json`, `recommendations.json`). */
export {
  parseRunResults,
  type ActionResult,
  type PhaseResult,
  type RunResults,
  type ThresholdOutcome,
  type WriteResult,
} from './run-results.js';
export { renderMarkdownReport } from './markdown-report.js';
export { renderHtmlReport } from './html-report.js';
export { chartPanels, type ChartPanel } from './chart-specs.js';
export { renderSvg } from './render-svg.js';
export { escapeHtml } from './format.js';
export {
  renderTerminalSummary,
  TERMINAL_SUMMARY_MAX_LINES,
  type TerminalSummaryOptions,
} from './terminal-summary.js';
export { recommendationRows, type RecommendationRow } from './recommendations.js';
export {
  HTML_REPORT,
  MARKDOWN_REPORT,
  RECOMMENDATIONS_FILE,
  RESULTS_FILE,
  RunDirectoryError,
  loadRunDirectory,
  writeReports,
  type LoadedRun,
  type WrittenReports,
} from './write-reports.js';
export { renderComparePage, type ComparedMetric, type ComparedRuns } from './compare-page.js';
export { backlogLines, exclusionLines, exclusionSummary, sizingLimitLines } from './measurement-notes.js';
