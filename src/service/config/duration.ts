/**
 * The one place durations are parsed (house style: durations are strings such as `30s` or `5m`).
 * A duration is a non-negative decimal number followed by a unit: `ms`, `s`, `m` or `h`.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** `'250ms'` → 250, `'30s'` → 30 000, `'5m'` → 300 000, `'1h'` → 3 600 000. Throws on anything else. */
export function parseDuration(text: string): number {
  const match = typeof text === 'string' ? DURATION.exec(text.trim()) : null;
  if (!match) {
    throw new RangeError(
      `Invalid duration ${JSON.stringify(text)}: expected a number followed by ms, s, m or h (e.g. 30s, 250ms)`,
    );
  }
  const [, amount, unit] = match as unknown as [string, string, keyof typeof UNIT_MS];
  return Number(amount) * UNIT_MS[unit];
}
