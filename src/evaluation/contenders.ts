import { createRequire } from 'node:module';
import type { IndexMetricName } from '../distance/metrics.js';
import { writeIndex } from '../index/format.js';
import { INDEX_TYPES } from '../index/registry.js';
import { FaissWorker, sweptParameter, type FaissBuild, type PassPlan } from '../peers/faiss.js';
import { savedBytes } from '../peers/scratch-file.js';
import { UsearchHnsw, type UsearchModule } from '../peers/usearch.js';
import { toFaissFactory, type IndexSpec } from '../spec.js';

/**
 * The one list of contenders: vectro's two backends and its peers (hnswlib-node, usearch, FAISS),
 * each building an index from a spec (src/spec.ts) and searching it the way its users do. `vectro
 * recall` measures them in a child process each (recall/worker.ts); the bench suites time the same
 * engines (bench/peers.ts).
 */

/** The peers that are npm packages (devDependencies): loaded when installed, skipped with the reason otherwise. */
export const PEER_NAMES = ['hnswlib', 'usearch'] as const;
export type PeerName = (typeof PEER_NAMES)[number];
const PACKAGES: Record<PeerName, string> = { hnswlib: 'hnswlib-node', usearch: 'usearch' };

/** The peer's module, or the reason it cannot be used. */
export function loadPeer(name: PeerName): { ok: true; module: unknown } | { ok: false; reason: string } {
  try {
    return { ok: true, module: createRequire(import.meta.url)(PACKAGES[name]) };
  } catch (err) {
    return { ok: false, reason: `${PACKAGES[name]} is not installed (${(err as Error).message.split('\n')[0]})` };
  }
}

/** Whether the contender can spread one build over several threads. */
export function buildsWithThreads(name: string): boolean {
  return name === 'native' || name === 'native-int8' || name === 'usearch' || name === 'faiss';
}

/** Backends a recall run can measure: vectro's two, hnswlib-node and usearch for HNSW on float32, and FAISS (through its Python worker). */
export const RECALL_BACKENDS = ['native', 'js', 'hnswlib', 'usearch', 'faiss'] as const;
export type RecallBackend = (typeof RECALL_BACKENDS)[number];

export interface SearchOutcome {
  ids: Uint32Array;
  /** The distances, smaller first (every metric as a distance: l2 squared, 1 - a.b), where the backend gives them. */
  distances?: Float32Array;
  /** Distance computations made, or null where the backend does not count them. */
  computations: number | null;
}

/** What a timed search of all the queries gives: the ids, and the best pass's speed and latencies. */
export interface TimedSearch {
  ids: Uint32Array;
  distances?: Float32Array;
  qps: number;
  timed: number;
  latencies: Float64Array;
  computations: number | null;
  batchQps: number | null;
}

/** An index under test, whatever implements it. */
export interface Engine {
  build(base: Float32Array, threads: number, onProgress: (done: number, total: number) => void): Promise<void>;
  bytes(): Promise<number>;
  /** vectro's indexes with kept float32 vectors: the bytes without them (what the codes and graph cost). */
  codeBytes?(): Promise<number>;
  /** Build figures the engine measured itself, where the index lives in another process (FAISS). */
  ownBuild?(): { seconds: number; peakRss: number; threads: number };
  /** One query; undefined for engines that time themselves (`timedSearch`). */
  searchOne?(query: Float32Array, k: number, ef: number): SearchOutcome;
  /** All queries in one call on `threads` threads; undefined where the backend has none. */
  searchBatch?(queries: Float32Array, k: number, ef: number, threads: number): SearchOutcome;
  /** The whole measurement of one setting, run where the index lives (FAISS's worker), with the same passes. */
  timedSearch?(queries: Float32Array, k: number, ef: number, threads: number, passes: PassPlan, warmup: number): Promise<TimedSearch>;
  close?(): void;
}

/** Why `backend` cannot run `config`, or undefined when it can. */
export function unsupported(config: IndexSpec, backend: RecallBackend): string | undefined {
  if (config.type === 'faiss') return backend === 'faiss' ? undefined : 'faiss: configurations run on the faiss backend';
  if (backend === 'hnswlib' && (config.type !== 'hnsw' || config.storage !== 'f32')) return 'hnswlib-node only builds HNSW over float32 vectors';
  if (backend === 'usearch' && (config.type !== 'hnsw' || config.storage !== 'f32')) return "usearch runs vectro's hnsw configurations over float32 only";
  if (backend === 'faiss' && config.type === 'hnsw' && config.storage !== 'f32')
    return "FAISS runs vectro's hnsw configurations over float32 only (use faiss:HNSW16_SQ8 and the like for its own codes)";
  if (backend === 'faiss' && config.type === 'ivf' && config.storage !== 'f32')
    return "FAISS runs vectro's ivf configurations over float32 only (use faiss:IVF1024,RaBitQfs4,refine=5 and the like for its own codes)";
  return undefined;
}

/** The search parameter a configuration sweeps on a backend: HNSW's ef, IVF's nprobe, or none (exact search). */
export function sweepOf(config: IndexSpec, _backend: RecallBackend): 'ef' | 'nprobe' | undefined {
  if (config.type !== 'faiss') return INDEX_TYPES[config.type].sweep;
  const p = sweptParameter(toFaissFactory(config));
  return p === 'efSearch' ? 'ef' : p;
}

export interface EngineParams {
  config: IndexSpec;
  backend: RecallBackend;
  dim: number;
  metric: IndexMetricName;
  seed: number;
}

export function makeEngine(p: EngineParams): Engine {
  if (p.backend === 'hnswlib') return hnswlibEngine(p);
  if (p.backend === 'usearch') return usearchEngine(p);
  return p.backend === 'faiss' ? faissEngine(p) : vectroEngine(p);
}

/** FAISS in its Python worker: it builds, and it times its own searches with vectro's passes. */
function faissEngine({ config, dim, metric, backend }: EngineParams): Engine {
  const factory = toFaissFactory(config);
  const sweep = sweepOf(config, backend);
  let worker: FaissWorker | undefined;
  let built: FaissBuild | undefined;
  let buildThreads = 1;
  return {
    async build(base, threads, onProgress) {
      worker = await FaissWorker.start();
      buildThreads = threads;
      built = await worker.build({ factory, metric, base, dim, efc: config.efConstruction || undefined, refine: config.refine, threads });
      onProgress(base.length / dim, base.length / dim);
    },
    bytes: async () => built!.index_bytes,
    ownBuild: () => ({ seconds: built!.build_seconds, peakRss: built!.peak_rss_bytes, threads: buildThreads }),
    async timedSearch(queries, k, ef, threads, passes, warmup) {
      const params: Record<string, number> = sweep === 'ef' ? { efSearch: ef } : sweep === 'nprobe' ? { nprobe: ef } : {};
      const r = await worker!.search({ queries, k, params, threads, warmup, passes });
      // FAISS gives similarities for ip and cosine (larger first): as distances, 1 - s, smaller first.
      const distances = metric === 'l2' ? r.distances : r.distances.map((s) => 1 - s);
      return { ids: r.ids, distances, qps: r.qps, timed: r.timed, latencies: r.latencies, computations: null, batchQps: r.batchQps };
    },
    close: () => worker?.close(),
  };
}

/** vectro's index types, whichever the spec names (index/registry.ts): the sweep value goes to its parameter. */
function vectroEngine({ config, dim, metric, seed, backend }: EngineParams): Engine {
  if (config.type === 'faiss') throw new RangeError('a faiss: spec runs on the faiss backend');
  const entry = INDEX_TYPES[config.type];
  const index = entry.create(config, { dim, metric, seed, backend: backend as 'native' | 'js' });
  const options = (value: number, threads: number, batch: boolean) => ({
    ...(entry.sweep ? { [entry.sweep]: value } : {}),
    threads,
    rerank: config.rerank,
    batch,
  });
  const outcome = (r: { ids: Uint32Array; distances: Float32Array; distanceComputations: number }) => ({
    ids: r.ids,
    distances: r.distances,
    computations: r.distanceComputations,
  });
  return {
    async build(base, threads, onProgress) {
      if (index.addAsync) await index.addAsync(base, { threads, onProgress });
      else {
        index.add(base);
        onProgress(base.length / dim, base.length / dim);
      }
    },
    bytes: async () => index.fileBytes(),
    codeBytes: () => savedBytes((path) => writeIndex(path, { ...index.toData(), keepVectors: false, vectors: new Float32Array(0) })),
    searchOne: (q, k, value) => outcome(index.search(q, k, options(value, 1, false))),
    searchBatch: (qs, k, value, threads) => outcome(index.search(qs, k, options(value, threads, true))),
  };
}

/** The parts of hnswlib-node 3 a recall run uses. */
interface Hnswlib {
  HierarchicalNSW: new (
    space: 'l2' | 'ip' | 'cosine',
    dim: number,
  ) => {
    initIndex(maxElements: number, m: number, efConstruction: number, seed: number): void;
    addPoint(point: number[], label: number): void;
    setEf(ef: number): void;
    searchKnn(query: number[], k: number): { neighbors: number[]; distances: number[] };
    writeIndexSync(path: string): void;
  };
}

function hnswlibEngine({ config, dim, metric, seed }: EngineParams): Engine {
  const peer = loadPeer('hnswlib');
  if (!peer.ok) throw new Error(peer.reason);
  const lib = peer.module as Hnswlib;
  const index = new lib.HierarchicalNSW(metric, dim);
  let ef = -1;
  return {
    async build(base, _threads, onProgress) {
      const n = base.length / dim;
      index.initIndex(n, config.m, config.efConstruction, seed);
      // hnswlib-node takes plain arrays and has no threaded insert: that is what its users pay.
      for (let i = 0; i < n; i++) {
        index.addPoint(Array.from(base.subarray(i * dim, (i + 1) * dim)), i);
        if ((i + 1) % 5000 === 0 || i === n - 1) {
          onProgress(i + 1, n);
          await new Promise((r) => setImmediate(r));
        }
      }
    },
    bytes: () => savedBytes((path) => index.writeIndexSync(path)),
    searchOne(q, k, e) {
      if (e !== ef) index.setEf((ef = e));
      const r = index.searchKnn(Array.from(q), k);
      return { ids: Uint32Array.from(r.neighbors), distances: Float32Array.from(r.distances), computations: null };
    },
  };
}

/** usearch's HNSW over float32, with the configuration's M and efConstruction; a new ef reloads it (UsearchHnsw). */
function usearchEngine({ config, dim, metric }: EngineParams): Engine {
  const peer = loadPeer('usearch');
  if (!peer.ok) throw new Error(peer.reason);
  let index: UsearchHnsw | undefined;
  const outcome = (ids: Uint32Array) => ({ ids, computations: null });
  return {
    async build(base, threads, onProgress) {
      index = UsearchHnsw.build(peer.module as UsearchModule, base, { dim, metric, m: config.m, efConstruction: config.efConstruction, threads });
      onProgress(base.length / dim, base.length / dim);
    },
    bytes: () => index!.bytes(),
    searchOne(q, k, ef) {
      index!.setEf(ef);
      const ids = new Uint32Array(k);
      index!.search(q, k, 1, ids);
      return outcome(ids);
    },
    searchBatch(qs, k, ef, threads) {
      index!.setEf(ef);
      const ids = new Uint32Array((qs.length / dim) * k);
      index!.search(qs, k, threads, ids);
      return outcome(ids);
    },
  };
}
