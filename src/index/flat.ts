import { checkRows } from '../formats/finite.js';
import { selectBackend, type BackendChoice } from '../backends/select.js';
import type { Backend } from '../backends/backend.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { indexFileBytes, writeIndex, type IndexData } from './format.js';
import { rowsOf, type AddOptions, type SearchOptions, type SearchResult, type VectorIndex } from './types.js';

/** Exact search over every vector (both backends): the baseline and the ground truth. */
export class FlatIndex implements VectorIndex {
  readonly type = 'flat';
  private vectors = new Float32Array(0);
  private rows = 0;

  private constructor(
    private readonly backend: Backend,
    readonly metric: IndexMetricName,
    readonly dim: number,
  ) {}

  static create(options: { dim: number; metric?: IndexMetricName; backend?: BackendChoice }): FlatIndex {
    if (!Number.isInteger(options.dim) || options.dim < 1) throw new RangeError(`dim must be a whole number of at least 1, got ${options.dim}`);
    return new FlatIndex(selectBackend(options.backend ?? 'auto'), options.metric ?? 'l2', options.dim);
  }

  static fromData(d: IndexData, backend: BackendChoice = 'auto'): FlatIndex {
    const index = FlatIndex.create({ dim: d.dim, metric: d.metric, backend });
    index.add(d.vectors);
    return index;
  }

  get count(): number {
    return this.rows;
  }

  /** Appends the rows of `x` (copied once into the index's own growing buffer). */
  add(x: Float32Array, _options?: AddOptions): void {
    const n = rowsOf(x, this.dim, 'vectors');
    checkRows(x, this.dim, 'vectors');
    const needed = (this.rows + n) * this.dim;
    if (needed > this.vectors.length) {
      const grown = new Float32Array(Math.max(needed, this.vectors.length * 2));
      grown.set(this.vectors.subarray(0, this.rows * this.dim));
      this.vectors = grown;
    }
    this.vectors.set(x, this.rows * this.dim);
    this.rows += n;
  }

  search(queries: Float32Array, k: number, options: SearchOptions = {}): SearchResult {
    const m = rowsOf(queries, this.dim, 'queries');
    checkRows(queries, this.dim, 'queries');
    if (!Number.isInteger(k) || k < 1 || k > this.rows) throw new RangeError(`k must be between 1 and the number of vectors (${this.rows}), got ${k}`);
    const ids = new Uint32Array(m * k);
    const distances = new Float32Array(m * k);
    this.backend.flatSearch(this.metric, this.vectors.subarray(0, this.rows * this.dim), this.dim, queries, k, ids, distances, options.threads ?? 0);
    return { ids, distances, distanceComputations: m * this.rows };
  }

  fileBytes(): number {
    return indexFileBytes({ count: this.rows, dim: this.dim, m: 0, storage: 'f32', keepVectors: false }, 0);
  }

  toData(): IndexData {
    return {
      type: 'flat',
      metric: this.metric,
      storage: 'f32',
      keepVectors: false,
      dim: this.dim,
      count: this.rows,
      m: 0,
      efConstruction: 0,
      maxLevel: 0,
      entry: -1,
      seedHigh: 0,
      seedLow: 0,
      vectors: this.vectors.slice(0, this.rows * this.dim),
      codes: new Uint8Array(0),
      scales: new Float32Array(0),
      center: new Float32Array(0),
      levels: new Uint8Array(0),
      links0: new Uint32Array(0),
      upper: new Uint32Array(0),
    };
  }

  save(path: string): Promise<number> {
    return writeIndex(path, this.toData());
  }
}
