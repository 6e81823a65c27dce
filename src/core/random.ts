/**
 * A small, fast, seeded pseudo-random number generator used everywhere a run
 * must be reproducible: the train/valid/test split, batch shuffling, parameter
 * initialisation, dropout masks, scheduled sampling (teacher forcing) and the
 * sample-data generator.
 *
 * Algorithm: sfc32 ("Small Fast Chaotic", Chris Doty-Humphrey, from the
 * PractRand suite), 128 bits of state, passes PractRand/BigCrush. The 32-bit
 * seed is expanded into the four state words with splitmix32 so that nearby
 * seeds (1, 2, 3, …) give unrelated streams, and the first 12 outputs are
 * discarded as recommended for sfc32.
 */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** Spare standard-normal deviate from the last Box–Muller pair (or null). */
  private spare: number | null = null;

  /**
   * @param seed any finite number; it is reduced to a 32-bit integer
   *   (fractional parts are discarded). Equal seeds give identical streams.
   * @throws RangeError if the seed is not a finite number.
   */
  constructor(seed: number) {
    if (typeof seed !== 'number' || !Number.isFinite(seed)) {
      throw new RangeError(`Random seed must be a finite number (got ${String(seed)})`);
    }
    let s = Math.trunc(seed) >>> 0;
    const splitmix32 = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.a = splitmix32();
    this.b = splitmix32();
    this.c = splitmix32();
    this.d = splitmix32();
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Next raw 32-bit unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * Uniform integer in [0, n), without modulo bias (rejection sampling).
   * @throws RangeError unless n is an integer with 1 <= n <= 2^32.
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new RangeError(`Random.int(n) needs an integer 1 <= n <= 2^32 (got ${n})`);
    }
    // Largest multiple of n that fits in 2^32; draws at or above it are rejected.
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Standard normal deviate N(mean, std²) by the Box–Muller transform. */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Returns true with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** A uniformly chosen element of a non-empty array. @throws RangeError on an empty array. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('Random.pick needs a non-empty array');
    return items[this.int(items.length)];
  }

  /** Fisher–Yates shuffle of `a` in place; returns the same array. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    return a;
  }

  /**
   * The full generator state (JSON-serialisable), e.g. to store in a
   * checkpoint so that a resumed run continues the same stream. Restore with
   * {@link Random.fromState}.
   */
  getState(): RandomState {
    return { words: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0], spare: this.spare };
  }

  /**
   * A generator continuing exactly where the one that produced `state` was.
   * @throws RangeError if `state` is not what {@link Random.getState} returns.
   */
  static fromState(state: RandomState): Random {
    const ok =
      state !== null &&
      typeof state === 'object' &&
      Array.isArray(state.words) &&
      state.words.length === 4 &&
      state.words.every((x) => Number.isInteger(x) && x >= 0 && x < 4294967296) &&
      (state.spare === null || typeof state.spare === 'number');
    if (!ok) throw new RangeError('Random.fromState expects the {words, spare} object returned by getState()');
    const r = new Random(0);
    r.a = state.words[0] | 0;
    r.b = state.words[1] | 0;
    r.c = state.words[2] | 0;
    r.d = state.words[3] | 0;
    r.spare = state.spare;
    return r;
  }
}

/** Serialisable state of a {@link Random}: the four sfc32 words and the cached normal deviate. */
export interface RandomState {
  words: number[];
  spare: number | null;
}
