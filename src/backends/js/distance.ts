import { checkMetric, cosineFrom, type MetricName, type Vectors } from '../../distance/metrics.js';

/** Popcount of every 16-bit value, for hamming distances. */
const POPCOUNT16 = (() => {
  const t = new Uint8Array(1 << 16);
  for (let i = 1; i < t.length; i++) t[i] = (i & 1) + t[i >> 1];
  return t;
})();

// float32 kernels: four accumulators (in float64, as JS numbers are), one pass.

export function l2sqF32(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const d0 = a[ao + i] - b[bo + i],
      d1 = a[ao + i + 1] - b[bo + i + 1];
    const d2 = a[ao + i + 2] - b[bo + i + 2],
      d3 = a[ao + i + 3] - b[bo + i + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < n; i++) {
    const d = a[ao + i] - b[bo + i];
    s0 += d * d;
  }
  return s0 + s1 + (s2 + s3);
}

export function dotF32(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[ao + i] * b[bo + i];
    s1 += a[ao + i + 1] * b[bo + i + 1];
    s2 += a[ao + i + 2] * b[bo + i + 2];
    s3 += a[ao + i + 3] * b[bo + i + 3];
  }
  for (; i < n; i++) s0 += a[ao + i] * b[bo + i];
  return s0 + s1 + (s2 + s3);
}

function manhattanF32(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0,
    s1 = 0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    s0 += Math.abs(a[ao + i] - b[bo + i]);
    s1 += Math.abs(a[ao + i + 1] - b[bo + i + 1]);
  }
  if (i < n) s0 += Math.abs(a[ao + i] - b[bo + i]);
  return s0 + s1;
}

function cosineF32(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let ab = 0,
    aa = 0,
    bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[ao + i],
      y = b[bo + i];
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return cosineFrom(ab, aa, bb);
}

// int8 kernels: exact integer sums (JS numbers are exact far past these magnitudes).

function l2sqI8(a: Int8Array, ao: number, b: Int8Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = a[ao + i] - b[bo + i];
    s += d * d;
  }
  return s;
}

function dotI8(a: Int8Array, ao: number, b: Int8Array, bo: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[ao + i] * b[bo + i];
  return s;
}

function cosineI8(a: Int8Array, ao: number, b: Int8Array, bo: number, n: number): number {
  return cosineFrom(dotI8(a, ao, b, bo, n), dotI8(a, ao, a, ao, n), dotI8(b, bo, b, bo, n));
}

function hamming(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): number {
  let s = 0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    s += POPCOUNT16[(a[ao + i] ^ b[bo + i]) | ((a[ao + i + 1] ^ b[bo + i + 1]) << 8)];
  }
  if (i < n) s += POPCOUNT16[a[ao + i] ^ b[bo + i]];
  return s;
}

type Kernel<T> = (a: T, ao: number, b: T, bo: number, n: number) => number;

const F32: Partial<Record<MetricName, Kernel<Float32Array>>> = { l2sq: l2sqF32, dot: dotF32, cosine: cosineF32, manhattan: manhattanF32 };
const I8: Partial<Record<MetricName, Kernel<Int8Array>>> = { l2sq: l2sqI8, dot: dotI8, cosine: cosineI8 };

function kernelFor(metric: MetricName, v: Vectors): Kernel<Vectors> {
  checkMetric(metric, v);
  const k = v instanceof Float32Array ? F32[metric] : v instanceof Int8Array ? I8[metric] : hamming;
  return k as Kernel<Vectors>;
}

export function distancePair(metric: MetricName, a: Vectors, b: Vectors): number {
  if (a.constructor !== b.constructor || a.length !== b.length) throw new RangeError('vectors differ in type or length');
  return Math.fround(kernelFor(metric, a)(a, 0, b, 0, a.length));
}

export function distanceMany(metric: MetricName, query: Vectors, rows: Vectors, out: Float32Array): void {
  const dim = query.length;
  if (query.constructor !== rows.constructor || rows.length !== out.length * dim) {
    throw new RangeError(`rows hold ${rows.length} values, ${out.length} distances of dim ${dim} need ${out.length * dim}`);
  }
  const k = kernelFor(metric, query);
  for (let j = 0, at = 0; j < out.length; j++, at += dim) out[j] = k(query, 0, rows, at, dim);
}

/** Base rows per block of the matrix: small enough to stay in cache while every query passes. */
const MATRIX_BLOCK = 256;

/** `out[i * n + j]`: l2sq and cosine from dot products and norms, as the native matrix does. */
export function distanceMatrix(metric: MetricName, queries: Float32Array, base: Float32Array, dim: number, out: Float32Array): void {
  const m = queries.length / dim;
  const n = base.length / dim;
  if (!Number.isInteger(m) || !Number.isInteger(n) || out.length !== m * n) throw new RangeError('matrix shapes do not fit');
  checkMetric(metric, queries);
  const norms = (x: Float32Array, rows: number) => Float64Array.from({ length: rows }, (_, r) => dotF32(x, r * dim, x, r * dim, dim));
  const qn = metric === 'l2sq' || metric === 'cosine' ? norms(queries, m) : undefined;
  const bn = qn ? norms(base, n) : undefined;
  const sum = metric === 'manhattan' ? manhattanF32 : dotF32;
  for (let j0 = 0; j0 < n; j0 += MATRIX_BLOCK) {
    const j1 = Math.min(n, j0 + MATRIX_BLOCK);
    for (let i = 0; i < m; i++) {
      const row = i * n;
      for (let j = j0; j < j1; j++) {
        const s = sum(queries, i * dim, base, j * dim, dim);
        out[row + j] = metric === 'l2sq' ? Math.max(qn![i] + bn![j] - 2 * s, 0) : metric === 'cosine' ? cosineFrom(s, qn![i], bn![j]) : s;
      }
    }
  }
}
