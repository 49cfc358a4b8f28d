/**
 * A small seeded generator (xorshift32) for data that must be the same in every run and on every
 * backend: benchmark inputs, synthetic datasets, samples.
 */
export function seeded(seed: number): () => number {
  let s = (seed >>> 0) || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}
