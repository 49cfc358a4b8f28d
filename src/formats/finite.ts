import { DataError } from '../errors.js';

/**
 * The sum of the squares of `x` in float64, in one branch-free pass of four sums. It is finite
 * exactly when every value is (a float32 squared is below 2^256, and no array is long enough for
 * such squares to reach float64's 2^1024), so one pass checks both finiteness and the norm bound.
 */
function sumOfSquares(x: Float32Array): number {
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
  return s0 + s1 + s2 + s3;
}

/** Index of the first NaN or infinite value of `x`, or -1: the pass above, and a search only when it finds one. */
export function firstNonFinite(x: Float32Array): number {
  if (Number.isFinite(sumOfSquares(x))) return -1;
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
  // A sum within the bound clears every row at once; past it, find the row (or the NaN or infinity).
  if (sumOfSquares(x) <= MAX_NORM_SQUARED) return undefined;
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
