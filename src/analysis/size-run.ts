import fs from 'node:fs';
import path from 'node:path';
import { loadProfile } from './profile.js';
import { recommend, type Recommendations } from './recommend.js';
import { recommendationsCsv } from './recommendations-csv.js';
import { loadRunResults } from './run-results.js';
import { formatSummary } from './summary.js';

export const RECOMMENDATIONS_JSON = 'recommendations.json';
export const RECOMMENDATIONS_CSV = 'recommendations.csv';

/** Loads a run directory and a profile and sizes; throws RunInputError, ProfileError or InvalidRunError. */
export function sizeRun(
  runDir: string,
  profilePath: string,
): { recommendations: Recommendations; text: string } {
  const run = loadRunResults(runDir);
  const profile = loadProfile(profilePath);
  const recommendations = recommend(run, profile);
  return { recommendations, text: formatSummary(recommendations) };
}

/** Writes `recommendations.json` and `recommendations.csv` into `dir`; returns their paths. */
export function writeRecommendations(dir: string, recommendations: Recommendations): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, RECOMMENDATIONS_JSON);
  const csv = path.join(dir, RECOMMENDATIONS_CSV);
  fs.writeFileSync(json, `${JSON.stringify(recommendations, jsonNumbers, 2)}\n`);
  fs.writeFileSync(csv, recommendationsCsv(recommendations));
  return [json, csv];
}

/** NaN and ±Infinity are not JSON: write null. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}
