import type { Vectors } from '../distance/metrics.js';

/**
 * The functions the Rust addon exports (crates/vectro-node/src/lib.rs). Buffers are passed in and
 * written in place, so hot loops can reuse them; row counts are implied by buffer lengths.
 */
export interface NativeAddon {
  info(): { version: string; simd: string; simdSupported: string[]; threads: number };
  /** Returns the first row that could not be encoded, or -1. */
  encode(scheme: number, x: Float32Array, dim: number, center: Float32Array, codes: Uint8Array, params: Float32Array, threads: number): number;
  decode(scheme: number, codes: Uint8Array, params: Float32Array, center: Float32Array, dim: number, out: Float32Array, threads: number): void;
  /** Adds rows to `acc` (float64 per dimension); returns the first non-finite row, or -1. */
  columnSums(x: Float32Array, dim: number, acc: Float64Array): number;
  /** Accumulates `[sum|e|, max|e|, sum e^2, sum rel, rel rows]` of y against x. */
  errorStats(x: Float32Array, y: Float32Array, dim: number, acc: Float64Array): void;
  /** Element type from the array: Float32Array, Int8Array (int8) or Uint8Array (bits). */
  distancePair(metric: number, a: Vectors, b: Vectors): number;
  distanceMany(metric: number, query: Vectors, rows: Vectors, out: Float32Array, threads: number): void;
  distanceMatrix(metric: number, queries: Float32Array, base: Float32Array, dim: number, out: Float32Array, threads: number): void;
  topk(scores: Float32Array, k: number, idx: Uint32Array, dist: Float32Array): void;
  copy(src: Float32Array, dst: Float32Array): void;
  /** Exact k nearest neighbours of every query (metric ids: l2 0, ip 1, cosine 2). */
  flatSearch(metric: number, base: Float32Array, dim: number, queries: Float32Array, k: number, ids: Uint32Array, dists: Float32Array, threads: number): void;
  /** rabitq estimates and bounds from each query to each row (see Backend.rabitqEstimate); l2 is 0 or 1. */
  rabitqEstimate(
    bits: number,
    words: Float32Array,
    dim: number,
    queries: Float32Array,
    l2: number,
    codes: Uint8Array,
    params: Float32Array,
    eps0: number,
    dists: Float32Array,
    bounds: Float32Array,
    threads: number,
  ): void;
  /** FastScan packing and scan (see Backend.rabitqPack, Backend.rabitqScan); l2 is 0 or 1. */
  rabitqPack(bits: number, dim: number, codes: Uint8Array, out: Uint8Array): void;
  rabitqScan(
    bits: number,
    words: Float32Array,
    dim: number,
    queries: Float32Array,
    l2: number,
    packed: Uint8Array,
    params: Float32Array,
    eps0: number,
    dists: Float32Array,
    bounds: Float32Array,
    threads: number,
  ): void;
  /** storage ids: f32 0, int8 1, binary 2; keepVectors 0 or 1. */
  hnswCreate(dim: number, metric: number, storage: number, keepVectors: number, m: number, efConstruction: number, seedHigh: number, seedLow: number): unknown;
  /** Binary storage's per-dimension center, before the first add. */
  hnswSetCenter(handle: unknown, center: Float32Array): void;
  hnswSetGuideFrom(handle: unknown, bytes: number): void;
  hnswAdd(handle: unknown, x: Float32Array, threads: number): void;
  /** hnswAdd on libuv's thread pool (x is copied first). */
  hnswAddAsync(handle: unknown, x: Float32Array, threads: number): Promise<void>;
  hnswSearchAsync(
    handle: unknown,
    queries: Float32Array,
    k: number,
    ef: number,
    rerank: number,
    threads: number,
  ): Promise<{ ids: Uint32Array; dists: Float32Array; count: number }>;
  /** Returns the distance computations made. */
  hnswSearch(handle: unknown, queries: Float32Array, k: number, ef: number, rerank: number, ids: Uint32Array, dists: Float32Array, threads: number): number;
  /** Parameters, and the lengths of the arrays `hnswExport` fills. */
  hnswInfo(handle: unknown): {
    count: number;
    dim: number;
    metric: number;
    storage: number;
    keepVectors: number;
    m: number;
    efConstruction: number;
    maxLevel: number;
    entry: number;
    seedHigh: number;
    seedLow: number;
    vectors: number;
    codes: number;
    scales: number;
    center: number;
    links0: number;
    upper: number;
  };
  /** Fills each array sized as hnswInfo reports; an empty one is skipped (so the graph alone can be read). */
  hnswExport(
    handle: unknown,
    vectors: Float32Array,
    codes: Uint8Array,
    scales: Float32Array,
    center: Float32Array,
    levels: Uint8Array,
    links0: Uint32Array,
    upper: Uint32Array,
  ): void;
  hnswImport(
    dim: number,
    metric: number,
    storage: number,
    keepVectors: number,
    m: number,
    efConstruction: number,
    seedHigh: number,
    seedLow: number,
    vectors: Float32Array,
    codes: Uint8Array,
    scales: Float32Array,
    center: Float32Array,
    levels: Uint8Array,
    links0: Uint32Array,
    upper: Uint32Array,
    entry: number,
  ): unknown;
  /** k-means over a seeded sample of x's rows (cosine: normalised), for an IVF index's centroids. */
  kmeansCreate(x: Float32Array, dim: number, nlist: number, trainSize: number, metric: number, seedHigh: number, seedLow: number): unknown;
  /** One Lloyd iteration on libuv's thread pool: the objective before it, and the empty clusters split. */
  kmeansStepAsync(handle: unknown, threads: number): Promise<{ objective: number; splits: number }>;
  kmeansCentroids(handle: unknown): Float32Array;
  ivfCreate(dim: number, metric: number, storage: number, keepVectors: number, centroids: Float32Array, seedHigh: number, seedLow: number): unknown;
  ivfAdd(handle: unknown, x: Float32Array, threads: number): void;
  ivfAddAsync(handle: unknown, x: Float32Array, threads: number): Promise<void>;
  /** Returns the distance computations made; `grouped` (0/1) scans each list once for all the queries probing it. */
  ivfSearch(
    handle: unknown,
    queries: Float32Array,
    k: number,
    nprobe: number,
    rerank: number,
    grouped: number,
    ids: Uint32Array,
    dists: Float32Array,
    threads: number,
  ): number;
  /** Parameters, and the lengths of the arrays `ivfExport` fills. */
  ivfInfo(handle: unknown): {
    count: number;
    dim: number;
    metric: number;
    storage: number;
    keepVectors: number;
    nlist: number;
    seedHigh: number;
    seedLow: number;
    vectors: number;
    codes: number;
    params: number;
    mapped: number;
  };
  ivfExport(
    handle: unknown,
    centroids: Float32Array,
    sizes: Uint32Array,
    ids: Uint32Array,
    vectors: Float32Array,
    codes: Uint8Array,
    params: Float32Array,
  ): void;
  ivfImport(
    dim: number,
    metric: number,
    storage: number,
    keepVectors: number,
    seedHigh: number,
    seedLow: number,
    centroids: Float32Array,
    sizes: Uint32Array,
    ids: Uint32Array,
    vectors: Float32Array,
    codes: Uint8Array,
    params: Float32Array,
  ): unknown;
  /**
   * Maps an IVF `.vidx` file and opens the index over it (lists read on demand). `path` as UTF-8
   * bytes; `sections`: byte offsets of vectors, codes, params, centroids, sizes and ids; `cold` (0/1):
   * drop the file's pages from the page cache first.
   */
  ivfOpen(
    path: Uint8Array,
    dim: number,
    metric: number,
    storage: number,
    keepVectors: number,
    seedHigh: number,
    seedLow: number,
    nlist: number,
    count: number,
    fileBytes: number,
    sections: Float64Array,
    cold: number,
  ): unknown;
  /** One core's measured float32 FMA throughput, in GFLOP/s, over about `millis` ms. */
  peakGflops(millis: number): number;
}
