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

/**
 * The largest euclidean norm vectro takes: 2^62 (about 4.6e18). Distances are computed in float32,
 * whose largest value is about 2^128; with every norm at most 2^62, a squared l2 distance is at most
 * (2 x 2^62)^2 = 2^126 and an inner product at most 2^124, so no metric can overflow to infinity.
 * The same bound holds for l2, ip and cosine (cosine's normalisation squares the norm too).
 */
export const MAX_NORM = 2 ** 62;
const MAX_NORM_SQUARED = MAX_NORM * MAX_NORM;

/** What is wrong with rows of `dim` values, as a row and a problem; undefined when nothing is. */
export function firstUnfitRow(x: Float32Array, dim: number): { row: number; dimension?: number; problem: string } | undefined {
  // One branch-free pass of squares in float64 (where float32 values cannot overflow): NaN or an
  // infinity makes the sum non-finite, and a sum within the bound clears every row at once.
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const whole = x.length & ~3;
  for (let i = 0; i < whole; i += 4) {
    s0 += x[i] * x[i];
    s1 += x[i + 1] * x[i + 1];
    s2 += x[i + 2] * x[i + 2];
    s3 += x[i + 3] * x[i + 3];
  }
  for (let i = whole; i < x.length; i++) s0 += x[i] * x[i];
  if (s0 + s1 + s2 + s3 <= MAX_NORM_SQUARED) return undefined;
  const at = firstNonFinite(x);
  if (at >= 0) return { row: Math.floor(at / dim), dimension: at % dim, problem: `is ${x[at]}` };
  for (let r = 0; r * dim < x.length; r++) {
    let sq = 0;
    for (let j = r * dim; j < (r + 1) * dim; j++) sq += x[j] * x[j];
    if (sq > MAX_NORM_SQUARED) return { row: r, problem: `has norm ${Math.sqrt(sq).toPrecision(3)}` };
  }
  return undefined;
}

/**
 * Where the first NaN or infinite value of `x` (rows of `dim`, the first being row `first`) is, or
 * the first vector whose norm is above MAX_NORM, said for users; undefined if none.
 */
export function describeNonFinite(source: string, x: Float32Array, dim: number, first = 0): string | undefined {
  const bad = firstUnfitRow(x, dim);
  if (!bad) return undefined;
  if (bad.dimension !== undefined) {
    return `${source}: vector ${first + bad.row}, dimension ${bad.dimension} ${bad.problem} (indexes from 0); vectro does not take NaN or infinite values`;
  }
  return `${source}: vector ${first + bad.row} ${bad.problem} (indexes from 0), above the 2^62 (4.61e18) vectro takes: its squared distances would overflow float32`;
}

/** Throws a DataError naming `source`, the vector and the dimension if `x` holds NaN, infinity or a norm above MAX_NORM. */
export function checkFinite(source: string, x: Float32Array, dim: number, first = 0): void {
  const bad = describeNonFinite(source, x, dim, first);
  if (bad) throw new DataError(bad);
}

/** The same check for the Node API: a RangeError that names the vector (`what`: "vectors", "queries"). */
export function checkRows(x: Float32Array, dim: number, what: string): void {
  const bad = firstUnfitRow(x, dim);
  if (!bad) return;
  if (bad.dimension !== undefined) throw new RangeError(`${what}: vector ${bad.row} holds NaN or infinite values`);
  throw new RangeError(`${what}: vector ${bad.row} ${bad.problem}, above the largest vectro takes (2^62): its squared distances would overflow float32`);
}
