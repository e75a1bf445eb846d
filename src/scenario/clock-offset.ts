import type pg from 'pg';
import { fleetClock } from '../fleet/index.js';

/** The load generator's clock against the source database's, NTP-style. */
export interface ClockOffset {
  /** Fleet clock minus database clock (ms): positive when this machine reads ahead. */
  offsetMs: number;
  /** Half the round trip of the sample used: the true offset lies within ± this. */
  uncertaintyMs: number;
  /** Round trips measured. */
  samples: number;
  at: string;
}

/**
 * Several `clock_timestamp()` round trips to the source database; the sample with the shortest round trip
 * gives the offset (the database read its clock somewhere inside it, so the midpoint is off by at most half
 * the round trip). End-to-end latency compares the database's row stamps with the fleet's clock: this is
 * the difference taken out.
 */
export async function measureClockOffset(
  db: pg.Pool | pg.Client,
  samples = 9,
  clock: () => number = fleetClock,
): Promise<ClockOffset> {
  let best: { offset: number; rtt: number } | undefined;
  for (let i = 0; i < samples; i++) {
    const sent = clock();
    const { rows } = await db.query<{ ms: string }>(
      'SELECT (extract(epoch from clock_timestamp()) * 1000)::float8 AS ms',
    );
    const received = clock();
    const rtt = received - sent;
    const offset = (sent + received) / 2 - Number(rows[0]!.ms);
    if (!best || rtt < best.rtt) best = { offset, rtt };
  }
  return {
    offsetMs: best!.offset,
    uncertaintyMs: best!.rtt / 2,
    samples,
    at: new Date().toISOString(),
  };
}

/** "clock offset +5001.2 ms ± 0.4 ms against the source database (before the phases)". */
export function formatClockOffset(offset: ClockOffset, when: string): string {
  const sign = offset.offsetMs >= 0 ? '+' : '−';
  return `clock offset ${sign}${Math.abs(offset.offsetMs).toFixed(1)} ms ± ${offset.uncertaintyMs.toFixed(1)} ms against the source database (${when})`;
}
