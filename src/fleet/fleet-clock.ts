/**
 * Test-only: the fleet's clock reads this many ms ahead of the machine's (a negative value reads behind). It stands for a load-generator machine whose clock is off,
 * so the clock-offset correction can be proven on one machine. Never set it in a real run.
 */
export const CLOCK_SKEW_ENV = 'SYNCSCALE_TEST_CLOCK_SKEW_MS';

const skewMs = ((value: number) => (Number.isFinite(value) ? value : 0))(
  Number(process.env[CLOCK_SKEW_ENV] ?? 0),
);

/**
 * The fleet's wall clock (epoch ms). End-to-end latency compares it with row stamps the source database
 * wrote with its own clock, so the difference between the two clocks (measured by `measureClockOffset`) is
 * taken out before a latency is recorded.
 */
export function fleetClock(): number {
  return Date.now() + skewMs;
}

/** A Date.now() reading expressed on the fleet's clock. */
export function onFleetClock(dateNowMs: number): number {
  return dateNowMs + skewMs;
}

/** A fleet-clock reading expressed on Date.now()'s clock. */
export function fromFleetClock(fleetMs: number): number {
  return fleetMs - skewMs;
}
