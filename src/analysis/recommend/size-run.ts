import { writeArtifact } from '../../redact/index.js';
import type { Fit } from '../fits/fit-types.js';
import fs from 'node:fs';
import path from 'node:path';
import { CalibrationError, shapeDifferences, shapeOf, type Calibration } from '../calibration/calibration.js';
import { loadProfile } from './profile.js';
import { recommend, type Recommendations } from './recommend.js';
import { recommendationsCsv } from './recommendations-csv.js';
import { loadRunResults } from '../levels/run-results.js';
import { formatSummary } from './summary.js';

export const RECOMMENDATIONS_JSON = 'recommendations.json';
export const RECOMMENDATIONS_CSV = 'recommendations.csv';

/** Loads a run directory and a profile and sizes; throws RunInputError, ProfileError or InvalidRunError. */
export function sizeRun(
  runDir: string,
  profilePath: string,
  options: { calibrationPath?: string; force?: boolean } = {},
): { recommendations: Recommendations; text: string } {
  const run = loadRunResults(runDir);
  const profile = loadProfile(profilePath);
  const calibration = options.calibrationPath ? loadCalibration(options.calibrationPath) : undefined;
  if (calibration) {
    const differences = shapeDifferences(calibration.shape, shapeOf(run));
    if (differences.length > 0 && !options.force)
      throw new CalibrationError(
        `[SSCALE_C0001] the calibration does not fit this run's scenario shape: ${differences.join('; ')}. Make a calibration for this shape, or pass --force to apply it anyway.`,
      );
  }
  const recommendations = recommend(run, profile, { calibration });
  return { recommendations, text: formatSummary(recommendations) };
}

/** Writes `recommendations.json` and `recommendations.csv` into `dir`; returns their paths. */
export function writeRecommendations(dir: string, recommendations: Recommendations): string[] {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, RECOMMENDATIONS_JSON);
  const csv = path.join(dir, RECOMMENDATIONS_CSV);
  const fits = Object.fromEntries(
    Object.entries(recommendations.fits).map(([name, fit]) => [name, withBand(fit)]),
  );
  writeArtifact(json, `${JSON.stringify({ ...recommendations, fits }, jsonNumbers, 2)}\n`);
  writeArtifact(csv, recommendationsCsv(recommendations));
  return [json, csv];
}

/** NaN and ±Infinity are not JSON: write null. */
function jsonNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/**
 * The prediction band sampled over the measured range and a quarter beyond it, so reports can draw it
 * (the fit's predict function does not survive JSON).
 */
function withBand(fit: Fit): Fit & { band?: Array<{ x: number; value: number; low: number; high: number }> } {
  if (fit.refused || fit.points.length === 0) return fit;
  const xs = fit.points.map((p) => p.x);
  const from = Math.min(...xs);
  const to = Math.max(...xs) * 1.25;
  const band: Array<{ x: number; value: number; low: number; high: number }> = [];
  for (let i = 0; i <= 12; i++) {
    const x = from + ((to - from) * i) / 12;
    const predicted = fit.predict(x);
    if (predicted && [predicted.value, predicted.low, predicted.high].every(Number.isFinite)) {
      band.push({ x, value: predicted.value, low: predicted.low, high: predicted.high });
    }
  }
  return band.length > 1 ? { ...fit, band } : fit;
}

/** Reads a calibration.json written by `syncscale calibrate`. */
export function loadCalibration(file: string): Calibration {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CalibrationError(`[SSCALE_C0002] cannot read calibration ${file}: ${(error as Error).message}`);
  }
  if ((data as { kind?: unknown }).kind !== 'syncscale-calibration')
    throw new CalibrationError(`[SSCALE_C0002] ${file} is not a calibration written by syncscale calibrate`);
  return data as Calibration;
}
