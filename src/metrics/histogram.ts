import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  JsHistogram,
  type Histogram,
} from 'hdr-histogram-js';

/**
 * Trend histograms record integer microseconds (HDR histograms count integers), so sub-millisecond
 * latencies keep their resolution; every figure that leaves this module is in milliseconds.
 */
export const HISTOGRAM_UNITS_PER_MS = 1000;

/** Significant decimal digits every trend histogram keeps (relative error ≤ 0.1 %). */
export const HISTOGRAM_SIGNIFICANT_DIGITS = 3;

export type { Histogram };

/** An empty, auto-resizing trend histogram (1 µs resolution, 3 significant digits). */
export function createHistogram(): Histogram {
  return build({ numberOfSignificantValueDigits: HISTOGRAM_SIGNIFICANT_DIGITS, autoResize: true });
}

/** Milliseconds → the histogram's integer unit. */
export function toHistogramUnits(ms: number): number {
  return Math.round(ms * HISTOGRAM_UNITS_PER_MS);
}

/** Base64 of the compressed (V2) HDR encoding: what results files and worker threads carry. */
export function encodeHistogram(histogram: Histogram): string {
  return encodeIntoCompressedBase64(histogram);
}

/** Decodes `encodeHistogram` output; throws on text that is not a compressed HDR histogram. */
export function decodeHistogram(encoded: string): Histogram {
  const histogram = decodeFromCompressedBase64(encoded);
  histogram.autoResize = true;
  return histogram;
}

/**
 * Merges encoded histograms (from windows, workers or runs) into one encoded histogram: the same counts as
 * recording every value into a single histogram. An empty list gives an empty histogram.
 */
export function mergeEncodedHistograms(encoded: readonly string[]): string {
  const merged = createHistogram();
  for (const text of encoded) merged.add(decodeHistogram(text));
  return encodeHistogram(merged);
}

/** The value at `percentile` (0–100) in milliseconds. */
export function percentileMs(histogram: Histogram, percentile: number): number {
  return histogram.getValueAtPercentile(percentile) / HISTOGRAM_UNITS_PER_MS;
}

/**
 * Several percentiles (0–100) in milliseconds in one pass over the counts, with the same rank rule as
 * `getValueAtPercentile` (which walks the counts once per call).
 */
export function percentilesMs(histogram: Histogram, percentiles: readonly number[]): number[] {
  if (!(histogram instanceof JsHistogram)) return percentiles.map((p) => percentileMs(histogram, p));
  const total = histogram.totalCount;
  const wanted = percentiles
    .map((percentile, slot) => ({ percentile, slot, rank: rankAt(percentile, total) }))
    .sort((a, b) => a.rank - b.rank);
  const values = percentiles.map(() => 0);
  let next = 0;
  let cumulative = 0;
  for (let index = 0; index < histogram.countsArrayLength && next < wanted.length; index++) {
    cumulative += histogram.getCountAtIndex(index);
    while (next < wanted.length && cumulative >= (wanted[next] as { rank: number }).rank) {
      const { percentile, slot } = wanted[next] as { percentile: number; slot: number };
      const value = histogram.valueFromIndex(index);
      const edge =
        percentile === 0 ? histogram.lowestEquivalentValue(value) : histogram.highestEquivalentValue(value);
      values[slot] = edge / HISTOGRAM_UNITS_PER_MS;
      next += 1;
    }
  }
  return values;
}

/** The count a percentile must reach: HdrHistogram's rounding (up, less one ulp), at least 1. */
function rankAt(percentile: number, total: number): number {
  const fp = (Math.min(percentile, 100) / 100) * total;
  const ulp = fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0;
  return Math.max(Math.ceil(fp - ulp), 1);
}
