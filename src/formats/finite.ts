import { DataError } from '../errors.js';

/** Index of the first NaN or infinite value of `x`, or -1. (`v - v` is 0 for finite values only.) */
export function firstNonFinite(x: Float32Array): number {
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
