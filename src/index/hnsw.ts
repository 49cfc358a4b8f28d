import { checkRows } from '../formats/finite.js';
import { nativeAddonFor, type BackendChoice } from '../backends/select.js';
import { INDEX_METRICS, type IndexMetricName } from '../distance/metrics.js';
import type { NativeAddon } from '../native/types.js';
import { indexFileBytes, STORAGES, storageScheme, writeIndex, type IndexData, type Storage } from './format.js';
import { rabitqBlock } from '../quant/rabitq.js';
import { encodeGraph } from './graph-codec.js';
import { CenterSum } from './center.js';
import { GUIDE_FROM_BYTES, JsHnsw } from './js-hnsw.js';
import { MAX_DIM } from '../quant/schemes.js';
import { rowsOf, type AddOptions, type AsyncAddOptions, type SearchOptions, type SearchResult, type VectorIndex } from './types.js';

export interface HnswOptions {
  dim: number;
  metric?: IndexMetricName;
  /** Links per node on the upper layers (M in the paper; 2M on the bottom layer). hnswlib: 16. */
  m?: number;
  /** Candidate list while inserting (efConstruction). hnswlib: 200. */
  efConstruction?: number;
  /** Seed of the level generator: one-thread builds with the same seed are identical. */
  seed?: number;
  /**
   * How vectors are stored and compared: `f32` (default), `int8` (the int8 scheme, distances on
   * the codes) or `binary` (the binary scheme's bits, hamming distance).
   */
  storage?: Storage;
  /** int8 and binary: also keep the float32 vectors, so that searches can `rerank` exactly. */
  keepVectors?: boolean;
  /**
   * binary and rabitq: the per-dimension center the codes are taken against. Default: the mean of
   * the vectors of the first `add` (cosine: of the normalised vectors), as `vectro quantize` does.
   * rabitq's rotation is seeded with `seed`.
   */
  center?: Float32Array;
  /**
   * f32 and rabitq storage: the float32 row bytes from which inserts search an int8 copy of the
   * rows, then choose neighbours on exact distances (the int8 guide; faster once the rows outgrow
   * the caches, with the same recall). Default 16 MiB; 0: every insert; Infinity: none. Not saved.
   */
  guideFromBytes?: number;
  backend?: BackendChoice;
}

/** What HnswIndex needs from an implementation: the Rust index or the TypeScript baseline. */
interface HnswEngine {
  readonly count: number;
  setCenter(center: Float32Array): void;
  /** See `HnswOptions.guideFromBytes` (a whole number of bytes, at most 2^53). */
  setGuideFrom(bytes: number): void;
  add(x: Float32Array, threads: number): void;
  /** Off the main thread where the engine can (native); undefined: run `add` between event-loop turns. */
  addAsync?(x: Float32Array, threads: number): Promise<void>;
  searchAsync?(
    queries: Float32Array,
    k: number,
    ef: number,
    rerank: number,
    threads: number,
  ): Promise<{ ids: Uint32Array; dists: Float32Array; count: number }>;
  /** Returns the distance computations made. */
  search(queries: Float32Array, k: number, ef: number, rerank: number, ids: Uint32Array, dists: Float32Array, threads: number): number;
  toData(): IndexData;
  /** Bytes of the index as a file. */
  fileBytes(): number;
}

class NativeHnsw implements HnswEngine {
  constructor(
    private readonly addon: NativeAddon,
    private readonly handle: unknown,
    private readonly metric: IndexMetricName,
    private readonly storage: Storage,
  ) {}

  get count(): number {
    return this.addon.hnswInfo(this.handle).count;
  }

  setCenter(center: Float32Array): void {
    this.addon.hnswSetCenter(this.handle, center);
  }

  setGuideFrom(bytes: number): void {
    this.addon.hnswSetGuideFrom(this.handle, bytes);
  }

  add(x: Float32Array, threads: number): void {
    this.addon.hnswAdd(this.handle, x, threads);
  }

  addAsync(x: Float32Array, threads: number): Promise<void> {
    return this.addon.hnswAddAsync(this.handle, x, threads);
  }

  searchAsync(queries: Float32Array, k: number, ef: number, rerank: number, threads: number) {
    return this.addon.hnswSearchAsync(this.handle, queries, k, ef, rerank, threads);
  }

  search(queries: Float32Array, k: number, ef: number, rerank: number, ids: Uint32Array, dists: Float32Array, threads: number): number {
    return this.addon.hnswSearch(this.handle, queries, k, ef, rerank, ids, dists, threads);
  }

  fileBytes(): number {
    const info = this.addon.hnswInfo(this.handle);
    // Only the graph is exported (empty arrays skip the vectors and codes): its encoding sets the size.
    const g = { m: info.m, levels: new Uint8Array(info.count), links0: new Uint32Array(info.links0), upper: new Uint32Array(info.upper) };
    const none = [new Float32Array(0), new Uint8Array(0), new Float32Array(0), new Float32Array(0)] as const;
    this.addon.hnswExport(this.handle, none[0], none[1], none[2], none[3], g.levels, g.links0, g.upper);
    const shape = { count: info.count, dim: info.dim, m: info.m, storage: this.storage, keepVectors: info.keepVectors === 1 };
    return indexFileBytes(shape, encodeGraph(g).length);
  }

  toData(): IndexData {
    const info = this.addon.hnswInfo(this.handle);
    const d: IndexData = {
      type: 'hnsw',
      metric: this.metric,
      storage: this.storage,
      keepVectors: info.keepVectors === 1,
      dim: info.dim,
      count: info.count,
      m: info.m,
      efConstruction: info.efConstruction,
      maxLevel: info.maxLevel,
      entry: info.entry,
      seedHigh: info.seedHigh,
      seedLow: info.seedLow,
      vectors: new Float32Array(info.vectors),
      codes: new Uint8Array(info.codes),
      scales: new Float32Array(info.scales),
      center: new Float32Array(info.center),
      levels: new Uint8Array(info.count),
      links0: new Uint32Array(info.links0),
      upper: new Uint32Array(info.upper),
    };
    this.addon.hnswExport(this.handle, d.vectors, d.codes, d.scales, d.center, d.levels, d.links0, d.upper);
    return d;
  }
}

/** A Hierarchical Navigable Small World index (crates/vectro-core/src/hnsw/, src/index/js-hnsw.ts). */
export class HnswIndex implements VectorIndex {
  readonly type = 'hnsw';

  private constructor(
    private readonly engine: HnswEngine,
    readonly metric: IndexMetricName,
    readonly dim: number,
    /** `native` or `js`. */
    readonly backend: string,
    readonly storage: Storage,
    /** Whether float32 vectors are kept beside int8 or binary codes (so searches can rerank). */
    readonly keepVectors: boolean,
    /** binary and rabitq: whether the center is set (else the first add computes it). */
    private centered: boolean,
    private readonly seed = 42,
  ) {}

  /** What the engine takes as its center: the mean itself (binary), or rabitq's block around it. */
  private centerBlock(mean: Float32Array): Float32Array {
    return this.storage.startsWith('rabitq') ? rabitqBlock(BigInt(this.seed), this.metric, mean) : mean;
  }

  static create(options: HnswOptions): HnswIndex {
    const { dim, metric = 'l2', m = 16, efConstruction = 200, seed = 42, storage = 'f32', keepVectors = false } = options;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a whole number from 0 to 2^53, got ${seed}`);
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) throw new RangeError(`dim must be between 1 and ${MAX_DIM}, got ${dim}`);
    if (!(storage in STORAGES)) throw new RangeError(`unknown storage '${storage}' (use ${Object.keys(STORAGES).join(', ')})`);
    const addon = nativeAddonFor(options.backend);
    let engine: HnswEngine;
    if (!addon) engine = new JsHnsw(dim, metric, storage, keepVectors, m, efConstruction, BigInt(seed));
    else {
      const handle = addon.hnswCreate(
        dim,
        INDEX_METRICS[metric],
        STORAGES[storage],
        keepVectors ? 1 : 0,
        m,
        efConstruction,
        Math.floor(seed / 2 ** 32),
        seed >>> 0,
      );
      engine = new NativeHnsw(addon, handle, metric, storage);
    }
    const { guideFromBytes = GUIDE_FROM_BYTES } = options;
    if (!(guideFromBytes >= 0)) throw new RangeError(`guideFromBytes must be a number of bytes, at least 0, got ${guideFromBytes}`);
    engine.setGuideFrom(Math.min(Math.floor(guideFromBytes), 2 ** 53));
    const centered = !storageScheme(storage)?.hasCenter || !!options.center;
    const index = new HnswIndex(engine, metric, dim, addon ? 'native' : 'js', storage, keepVectors, centered, seed);
    if (options.center) {
      if (!storageScheme(storage)?.hasCenter) throw new RangeError('only binary and rabitq storage take a center');
      if (options.center.length !== dim) throw new RangeError(`the center must hold ${dim} values, got ${options.center.length}`);
      engine.setCenter(index.centerBlock(options.center));
    }
    return index;
  }

  /** An index from file data (either backend reads files written by either); the graph is checked. */
  static fromData(d: IndexData, backend: BackendChoice = 'auto'): HnswIndex {
    const addon = nativeAddonFor(backend);
    if (!addon) return new HnswIndex(JsHnsw.fromData(d), d.metric, d.dim, 'js', d.storage, d.keepVectors, true);
    const handle = addon.hnswImport(
      d.dim,
      INDEX_METRICS[d.metric],
      STORAGES[d.storage],
      d.keepVectors ? 1 : 0,
      d.m,
      d.efConstruction,
      d.seedHigh,
      d.seedLow,
      d.vectors,
      d.codes,
      d.scales,
      d.center,
      d.levels,
      d.links0,
      d.upper,
      d.entry,
    );
    return new HnswIndex(new NativeHnsw(addon, handle, d.metric, d.storage), d.metric, d.dim, 'native', d.storage, d.keepVectors, true);
  }

  /** binary: before the first vectors go in, fixes the center to their mean (as the binary scheme). */
  private centerOn(x: Float32Array): void {
    if (this.centered || x.length === 0) return;
    const sum = new CenterSum(this.dim, this.metric === 'cosine');
    sum.add(x);
    this.engine.setCenter(this.centerBlock(sum.mean()));
    this.centered = true;
  }

  get count(): number {
    return this.engine.count;
  }

  /** Inserts the rows of `x` (read in place, not copied element by element). The js baseline uses one thread. */
  add(x: Float32Array, options: AddOptions = {}): void {
    rowsOf(x, this.dim, 'vectors');
    checkRows(x, this.dim, 'vectors');
    this.centerOn(x);
    this.engine.add(x, options.threads ?? 1);
  }

  /**
   * `add` without blocking the event loop: native inserts run on libuv's thread pool, chunk by
   * chunk (progress after each); the js baseline inserts a chunk between event-loop turns.
   * Sync calls on the index throw while it runs.
   */
  async addAsync(x: Float32Array, options: AsyncAddOptions = {}): Promise<void> {
    const n = rowsOf(x, this.dim, 'vectors');
    checkRows(x, this.dim, 'vectors');
    this.centerOn(x);
    const chunk = this.engine.addAsync ? 10_000 : 250;
    for (let start = 0; start < n; start += chunk) {
      const part = x.subarray(start * this.dim, Math.min(n, start + chunk) * this.dim);
      if (this.engine.addAsync) await this.engine.addAsync(part, options.threads ?? 1);
      else {
        await new Promise((resolve) => setImmediate(resolve));
        this.engine.add(part, 1);
      }
      options.onProgress?.(Math.min(n, start + chunk), n);
    }
  }

  /** `search` without blocking the event loop (native: on libuv's thread pool). */
  async searchAsync(queries: Float32Array, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    const { ef, rerank } = this.checkSearch(queries, k, options);
    if (this.engine.searchAsync) {
      const r = await this.engine.searchAsync(queries, k, ef, rerank, options.threads ?? 0);
      return { ids: r.ids, distances: r.dists, distanceComputations: r.count };
    }
    await new Promise((resolve) => setImmediate(resolve));
    return this.search(queries, k, options);
  }

  /** Checks a search's arguments; returns the query count, the ef and the rerank to use. */
  private checkSearch(queries: Float32Array, k: number, options: SearchOptions): { m: number; ef: number; rerank: number } {
    const m = rowsOf(queries, this.dim, 'queries');
    checkRows(queries, this.dim, 'queries');
    const ef = options.ef ?? Math.max(64, k);
    const rerank = options.rerank ?? 0;
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be at least 1, got ${k}`);
    if (!Number.isInteger(ef) || ef < k) throw new RangeError(`ef (${ef}) must be at least k (${k})`);
    if (!Number.isInteger(rerank) || rerank < 0) throw new RangeError(`rerank must be a whole number, got ${rerank}`);
    if (rerank > 0 && !this.keepVectors) {
      throw new RangeError(
        this.storage === 'f32'
          ? 'rerank applies to int8, binary and rabitq indexes (an f32 index measures exactly already)'
          : 'rerank needs the float32 vectors: build the index with keepVectors (--keep-vectors)',
      );
    }
    if (rerank > 0 && rerank < k) throw new RangeError(`rerank (${rerank}) must be at least k (${k})`);
    return { m, ef, rerank };
  }

  search(queries: Float32Array, k: number, options: SearchOptions = {}): SearchResult {
    const { m, ef, rerank } = this.checkSearch(queries, k, options);
    const ids = new Uint32Array(m * k);
    const distances = new Float32Array(m * k);
    const distanceComputations = this.engine.search(queries, k, ef, rerank, ids, distances, options.threads ?? 0);
    return { ids, distances, distanceComputations };
  }

  /** Bytes `save` would write, found without copying the vectors (native exports only the graph). */
  fileBytes(): number {
    return this.engine.fileBytes();
  }

  toData(): IndexData {
    return this.engine.toData();
  }

  save(path: string): Promise<number> {
    return writeIndex(path, this.toData());
  }
}
