/** Largest finite float32; `!(Math.abs(v) <= F32_MAX)` is true for NaN and ±Infinity. */
export const F32_MAX = 3.4028234663852886e38;

/**
 * Round half to even, what the SIMD conversion does. `Math.round` rounds halves up, so an exact
 * half that landed on an odd number steps back by one. `v` is a float32 value, so `r - v` is exact.
 */
export function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
