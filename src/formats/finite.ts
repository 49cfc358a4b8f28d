import { DataError } from '../errors.js';

/**
 * Index of the first NaN or infinite value of `x`, or -1. Every reader of vectors runs this, so it
 * is a branch-free pass first (`v * 0` is 0 for finite values, NaN otherwise; four sums, about 3x a
 * per-value test) and a search for the culprit only when that pass finds one.
 */
export function firstNonFinite(x: Float32Array): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const whole = x.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    s0 += x[i] * 0;
    s1 += x[i + 1] * 0;
    s2 += x[i + 2] * 0;
    s3 += x[i + 3] * 0;
  }
  for (let i = whole; i < x.length; i++) s0 += x[i] * 0;
  if (s0 + s1 + s2 + s3 === 0) return -1;
  for (let i = 0; i < x.length; i++) if (x[i] - x[i] !== 0) return i;
  return -1;
}

/** Where the first NaN or infinite value of `x` (rows of `dim`, the first being row `first`) is, said for users; undefined if none. */
export function describeNonFinite(source: string, x: Float32Array, dim: number, first = 0): string | undefined {
  const at = firstNonFinite(x);
  if (at < 0) return undefined;
  return `${source}: vector ${first + Math.floor(at / dim)}, dimension ${at % dim} is ${x[at]} (indexes from 0); vectro does not take NaN or infinite values`;
}

/** Throws a DataError naming `source`, the vector and the dimension if `x` holds NaN or infinity. */
export function checkFinite(source: string, x: Float32Array, dim: number, first = 0): void {
  const bad = describeNonFinite(source, x, dim, first);
  if (bad) throw new DataError(bad);
}
