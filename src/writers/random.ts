/**
 * A small seeded pseudo-random generator (sfc32, seeded through splitmix32) so that schedules, key choices and
 * payloads repeat exactly for a given seed. Not for cryptography.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Exponentially distributed with mean 1. */
  exponential(): number;
}

/** A generator for `seed`; distinct `stream` values give independent sequences from one seed. */
export function createRandom(seed: number, stream = 0): Random {
  const mix = splitmix32((Math.trunc(seed) ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0);
  return new Sfc32(mix(), mix(), mix(), mix());
}

class Sfc32 implements Random {
  constructor(
    private a: number,
    private b: number,
    private c: number,
    private d: number,
  ) {
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  next(): number {
    return this.nextUint32() / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  exponential(): number {
    return -Math.log1p(-this.next());
  }

  private nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
}

function splitmix32(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}
