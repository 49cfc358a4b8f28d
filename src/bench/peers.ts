import { createRequire } from 'node:module';
import { writeIndex } from '../index/format.js';
import { HnswIndex } from '../index/hnsw.js';
import { FaissWorker } from '../peers/faiss.js';
import { savedBytes } from '../peers/scratch-file.js';
import { UsearchHnsw, type UsearchModule } from '../peers/usearch.js';

/**
 * HNSW contenders for the hnsw-build and hnsw-search suites: vectro's two backends and, when they
 * are installed (devDependencies), hnswlib-node and usearch, each used the way its users use it.
 */
export const PEER_NAMES = ['hnswlib', 'usearch'] as const;
export type PeerName = (typeof PEER_NAMES)[number];
const PACKAGES: Record<PeerName, string> = { hnswlib: 'hnswlib-node', usearch: 'usearch' };

const require = createRequire(import.meta.url);

/** The parts of hnswlib-node 3 that vectro uses. */
interface HnswlibModule {
  HierarchicalNSW: new (
    space: 'l2',
    dim: number,
  ) => {
    initIndex(maxElements: number, m: number, efConstruction: number, seed: number): void;
    addPoint(point: number[], label: number): void;
    setEf(ef: number): void;
    searchKnn(query: number[], k: number): { neighbors: number[] };
    writeIndexSync(path: string): void;
  };
}

type PeerModule = HnswlibModule | UsearchModule;

/** The peer's module, or the reason it cannot be used. */
export function loadPeer(name: PeerName): { ok: true; module: PeerModule } | { ok: false; reason: string } {
  try {
    return { ok: true, module: require(PACKAGES[name]) as PeerModule };
  } catch (err) {
    return { ok: false, reason: `${PACKAGES[name]} is not installed (${(err as Error).message.split('\n')[0]})` };
  }
}

export interface HnswParams {
  dim: number;
  m: number;
  efConstruction: number;
  seed: number;
  threads: number;
}

/** An index a contender built: one-query search, and its size on disk. */
export interface BuiltIndex {
  /** Sets the search width. */
  setEf(ef: number): void;
  /** One query, for contenders in this process (timed by the harness). */
  searchOne?(query: Float32Array, k: number, ids: Uint32Array): void;
  /** Every query, one call each, timed where the index lives (FAISS's worker): the seconds it measured. */
  searchEachTimed?(queries: Float32Array, k: number, ids: Uint32Array): Promise<number>;
  /** Bytes of the index as saved to a file. */
  bytes(): Promise<number>;
  /** The build's seconds as the contender measured them, where it runs in another process. */
  buildSeconds?: number;
}

/** FAISS's HNSW (IndexHNSWFlat) in its Python worker, with the same M and efConstruction. */
async function faissHnsw(base: Float32Array, p: HnswParams): Promise<BuiltIndex> {
  const worker = await FaissWorker.start();
  const built = await worker.build({ factory: `HNSW${p.m}`, metric: 'l2', base, dim: p.dim, efc: p.efConstruction, threads: p.threads });
  let ef = 64;
  const once = { min: 1, max: 1, minSeconds: 0, maxSeconds: 0, passSeconds: 1e9, passQueries: 1e12 };
  return {
    setEf: (e) => void (ef = e),
    async searchEachTimed(queries, k, ids) {
      const r = await worker.search({ queries, k, params: { efSearch: ef }, threads: 1, warmup: 0, passes: once });
      ids.set(r.ids);
      return r.timed / r.qps;
    },
    bytes: async () => built.index_bytes,
    buildSeconds: built.build_seconds,
  };
}

/** Whether the contender can spread one build over several threads. */
export function buildsWithThreads(name: string): boolean {
  return name === 'native' || name === 'native-int8' || name === 'usearch' || name === 'faiss';
}

/** Builds an index over `base` with contender `name` (native, js, hnswlib, usearch or faiss). */
export async function buildWith(name: string, base: Float32Array, p: HnswParams): Promise<BuiltIndex> {
  if (name === 'faiss') return faissHnsw(base, p);
  const n = base.length / p.dim;
  if (name === 'native' || name === 'js' || name === 'native-int8') {
    const int8 = name === 'native-int8';
    const backend = int8 ? 'native' : name;
    const index = HnswIndex.create({
      dim: p.dim,
      m: p.m,
      efConstruction: p.efConstruction,
      seed: p.seed,
      backend,
      storage: int8 ? 'int8' : 'f32',
      keepVectors: int8,
    });
    index.add(base, { threads: p.threads });
    let ef = 64;
    return {
      setEf: (e) => void (ef = e),
      searchOne: (q, k, ids) => ids.set(index.search(q, k, { ef, threads: 1, rerank: int8 ? 2 * k : 0 }).ids),
      // int8: the index as it is without its kept float32 vectors (what the codes and graph cost).
      bytes: () => savedBytes((path) => (int8 ? writeIndex(path, { ...index.toData(), keepVectors: false, vectors: new Float32Array(0) }) : index.save(path))),
    };
  }
  const peer = loadPeer(name as PeerName);
  if (!peer.ok) throw new Error(peer.reason);
  if (name === 'hnswlib') {
    const index = new (peer.module as HnswlibModule).HierarchicalNSW('l2', p.dim);
    index.initIndex(n, p.m, p.efConstruction, p.seed);
    // hnswlib-node takes plain arrays only: the copy is part of what its users pay.
    for (let i = 0; i < n; i++) index.addPoint(Array.from(base.subarray(i * p.dim, (i + 1) * p.dim)), i);
    return {
      setEf: (ef) => index.setEf(ef),
      searchOne: (q, k, ids) => ids.set(index.searchKnn(Array.from(q), k).neighbors),
      bytes: () => savedBytes((path) => index.writeIndexSync(path)),
    };
  }
  const index = UsearchHnsw.build(peer.module as UsearchModule, base, { ...p, metric: 'l2' });
  return {
    setEf: (ef) => index.setEf(ef),
    searchOne: (q, k, ids) => index.search(q, k, 1, ids),
    bytes: () => index.bytes(),
  };
}
