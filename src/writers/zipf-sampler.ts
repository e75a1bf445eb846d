import type { Random } from './random.js';

/**
 * Zipf(s) ranks in [1, n] by rejection-inversion (Hörmann & Derflinger 1996, as in Apache Commons RNG):
 * O(1) expected time and no table, so `n` may change between draws (a growing key space).
 * P(k) ∝ 1 / k^s, for any exponent s > 0.
 */
export class ZipfSampler {
  private n = 0;
  private hIntegralX1 = 0;
  private hIntegralN = 0;
  private squeeze = 0;

  constructor(
    readonly exponent: number,
    private readonly random: Random,
  ) {
    checkZipfExponent(exponent);
  }

  /** A rank in [1, n]; rank 1 is the most frequent. */
  sample(n: number): number {
    if (n <= 1) return 1;
    if (n !== this.n) this.prepare(n);
    for (;;) {
      const u = this.hIntegralN + this.random.next() * (this.hIntegralX1 - this.hIntegralN);
      const x = this.hIntegralInverse(u);
      const k = Math.min(n, Math.max(1, Math.floor(x + 0.5)));
      if (k - x <= this.squeeze || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }

  private prepare(n: number): void {
    this.n = n;
    this.hIntegralX1 = this.hIntegral(1.5) - 1;
    this.hIntegralN = this.hIntegral(n + 0.5);
    this.squeeze = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  private h(x: number): number {
    return Math.exp(-this.exponent * Math.log(x));
  }

  private hIntegral(x: number): number {
    const logX = Math.log(x);
    return expm1OverX((1 - this.exponent) * logX) * logX;
  }

  private hIntegralInverse(x: number): number {
    const t = Math.max(-1, x * (1 - this.exponent));
    return Math.exp(log1pOverX(t) * x);
  }
}

/** Throws a RangeError unless `s` is a usable Zipf exponent (finite, > 0). */
export function checkZipfExponent(s: number): void {
  if (!Number.isFinite(s) || s <= 0)
    throw new RangeError(`zipf exponent must be a finite number > 0, got ${s}`);
}

/** log(1 + x) / x, accurate near 0. */
function log1pOverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** (exp(x) - 1) / x, accurate near 0. */
function expm1OverX(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}
