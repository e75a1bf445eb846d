/**
 * Did the write generator keep its open-loop schedule, and if not, whose fault was it?
 *
 * A transaction that starts late while a writer connection was free was late because of the generator (its
 * event loop, its timers): that voids the phase's write measurement. One that starts late because every
 * writer connection was still waiting for a commit measures the source database: a finding about the
 * source, not an invalid run. One late start is neither: a GC pause or a busy second core delays a few
 * arrivals in any run, so lateness is judged as a fraction of the arrivals, with enough arrivals to say so.
 */

/** At most this fraction of starts may be later than one inter-arrival gap. */
export const MAX_LATE_FRACTION = 0.01;
/** Below this many started transactions the fraction cannot be judged (1 % of 100 is one start). */
export const MIN_STARTS_TO_JUDGE = 100;
/** The achieved rate may fall this far below the scheduled one. */
export const MAX_RATE_SHORTFALL = 0.05;
/**
 * A start counts as late when later than one inter-arrival gap and than this: at 100 tx/s a start 15 ms late
 * (the fleet sharing the event loop) makes a pair of arrivals out of two, which no service measurement can
 * tell from Poisson arrivals; 50 ms is also the event-loop rule's threshold for the generator.
 */
export const MIN_LATE_GAP_MS = 50;
/** Significance of "more than 1 % of starts were late" (one-sided binomial test). */
const SIGNIFICANCE = 0.05;

export interface ScheduleCounts {
  /** Arrivals whose scheduled time came, and transactions that started. */
  scheduled: number;
  started: number;
  /** Starts later than `lateGapMs` with a writer connection free (the generator was late). */
  lateStarts: number;
  /** Starts later than `lateGapMs` that waited for a writer connection (the source was slow). */
  lateWhileBusy: number;
  lateGapMs: number;
  /** Dropped with a connection free (the generator stalled past maxLagMs) and while all were busy. */
  droppedFree: number;
  droppedWhileBusy: number;
  maxLagMs: number;
  targetRate: number;
  /** Arrivals per second the schedule asked for over its own length, and commits per second achieved. */
  scheduledRate: number;
  achievedRate: number;
  failed: number;
  commitP99Ms: number;
  /** Starts in the settle window (not judged). */
  settleStarts?: number;
}

export interface ScheduleVerdict {
  /** The generator was the bottleneck: the phase's writes do not measure the service. */
  behindSchedule: boolean;
  /** The source database did not keep up: the write level ran, but not as a sustained level. */
  sourceBackpressure?: string;
  /** The write level ran as asked (on schedule, no backpressure, rate achieved). */
  sustained: boolean;
  /** False when too few transactions started to judge lateness as a fraction. */
  judged: boolean;
  reason: string;
}

/** The verdict on one generator run's schedule; see the module comment for the rules. */
export function judgeSchedule(c: ScheduleCounts): ScheduleVerdict {
  const generator: string[] = [];
  const source: string[] = [];
  const judged = c.started >= MIN_STARTS_TO_JUDGE;
  const settle = c.settleStarts ? ` (${c.settleStarts} in the settle window not judged)` : '';
  const late = `later than ${round(c.lateGapMs)} ms (one inter-arrival gap)`;
  if (c.droppedFree > 0) {
    generator.push(
      `${c.droppedFree} of ${c.scheduled} transactions dropped with a writer connection free (the generator stalled over ${c.maxLagMs} ms)`,
    );
  }
  if (judged && significantlyAbove(c.lateStarts, c.started, MAX_LATE_FRACTION)) {
    generator.push(
      `${c.lateStarts} of ${c.started} starts (${pct(c.lateStarts / c.started)}) ${late} with a writer connection free${settle}; at most ${pct(MAX_LATE_FRACTION)} allowed`,
    );
  }
  if (c.droppedWhileBusy > 0) {
    source.push(
      `${c.droppedWhileBusy} of ${c.scheduled} transactions dropped while every writer connection was busy`,
    );
  }
  if (judged && significantlyAbove(c.lateWhileBusy, c.started, MAX_LATE_FRACTION)) {
    source.push(`${c.lateWhileBusy} of ${c.started} starts ${late} waiting for a writer connection`);
  }
  const shortfall = c.scheduledRate > 0 ? 1 - c.achievedRate / c.scheduledRate : 0;
  const rateShort = judged && shortfall > MAX_RATE_SHORTFALL;
  const rateText = `achieved ${round(c.achievedRate)} of ${round(c.scheduledRate)} tx/s scheduled`;
  if (rateShort && source.length > 0) source.push(rateText);
  else if (rateShort && c.failed > 0) source.push(`${rateText} (${c.failed} transactions failed)`);
  else if (rateShort && generator.length === 0) generator.push(`${rateText} with writer connections free`);

  const sourceBackpressure =
    source.length > 0
      ? `source commit p99 ${round(c.commitP99Ms)} ms: the source database did not keep up with ${round(c.targetRate)} tx/s (${source.join('; ')})`
      : undefined;
  const behindSchedule = generator.length > 0;
  const sustained = !behindSchedule && !sourceBackpressure && !rateShort;
  let reason: string;
  if (behindSchedule) reason = `generator behind schedule: ${generator.join('; ')}`;
  else if (sourceBackpressure) reason = sourceBackpressure;
  else if (!judged)
    reason = `too few transactions to judge the schedule (${c.started} started after the settle window, needs ${MIN_STARTS_TO_JUDGE}); none dropped`;
  else reason = `on schedule: ${c.lateStarts} of ${c.started} starts ${late}, none dropped, ${rateText}`;
  return { behindSchedule, ...(sourceBackpressure ? { sourceBackpressure } : {}), sustained, judged, reason };
}

/**
 * One-sided binomial test: is the true fraction above `p0`, given `k` of `n`? True when P(X ≥ k | n, p0) is
 * below the significance level. Summed in log space from k upwards until the terms vanish.
 */
export function significantlyAbove(k: number, n: number, p0: number): boolean {
  if (k <= n * p0) return false;
  return binomialUpperTail(k, n, p0) < SIGNIFICANCE;
}

export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  let logTerm = logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
  let sum = 0;
  for (let i = k; i <= n; i++) {
    const term = Math.exp(logTerm);
    sum += term;
    if (term < sum * 1e-12) break;
    logTerm += Math.log((n - i) / (i + 1)) + Math.log(p) - Math.log1p(-p);
  }
  return Math.min(1, sum);
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log((n - k + i) / i);
  return s;
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x < 0.1 ? 1 : 0)} %`;
}
