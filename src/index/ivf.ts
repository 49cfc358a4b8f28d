import { selectBackend, type BackendChoice } from '../backends/select.js';
import { INDEX_METRICS, type IndexMetricName } from '../distance/metrics.js';
import { loadNative } from '../native/loader.js';
import type { NativeAddon } from '../native/types.js';
import { MAX_DIM } from '../quant/schemes.js';
import { indexFileBytes, STORAGES, writeIndex, type IndexData, type Storage } from './format.js';
import { rowsOf, type SearchOptions, type SearchResult, type VectorIndex } from './types.js';

/** How an IVF index stores its lists: float32 vectors, or RaBitQ codes of the residuals to the list centroids. */
export const IVF_STORAGES = ['f32', 'rabitq1', 'rabitq2', 'rabitq3', 'rabitq4', 'rabitq5', 'rabitq6', 'rabitq7', 'rabitq8'] as const satisfies readonly Storage[];
export type IvfStorage = (typeof IVF_STORAGES)[number];

/** Lloyd iterations of k-means, as FAISS's IndexIVF trains its coarse quantizer. */
export const DEFAULT_ITERATIONS = 10;
/** Training vectors per list when `trainSize` is not given (FAISS samples up to 256 a list). */
export const TRAIN_PER_LIST = 64;

export interface IvfOptions {
  dim: number;
  metric?: IndexMetricName;
  /** Lists, the cells k-means splits the space into. About sqrt(n) to 16 sqrt(n) (docs/index.md). */
  nlist: number;
  /** `f32` (default), or `rabitq1`..`rabitq8`: codes of each vector's residual to its list's centroid. */
  storage?: IvfStorage;
  /** rabitq: keep the float32 vectors too, so that searches can `rerank` exactly. */
  keepVectors?: boolean;
  /** Seeds the training sample, k-means and rabitq's rotation. */
  seed?: number;
  /** Vectors k-means trains on, sampled from the first vectors added (default: 64 x nlist, or all there are). */
  trainSize?: number;
  /** Lloyd iterations (default 10). */
  iterations?: number;
  backend?: BackendChoice;
}

/**
 * `nprobe`: lists scanned per query; `batch`: the grouped path; `rerank` (rabitq with kept
 * vectors): re-score up to this many candidates exactly, RaBitQ's bound rule skipping the hopeless ones.
 */
export type IvfSearchOptions = Omit<SearchOptions, 'ef'>;

/** One k-means iteration, as training reports it. */
export interface TrainStep {
  iteration: number;
  iterations: number;
  /** Sum of squared distances from the training vectors to their centroids, before the step. */
  objective: number;
  /** Empty lists that took half of a large one. */
  splits: number;
}

export interface IvfAddOptions {
  threads?: number;
  onProgress?: (done: number, total: number) => void;
  /** Called after each k-means iteration when this add trains the index. */
  onTrainStep?: (step: TrainStep) => void;
}

/** An inverted-file index (crates/vectro-core/src/ivf/): k-means lists of float32 vectors or RaBitQ codes. */
export class IvfIndex implements VectorIndex {
  readonly type = 'ivf';
  private handle: unknown;

  private constructor(
    private readonly addon: NativeAddon,
    readonly metric: IndexMetricName,
    readonly dim: number,
    readonly nlist: number,
    readonly storage: IvfStorage,
    readonly keepVectors: boolean,
    private readonly seed: number,
    private readonly trainSize: number | undefined,
    private readonly iterations: number,
  ) {}

  readonly backend = 'native';

  static create(options: IvfOptions): IvfIndex {
    const { dim, metric = 'l2', nlist, storage = 'f32', keepVectors = false, seed = 42, trainSize, iterations = DEFAULT_ITERATIONS } = options;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number from 0 to 2^53, got ${seed}`);
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw new RangeError(`dim must be between 1 and ${MAX_DIM}, got ${dim}`);
    if (!Number.isInteger(nlist) || nlist < 1) throw new RangeError(`nlist must be a whole number of at least 1, got ${nlist}`);
    if (!IVF_STORAGES.includes(storage)) throw new RangeError(`unknown IVF storage '${storage}' (use ${IVF_STORAGES.join(', ')})`);
    if (trainSize !== undefined && (!Number.isInteger(trainSize) || trainSize < nlist)) throw new RangeError(`trainSize must be at least nlist (${nlist}), got ${trainSize}`);
    if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be at least 1, got ${iterations}`);
    if (selectBackend(options.backend ?? 'auto').name !== 'native') {
      throw new RangeError('the IVF index runs on the native backend only so far (no TypeScript baseline yet): build the addon (npm run build) or pick --backend native');
    }
    const load = loadNative();
    if (!load.ok) throw new RangeError(`the IVF index needs the native addon: ${load.reason}`);
    return new IvfIndex(load.addon, metric, dim, nlist, storage, keepVectors && storage !== 'f32', seed, trainSize, iterations);
  }

  /** An index from file data (`readIndex` checked the sections; the native side checks them again). */
  static fromData(d: IndexData, backend: BackendChoice = 'auto'): IvfIndex {
    if (selectBackend(backend).name !== 'native') throw new RangeError('the IVF index runs on the native backend only so far (no TypeScript baseline yet)');
    const load = loadNative();
    if (!load.ok) throw new RangeError(`the IVF index needs the native addon: ${load.reason}`);
    const storage = d.storage as IvfStorage;
    const seed = d.seedHigh * 2 ** 32 + d.seedLow;
    const index = new IvfIndex(load.addon, d.metric, d.dim, d.nlist!, storage, d.keepVectors, seed, undefined, DEFAULT_ITERATIONS);
    index.handle = load.addon.ivfImport(d.dim, INDEX_METRICS[d.metric], STORAGES[storage], d.keepVectors ? 1 : 0, d.seedHigh, d.seedLow, d.centroids!, d.sizes!, d.ids!, d.vectors, d.codes, d.scales);
    return index;
  }

  get trained(): boolean {
    return this.handle !== undefined;
  }

  get count(): number {
    return this.handle === undefined ? 0 : this.addon.ivfInfo(this.handle).count;
  }

  /**
   * Trains the centroids with k-means on a seeded sample of `x`'s rows, one iteration per
   * event-loop turn (on libuv's thread pool), so progress shows and Ctrl-C stops between steps.
   */
  async train(x: Float32Array, options: { threads?: number; onTrainStep?: (step: TrainStep) => void } = {}): Promise<void> {
    const n = rowsOf(x, this.dim, 'training vectors');
    if (this.trained) throw new RangeError('the index is trained already');
    if (n < this.nlist) throw new RangeError(`nlist (${this.nlist}) must not exceed the number of vectors (${n}): k-means needs at least one vector per list`);
    const trainSize = Math.min(n, this.trainSize ?? TRAIN_PER_LIST * this.nlist);
    const km = this.addon.kmeansCreate(x, this.dim, this.nlist, trainSize, INDEX_METRICS[this.metric], Math.floor(this.seed / 2 ** 32), this.seed >>> 0);
    for (let i = 1; i <= this.iterations; i++) {
      const step = await this.addon.kmeansStepAsync(km, options.threads ?? 0);
      options.onTrainStep?.({ iteration: i, iterations: this.iterations, ...step });
    }
    const centroids = this.addon.kmeansCentroids(km);
    this.handle = this.addon.ivfCreate(this.dim, INDEX_METRICS[this.metric], STORAGES[this.storage], this.keepVectors ? 1 : 0, centroids, Math.floor(this.seed / 2 ** 32), this.seed >>> 0);
  }

  /** Adds the rows of `x` (ids count, count + 1, ...). The index must be trained (see `addAsync`). */
  add(x: Float32Array, options: { threads?: number } = {}): void {
    rowsOf(x, this.dim, 'vectors');
    if (this.handle === undefined) throw new RangeError('the IVF index is not trained: call train(x) first, or addAsync, which trains on the first vectors it gets');
    this.addon.ivfAdd(this.handle, x, options.threads ?? 1);
  }

  /** `add` off the main thread, in chunks with progress; an untrained index first trains on `x`. */
  async addAsync(x: Float32Array, options: IvfAddOptions = {}): Promise<void> {
    const n = rowsOf(x, this.dim, 'vectors');
    if (!this.trained) await this.train(x, options);
    const chunk = 100_000;
    for (let start = 0; start < n; start += chunk) {
      await this.addon.ivfAddAsync(this.handle, x.subarray(start * this.dim, Math.min(n, start + chunk) * this.dim), options.threads ?? 0);
      options.onProgress?.(Math.min(n, start + chunk), n);
    }
  }

  search(queries: Float32Array, k: number, options: IvfSearchOptions = {}): SearchResult {
    const m = rowsOf(queries, this.dim, 'queries');
    if (this.handle === undefined) throw new RangeError('the IVF index is not trained and holds no vectors');
    const nprobe = options.nprobe ?? Math.min(16, this.nlist);
    const rerank = options.rerank ?? 0;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be at least 1, got ${k}`);
    if (!Number.isInteger(nprobe) || nprobe < 1 || nprobe > this.nlist) throw new RangeError(`nprobe must lie between 1 and nlist (${this.nlist}), got ${nprobe}`);
    if (!Number.isInteger(rerank) || rerank < 0) throw new RangeError(`rerank must be a whole number, got ${rerank}`);
    if (rerank > 0 && !this.keepVectors) {
      throw new RangeError(this.storage === 'f32' ? 'rerank applies to rabitq indexes (an f32 index measures exactly already)' : 'rerank needs the float32 vectors: build the index with keepVectors (--keep-vectors)');
    }
    if (rerank > 0 && rerank < k) throw new RangeError(`rerank (${rerank}) must be at least k (${k})`);
    const ids = new Uint32Array(m * k);
    const distances = new Float32Array(m * k);
    const distanceComputations = this.addon.ivfSearch(this.handle, queries, k, nprobe, rerank, options.batch ? 1 : 0, ids, distances, options.threads ?? 0);
    return { ids, distances, distanceComputations };
  }

  /** Bytes `save` writes: the header, the centroids, list sizes, ids, and the vectors, codes and factors held. */
  fileBytes(): number {
    if (this.handle === undefined) throw new RangeError('the IVF index is not trained and holds no vectors');
    const info = this.addon.ivfInfo(this.handle);
    const shape = { count: info.count, dim: info.dim, m: 0, storage: this.storage, keepVectors: this.keepVectors, nlist: info.nlist };
    return indexFileBytes(shape, 0);
  }

  toData(): IndexData {
    if (this.handle === undefined) throw new RangeError('the IVF index is not trained and holds no vectors');
    const info = this.addon.ivfInfo(this.handle);
    const d: IndexData = {
      type: 'ivf', metric: this.metric, storage: this.storage, keepVectors: this.keepVectors, dim: info.dim, count: info.count,
      m: 0, efConstruction: 0, maxLevel: 0, entry: -1, seedHigh: info.seedHigh, seedLow: info.seedLow,
      vectors: new Float32Array(info.vectors), codes: new Uint8Array(info.codes), scales: new Float32Array(info.params),
      center: new Float32Array(0), levels: new Uint8Array(0), links0: new Uint32Array(0), upper: new Uint32Array(0),
      nlist: info.nlist, centroids: new Float32Array(info.nlist * info.dim), sizes: new Uint32Array(info.nlist), ids: new Uint32Array(info.count),
    };
    this.addon.ivfExport(this.handle, d.centroids!, d.sizes!, d.ids!, d.vectors, d.codes, d.scales);
    return d;
  }

  save(path: string): Promise<number> {
    return writeIndex(path, this.toData());
  }
}
