import { nativeAddonFor, type BackendChoice } from '../backends/select.js';
import { INDEX_METRICS, type IndexMetricName } from '../distance/metrics.js';
import type { NativeAddon } from '../native/types.js';
import { MAX_DIM } from '../quant/schemes.js';
import { UsageError } from '../errors.js';
import { checkRows } from '../formats/finite.js';
import { indexFileBytes, readIndex, readIvfDirectory, STORAGES, writeIndex, type IndexData, type Storage } from './format.js';
import { JsIvf } from './js-ivf.js';
import { JsKMeans } from './js-kmeans.js';
import { rowsOf, type SearchOptions, type SearchResult, type VectorIndex } from './types.js';

/** How an IVF index stores its lists: float32 vectors, int8 codes, or RaBitQ codes of the residuals to the list centroids. */
export const IVF_STORAGES = [
  'f32',
  'int8',
  'rabitq1',
  'rabitq2',
  'rabitq3',
  'rabitq4',
  'rabitq5',
  'rabitq6',
  'rabitq7',
  'rabitq8',
] as const satisfies readonly Storage[];
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
  /** `f32` (default); `int8`: int8 codes of the vectors (as HNSW's); `rabitq1`..`rabitq8`: codes of each vector's residual to its list's centroid. */
  storage?: IvfStorage;
  /** int8, rabitq: keep the float32 vectors too, so that searches can `rerank` exactly. */
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
 * `nprobe`: lists scanned per query; `batch`: the grouped path; `rerank` (int8 or rabitq with kept
 * vectors): re-score up to this many candidates exactly (rabitq: RaBitQ's bound rule skips the hopeless ones).
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

/** What IvfIndex needs from an implementation: the Rust index or the TypeScript baseline. */
interface IvfEngine {
  readonly count: number;
  add(x: Float32Array, threads: number): void;
  /** Off the main thread where the engine can (native); undefined: `add` between event-loop turns. */
  addAsync?(x: Float32Array, threads: number): Promise<void>;
  /** Returns the distance computations made. */
  search(queries: Float32Array, k: number, nprobe: number, rerank: number, batch: boolean, ids: Uint32Array, dists: Float32Array, threads: number): number;
  parts(): Pick<IndexData, 'vectors' | 'codes' | 'scales' | 'centroids' | 'sizes' | 'ids'>;
}

/** k-means, one step at a time. */
interface Trainer {
  step(threads: number): Promise<{ objective: number; splits: number }>;
  centroids(): Float32Array;
}

const seedHalves = (seed: number) => [Math.floor(seed / 2 ** 32), seed >>> 0] as const;

class NativeIvf implements IvfEngine {
  constructor(
    private readonly addon: NativeAddon,
    private readonly handle: unknown,
  ) {}

  get count(): number {
    return this.addon.ivfInfo(this.handle).count;
  }

  get mapped(): boolean {
    return this.addon.ivfInfo(this.handle).mapped === 1;
  }

  add(x: Float32Array, threads: number): void {
    this.addon.ivfAdd(this.handle, x, threads);
  }

  addAsync(x: Float32Array, threads: number): Promise<void> {
    return this.addon.ivfAddAsync(this.handle, x, threads);
  }

  search(queries: Float32Array, k: number, nprobe: number, rerank: number, batch: boolean, ids: Uint32Array, dists: Float32Array, threads: number): number {
    return this.addon.ivfSearch(this.handle, queries, k, nprobe, rerank, batch ? 1 : 0, ids, dists, threads);
  }

  parts() {
    const info = this.addon.ivfInfo(this.handle);
    const p = {
      vectors: new Float32Array(info.vectors),
      codes: new Uint8Array(info.codes),
      scales: new Float32Array(info.params),
      centroids: new Float32Array(info.nlist * info.dim),
      sizes: new Uint32Array(info.nlist),
      ids: new Uint32Array(info.count),
    };
    this.addon.ivfExport(this.handle, p.centroids, p.sizes, p.ids, p.vectors, p.codes, p.scales);
    return p;
  }
}

/** The TypeScript baseline (js-ivf.ts): searches one query at a time whatever `batch` says. */
class JsIvfEngine implements IvfEngine {
  constructor(private readonly index: JsIvf) {}
  get count(): number {
    return this.index.count;
  }
  add(x: Float32Array): void {
    this.index.add(x);
  }
  search(queries: Float32Array, k: number, nprobe: number, rerank: number, _batch: boolean, ids: Uint32Array, dists: Float32Array): number {
    return this.index.search(queries, k, nprobe, rerank, ids, dists);
  }
  parts() {
    return this.index.parts();
  }
}

/**
 * An inverted-file index (crates/vectro-core/src/ivf/, src/index/js-ivf.ts): k-means lists of
 * float32 vectors or RaBitQ codes. It trains on the first vectors added (or on `train`'s).
 */
export class IvfIndex implements VectorIndex {
  readonly type = 'ivf';
  private engine: IvfEngine | undefined;

  private constructor(
    private readonly addon: NativeAddon | undefined,
    readonly metric: IndexMetricName,
    readonly dim: number,
    readonly nlist: number,
    readonly storage: IvfStorage,
    readonly keepVectors: boolean,
    private readonly seed: number,
    private readonly trainSize: number | undefined,
    private readonly iterations: number,
  ) {}

  /** `native` or `js`. */
  get backend(): string {
    return this.addon ? 'native' : 'js';
  }

  static create(options: IvfOptions): IvfIndex {
    const { dim, metric = 'l2', nlist, storage = 'f32', keepVectors = false, seed = 42, trainSize, iterations = DEFAULT_ITERATIONS } = options;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number from 0 to 2^53, got ${seed}`);
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw new RangeError(`dim must be between 1 and ${MAX_DIM}, got ${dim}`);
    if (!Number.isInteger(nlist) || nlist < 1) throw new RangeError(`nlist must be a whole number of at least 1, got ${nlist}`);
    if (!IVF_STORAGES.includes(storage)) throw new RangeError(`unknown IVF storage '${storage}' (use ${IVF_STORAGES.join(', ')})`);
    if (trainSize !== undefined && (!Number.isInteger(trainSize) || trainSize < nlist))
      throw new RangeError(`trainSize must be at least nlist (${nlist}), got ${trainSize}`);
    if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError(`iterations must be at least 1, got ${iterations}`);
    return new IvfIndex(nativeAddonFor(options.backend), metric, dim, nlist, storage, keepVectors && storage !== 'f32', seed, trainSize, iterations);
  }

  /** An index from file data (`readIndex` checked the sections; the engine checks them again). */
  static fromData(d: IndexData, backend: BackendChoice = 'auto'): IvfIndex {
    const addon = nativeAddonFor(backend);
    const storage = d.storage as IvfStorage;
    const index = new IvfIndex(addon, d.metric, d.dim, d.nlist!, storage, d.keepVectors, d.seedHigh * 2 ** 32 + d.seedLow, undefined, DEFAULT_ITERATIONS);
    index.engine = addon
      ? new NativeIvf(
          addon,
          addon.ivfImport(
            d.dim,
            INDEX_METRICS[d.metric],
            STORAGES[storage],
            d.keepVectors ? 1 : 0,
            d.seedHigh,
            d.seedLow,
            d.centroids!,
            d.sizes!,
            d.ids!,
            d.vectors,
            d.codes,
            d.scales,
          ),
        )
      : new JsIvfEngine(JsIvf.fromData(d));
    return index;
  }

  /**
   * Opens an IVF `.vidx` file. `mmap` (native backend): maps the file instead of reading it, so
   * an index larger than the free memory can be searched: the header and list directory (centroids,
   * sizes, ids) are read and checked now, against their own checksum; the lists are read from the
   * page cache when a query scans them, and are not checked (`vectro index verify` checks a whole
   * file). A file changed in place while mapped makes the next search an error (docs/index.md).
   * `cold` (with mmap, Linux) first drops the file from the page cache, so that searches read from
   * disk as they would for an index that does not fit in memory.
   */
  static async open(path: string, options: { mmap?: boolean; cold?: boolean; backend?: BackendChoice } = {}): Promise<IvfIndex> {
    if (options.cold && !options.mmap) throw new UsageError('cold applies to mapped indexes (mmap: true)');
    if (!options.mmap) {
      const d = await readIndex(path);
      if (d.type !== 'ivf') throw new UsageError(`${path} is a ${d.type} index, not an IVF one`);
      return IvfIndex.fromData(d, options.backend);
    }
    const addon = nativeAddonFor(options.backend ?? 'auto');
    if (!addon) throw new UsageError('mmap needs the native backend (the js baseline reads the whole index): build the addon, or open without mmap');
    const h = await readIvfDirectory(path);
    const at = (name: string) => h.layout.sections.find((s) => s.name === name)!.offset;
    const sections = Float64Array.from(['vectors', 'codes', 'scales', 'centroids', 'sizes', 'ids'], at);
    const handle = addon.ivfOpen(
      new TextEncoder().encode(path),
      h.dim,
      INDEX_METRICS[h.metric],
      STORAGES[h.storage],
      h.keepVectors ? 1 : 0,
      h.seedHigh,
      h.seedLow,
      h.nlist!,
      h.count,
      h.fileBytes,
      sections,
      options.cold ? 1 : 0,
    );
    const storage = h.storage as IvfStorage;
    const index = new IvfIndex(addon, h.metric, h.dim, h.nlist!, storage, h.keepVectors, h.seedHigh * 2 ** 32 + h.seedLow, undefined, DEFAULT_ITERATIONS);
    index.engine = new NativeIvf(addon, handle);
    return index;
  }

  /** Whether the lists are read from a mapped file (`open` with `mmap`). */
  get mapped(): boolean {
    return this.engine instanceof NativeIvf && this.engine.mapped;
  }

  get trained(): boolean {
    return this.engine !== undefined;
  }

  get count(): number {
    return this.engine?.count ?? 0;
  }

  private trainer(x: Float32Array, trainSize: number): Trainer {
    const { addon } = this;
    if (!addon) {
      const km = new JsKMeans(x, this.dim, this.nlist, trainSize, this.metric, BigInt(this.seed));
      return {
        step: async () => {
          await new Promise((resolve) => setImmediate(resolve));
          return km.step();
        },
        centroids: () => km.centroids,
      };
    }
    const km = addon.kmeansCreate(x, this.dim, this.nlist, trainSize, INDEX_METRICS[this.metric], ...seedHalves(this.seed));
    return { step: (threads) => addon.kmeansStepAsync(km, threads), centroids: () => addon.kmeansCentroids(km) };
  }

  /**
   * Trains the centroids with k-means on a seeded sample of `x`'s rows, one iteration per
   * event-loop turn (native: on libuv's thread pool), so progress shows and Ctrl-C stops between steps.
   */
  async train(x: Float32Array, options: { threads?: number; onTrainStep?: (step: TrainStep) => void } = {}): Promise<void> {
    const n = rowsOf(x, this.dim, 'training vectors');
    if (this.trained) throw new RangeError('the index is trained already');
    if (n < this.nlist) throw new RangeError(`nlist (${this.nlist}) must not exceed the number of vectors (${n}): k-means needs at least one vector per list`);
    checkRows(x, this.dim, 'training vectors');
    const trainer = this.trainer(x, Math.min(n, this.trainSize ?? TRAIN_PER_LIST * this.nlist));
    for (let i = 1; i <= this.iterations; i++) {
      const step = await trainer.step(options.threads ?? 0);
      options.onTrainStep?.({ iteration: i, iterations: this.iterations, ...step });
    }
    const centroids = trainer.centroids();
    this.engine = this.addon
      ? new NativeIvf(
          this.addon,
          this.addon.ivfCreate(this.dim, INDEX_METRICS[this.metric], STORAGES[this.storage], this.keepVectors ? 1 : 0, centroids, ...seedHalves(this.seed)),
        )
      : new JsIvfEngine(new JsIvf(this.dim, this.metric, this.storage, this.keepVectors, Float32Array.from(centroids), BigInt(this.seed)));
  }

  private trainedEngine(): IvfEngine {
    if (!this.engine) throw new RangeError('the IVF index is not trained: call train(x) first, or addAsync, which trains on the first vectors it gets');
    return this.engine;
  }

  /** Adds the rows of `x` (ids count, count + 1, ...). The index must be trained (see `addAsync`). */
  add(x: Float32Array, options: { threads?: number } = {}): void {
    rowsOf(x, this.dim, 'vectors');
    const engine = this.trainedEngine();
    checkRows(x, this.dim, 'vectors');
    engine.add(x, options.threads ?? 1);
  }

  /** `add` off the main thread (native) or between event-loop turns (js), in chunks with progress; an untrained index first trains on `x`. */
  async addAsync(x: Float32Array, options: IvfAddOptions = {}): Promise<void> {
    const n = rowsOf(x, this.dim, 'vectors');
    if (!this.trained) await this.train(x, options);
    const engine = this.trainedEngine();
    const chunk = engine.addAsync ? 100_000 : 10_000;
    for (let start = 0; start < n; start += chunk) {
      const part = x.subarray(start * this.dim, Math.min(n, start + chunk) * this.dim);
      if (engine.addAsync) await engine.addAsync(part, options.threads ?? 0);
      else {
        await new Promise((resolve) => setImmediate(resolve));
        this.add(part);
      }
      options.onProgress?.(Math.min(n, start + chunk), n);
    }
  }

  search(queries: Float32Array, k: number, options: IvfSearchOptions = {}): SearchResult {
    const m = rowsOf(queries, this.dim, 'queries');
    const engine = this.trainedEngine();
    const nprobe = options.nprobe ?? Math.min(16, this.nlist);
    const rerank = options.rerank ?? 0;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be at least 1, got ${k}`);
    if (!Number.isInteger(nprobe) || nprobe < 1 || nprobe > this.nlist)
      throw new RangeError(`nprobe must lie between 1 and nlist (${this.nlist}), got ${nprobe}`);
    if (!Number.isInteger(rerank) || rerank < 0) throw new RangeError(`rerank must be a whole number, got ${rerank}`);
    if (rerank > 0 && !this.keepVectors) {
      throw new RangeError(
        this.storage === 'f32'
          ? 'rerank applies to int8 and rabitq indexes (an f32 index measures exactly already)'
          : 'rerank needs the float32 vectors: build the index with keepVectors (--keep-vectors)',
      );
    }
    if (rerank > 0 && rerank < k) throw new RangeError(`rerank (${rerank}) must be at least k (${k})`);
    checkRows(queries, this.dim, 'queries');
    const ids = new Uint32Array(m * k);
    const distances = new Float32Array(m * k);
    const distanceComputations = engine.search(queries, k, nprobe, rerank, options.batch ?? false, ids, distances, options.threads ?? 0);
    return { ids, distances, distanceComputations };
  }

  /** Bytes `save` writes: the header, the centroids, list sizes, ids, and the vectors, codes and factors held. */
  fileBytes(): number {
    this.trainedEngine();
    return indexFileBytes({ count: this.count, dim: this.dim, m: 0, storage: this.storage, keepVectors: this.keepVectors, nlist: this.nlist }, 0);
  }

  toData(): IndexData {
    const parts = this.trainedEngine().parts();
    const [seedHigh, seedLow] = seedHalves(this.seed);
    return {
      type: 'ivf',
      metric: this.metric,
      storage: this.storage,
      keepVectors: this.keepVectors,
      dim: this.dim,
      count: this.count,
      m: 0,
      efConstruction: 0,
      maxLevel: 0,
      entry: -1,
      seedHigh,
      seedLow,
      center: new Float32Array(0),
      levels: new Uint8Array(0),
      links0: new Uint32Array(0),
      upper: new Uint32Array(0),
      nlist: this.nlist,
      ...parts,
    };
  }

  save(path: string): Promise<number> {
    return writeIndex(path, this.toData());
  }
}
