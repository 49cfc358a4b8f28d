import type { IndexMetricName } from '../distance/metrics.js';
import type { IndexData, IndexType } from './format.js';

export interface SearchOptions {
  /** HNSW search width (called ef in the paper); at least k. */
  ef?: number;
  /** Threads for batch search (0 = all cores). */
  threads?: number;
  /**
   * int8 and binary indexes built with kept vectors: re-score this many candidates (at least k)
   * with the float32 vectors and return the k nearest by exact distance. The search width is raised
   * to it if ef is smaller. 0 (default): distances on the codes.
   */
  rerank?: number;
  /** IVF: lists scanned per query (default: 16, or nlist if fewer). */
  nprobe?: number;
  /** IVF: group the queries by the lists they probe, so each list is read once for all of them. */
  batch?: boolean;
}

export interface AddOptions {
  /**
   * Threads to insert with (0 = all cores; default 1). One thread gives the same index for the same
   * input and seed; more threads insert concurrently, building a different but equally good graph.
   */
  threads?: number;
}

export interface AsyncAddOptions extends AddOptions {
  /** Called after each chunk with the vectors added so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface SearchResult {
  /** k ids per query, nearest first; 4294967295 where fewer than k were found. */
  ids: Uint32Array;
  distances: Float32Array;
  /** Distance computations made, in all (exact search: queries x count). */
  distanceComputations: number;
}

/** What every index kind offers. */
export interface VectorIndex {
  readonly type: IndexType;
  readonly metric: IndexMetricName;
  readonly dim: number;
  readonly count: number;
  add(x: Float32Array, options?: AddOptions): void;
  search(queries: Float32Array, k: number, options?: SearchOptions): SearchResult;
  toData(): IndexData;
  save(path: string): Promise<number>;
  /** Bytes `save` would write, found without copying the vectors. */
  fileBytes(): number;
}

/** Checks that `x` holds whole vectors of `dim`; returns how many. */
export function rowsOf(x: Float32Array, dim: number, what: string): number {
  if (!(x instanceof Float32Array)) throw new TypeError(`${what} must be a Float32Array`);
  if (x.length % dim !== 0) throw new RangeError(`${what} holds ${x.length} floats, not whole vectors of dimension ${dim}`);
  return x.length / dim;
}
