import { writeArtifactAsync } from '../redact/index.js';
import fs from 'node:fs/promises';
import path from 'node:path';
import { renderHtmlReport } from './html-report.js';
import { renderMarkdownReport } from './markdown-report.js';
import { parseRunResults, type RunResults } from './run-results.js';

export const RESULTS_FILE = 'results.json';
export const RECOMMENDATIONS_FILE = 'recommendations.json';
export const MARKDOWN_REPORT = 'report.md';
export const HTML_REPORT = 'report.html';

/** Why a run directory cannot be reported on: no results, or results that are not a run's. */
export class RunDirectoryError extends Error {
  constructor(
    message: string,
    readonly reason: 'no-results' | 'bad-results',
  ) {
    super(message);
    this.name = 'RunDirectoryError';
  }
}

export interface LoadedRun {
  results: RunResults;
  /** Parsed `recommendations.json`, when the directory has one. */
  recommendations?: unknown;
  /** Problems that did not stop the report (an unreadable `recommendations.json`). */
  warnings: string[];
}

export async function loadRunDirectory(dir: string): Promise<LoadedRun> {
  const resultsPath = path.join(dir, RESULTS_FILE);
  let text: string;
  try {
    text = await fs.readFile(resultsPath, 'utf8');
  } catch {
    throw new RunDirectoryError(`${resultsPath}: no results.json in this directory`, 'no-results');
  }
  let results: RunResults;
  try {
    results = parseRunResults(JSON.parse(text));
  } catch (error) {
    throw new RunDirectoryError(`${resultsPath}: ${(error as Error).message}`, 'bad-results');
  }
  const warnings: string[] = [];
  let recommendations: unknown;
  const recPath = path.join(dir, RECOMMENDATIONS_FILE);
  try {
    recommendations = JSON.parse(await fs.readFile(recPath, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      warnings.push(`${recPath} ignored: ${(error as Error).message}`);
    }
  }
  return { results, recommendations, warnings };
}

export interface WrittenReports {
  markdown: string;
  html: string;
  run: LoadedRun;
}

/** Regenerates `report.md` and `report.html` in a run directory from its saved results alone. */
export async function writeReports(dir: string): Promise<WrittenReports> {
  const run = await loadRunDirectory(dir);
  const { results, recommendations } = run;
  const markdown = path.join(dir, MARKDOWN_REPORT);
  const html = path.join(dir, HTML_REPORT);
  // A verification run (syncscale verify) carries its verdict: the report shows it first.
  const verifyMd = await fs.readFile(path.join(dir, 'verify.md'), 'utf8').catch(() => undefined);
  const md = renderMarkdownReport(results, recommendations);
  await writeArtifactAsync(markdown, verifyMd ? md.replace(/\n## /, `\n${verifyMd}\n## `) : md);
  const page = await renderHtmlReport(results, recommendations);
  await writeArtifactAsync(
    html,
    verifyMd ? page.replace(/<section /, `${verifySectionHtml(verifyMd)}\n<section `) : page,
  );
  return { markdown, html, run };
}

/** The verify verdict's Markdown table as an HTML panel (escaped; the table rendered as rows). */
function verifySectionHtml(md: string): string {
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const lines = md.split('\n');
  const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));
  const table = rows
    .map((r, i) => {
      const cells = r
        .split('|')
        .slice(1, -1)
        .map((c) => esc(c.trim()));
      const tag = i === 0 ? 'th' : 'td';
      return `<tr>${cells.map((c) => `<${tag}>${c}</${tag}>`).join('')}</tr>`;
    })
    .join('');
  const summary = lines.find((l) => l.startsWith('**')) ?? '';
  const pass = summary.startsWith('**PASS');
  return `<section class="panel ${pass ? 'valid' : 'invalid'}" data-panel="verify"><h2>Verify: the recommendation, run</h2><p>${esc(summary.replace(/\*\*/g, ''))}</p><table>${table}</table></section>`;
}
