/**
 * A small seeded generator (xorshift32) for data that must be the same in every run and on every
 * backend: benchmark inputs, synthetic datasets, samples.
 */
export function seeded(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64, the generator every seeded native component uses (crates/vectro-core/src/quant/rotation.rs). */
export class SplitMix64 {
  private state: bigint;

  constructor(seed: bigint) {
    this.state = seed & MASK64;
  }

  next(): bigint {
    this.state = (this.state + 0x9e3779b97f4a7c15n) & MASK64;
    let z = this.state;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
    return z ^ (z >> 31n);
  }

  /** A uniform float64 in [0, 1) from the top 53 bits, as the core's `(next >> 11) / 2^53`. */
  unit(): number {
    return Number(this.next() >> 11n) / 2 ** 53;
  }
}
