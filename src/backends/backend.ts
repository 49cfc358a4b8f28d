import type { IndexMetricName, MetricName, Vectors } from '../distance/metrics.js';
import type { Scheme } from '../quant/schemes.js';

export const BACKEND_NAMES = ['native', 'js'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/**
 * The operations every backend implements with identical results, bit for bit. Callers pass
 * output buffers, sized for the rows in `x` (see quant/schemes.ts), so hot loops reuse them.
 */
export interface Backend {
  readonly name: BackendName;
  /** Instruction set the kernels use: avx512, avx2, scalar; `js` for the TypeScript baseline. */
  readonly simd: string;
  /** Threads the backend can use (1 for js). */
  readonly maxThreads: number;
  /** Encodes rows; returns the first row that cannot be encoded (NaN, Inf, overflow), or -1. */
  encode(scheme: Scheme, x: Float32Array, dim: number, center: Float32Array, codes: Uint8Array, params: Float32Array, threads: number): number;
  decode(scheme: Scheme, codes: Uint8Array, params: Float32Array, center: Float32Array, dim: number, out: Float32Array, threads: number): void;
  /** Adds each row to `acc` (float64, in row order); returns the first non-finite row, or -1. */
  columnSums(x: Float32Array, dim: number, acc: Float64Array): number;
  /** Accumulates `[sum|e|, max|e|, sum e^2, sum ||e||/||x||, rows with ||x|| > 0]`, e = x - y. */
  errorStats(x: Float32Array, y: Float32Array, dim: number, acc: Float64Array): void;

  /** The distance between two vectors of the same type and length (see distance/metrics.ts). */
  distancePair(metric: MetricName, a: Vectors, b: Vectors): number;
  /** Distances from `query` to every row of `rows` (row-major, query.length wide). */
  distanceMany(metric: MetricName, query: Vectors, rows: Vectors, out: Float32Array, threads: number): void;
  /** float32 distance matrix, `out[i * n + j]` for query i and base row j. */
  distanceMatrix(metric: MetricName, queries: Float32Array, base: Float32Array, dim: number, out: Float32Array, threads: number): void;
  /** The k smallest scores and their indexes, ascending; ties to the smaller index; NaN last. */
  topk(scores: Float32Array, k: number, idx: Uint32Array, dist: Float32Array): void;
  /** A plain copy: the memory-bandwidth yardstick of the benchmarks. */
  copy(src: Float32Array, dst: Float32Array): void;
  /**
   * Exact k nearest base rows of every query, nearest first, ties to the smaller id;
   * `ids` and `dists` hold queries x k entries.
   */
  flatSearch(
    metric: IndexMetricName,
    base: Float32Array,
    dim: number,
    queries: Float32Array,
    k: number,
    ids: Uint32Array,
    dists: Float32Array,
    threads: number,
  ): void;
  /**
   * rabitqB's estimated distances, and their error bounds at `eps0`, from each query to each coded
   * row (`dists[q * rows + j]`): l2 when `l2`, else `1 - <x, q>`. `words` is the file-parameter
   * block; normalise queries first for cosine. Identical bits on both backends.
   */
  rabitqEstimate(
    bits: number,
    words: Float32Array,
    dim: number,
    queries: Float32Array,
    l2: boolean,
    codes: Uint8Array,
    params: Float32Array,
    eps0: number,
    dists: Float32Array,
    bounds: Float32Array,
    threads: number,
  ): void;
  /**
   * Packs row-major rabitqB codes into FastScan blocks of 32 rows (`out` holds
   * `rabitqPackedBytes(bits, dim, rows)` bytes), for `rabitqScan`.
   */
  rabitqPack(bits: number, dim: number, codes: Uint8Array, out: Uint8Array): void;
  /** `rabitqEstimate` over packed codes: the same values, bit for bit, faster; the rows are `params.length / 3`. */
  rabitqScan: Backend['rabitqEstimate'];
}

/** Slots of the `errorStats` accumulator. */
export const ERROR_STATS_LEN = 5;
