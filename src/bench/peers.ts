import { makeEngine, type RecallBackend } from '../evaluation/contenders.js';
import type { PassPlan } from '../peers/faiss.js';
import { parseSpec } from '../spec.js';

/**
 * The hnsw-build and hnsw-search suites' contenders: the engines of src/evaluation/contenders.ts
 * (the one list, which vectro recall measures too) over HNSW specs, plus `native-int8`: vectro's
 * int8 storage with its kept vectors re-scoring 2k candidates, whose size is counted without them.
 */
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

/** The suites' k: native-int8 re-scores 2k candidates. */
const K = 10;

/** One timed pass over every query, for engines that time themselves. */
const ONCE: PassPlan = { min: 1, max: 1, minSeconds: 0, maxSeconds: 0, passSeconds: 1e9, passQueries: 1e12 };

/** Builds an index over `base` with contender `name` (native, native-int8, js, hnswlib, usearch or faiss). */
export async function buildWith(name: string, base: Float32Array, p: HnswParams): Promise<BuiltIndex> {
  const int8 = name === 'native-int8';
  const config = parseSpec(`hnsw,m=${p.m},efc=${p.efConstruction}${int8 ? `,storage=int8,rerank=${2 * K}` : ''}`);
  const engine = makeEngine({ config, backend: (int8 ? 'native' : name) as RecallBackend, dim: p.dim, metric: 'l2', seed: p.seed });
  await engine.build(base, p.threads, () => undefined);
  let ef = 64;
  const { searchOne, timedSearch } = engine;
  return {
    setEf: (e) => void (ef = e),
    searchOne: searchOne && ((q, k, ids) => ids.set(searchOne(q, k, ef).ids)),
    searchEachTimed:
      timedSearch &&
      (async (queries, k, ids) => {
        const r = await timedSearch(queries, k, ef, 1, ONCE, 0);
        ids.set(r.ids);
        return r.timed / r.qps;
      }),
    bytes: () => (int8 && engine.codeBytes ? engine.codeBytes() : engine.bytes()),
    buildSeconds: engine.ownBuild?.().seconds,
  };
}
