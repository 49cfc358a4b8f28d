import { checkResults } from '../../evaluation/answers.js';
import { FlatIndex } from '../../index/flat.js';
import { buildWith, type BuiltIndex, type HnswParams } from '../peers.js';
import { seeded, type SuiteOptions } from '../suite.js';

/**
 * Contenders of the index suites, in table order. `native-int8` is the native backend with int8
 * storage and kept float32 vectors, searched with `rerank` = 2k; it runs whenever native does.
 */
export const HNSW_TARGETS = ['native', 'native-int8', 'js', 'hnswlib', 'usearch', 'faiss'] as const;

export interface HnswDataset {
  label: string;
  dim: number;
  base: Float32Array;
  queries: Float32Array;
  /** Exact 10 nearest neighbours of every query. */
  truth: Uint32Array;
}

/** Seeded clustered data (100 gaussian-ish clusters), base and queries from the same distribution. */
function clustered(count: number, dim: number, next: () => number, centers: Float32Array): Float32Array {
  const clusters = centers.length / dim;
  const x = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const c = Math.floor(next() * clusters);
    for (let j = 0; j < dim; j++) x[i * dim + j] = centers[c * dim + j] + (next() - 0.5) * 20;
  }
  return x;
}

const datasets = new Map<string, HnswDataset>();
const built = new Map<string, BuiltIndex>();

export function hnswDataset(count: number, dim: number, queries: number, seed: number): HnswDataset {
  const label = `${count}x${dim}`;
  let d = datasets.get(label);
  if (!d) {
    const next = seeded(seed);
    const centers = Float32Array.from({ length: 100 * dim }, () => next() * 100);
    const base = clustered(count, dim, next, centers);
    const q = clustered(queries, dim, next, centers);
    const exact = FlatIndex.create({ dim });
    exact.add(base);
    d = { label, dim, base, queries: q, truth: exact.search(q, 10).ids };
    datasets.clear(); // one size in memory at a time
    datasets.set(label, d);
  }
  return d;
}

/** M and efConstruction as hnswlib's defaults, the same for every contender. */
export const HNSW_PARAMS = { m: 16, efConstruction: 200 };

/** Builds (and remembers, for hnsw-search) a contender's index over a dataset. */
export async function buildIndex(target: string, d: HnswDataset, o: SuiteOptions, threads: number): Promise<BuiltIndex> {
  const params: HnswParams = { dim: d.dim, ...HNSW_PARAMS, seed: o.seed, threads };
  const index = await buildWith(target, d.base, params);
  if (threads === 1) built.set(`${target} ${d.label}`, index);
  return index;
}

/** The contender's one-thread index over the dataset, built now if hnsw-build did not. */
export async function builtIndex(target: string, d: HnswDataset, o: SuiteOptions): Promise<BuiltIndex> {
  return built.get(`${target} ${d.label}`) ?? buildIndex(target, d, o, 1);
}

export function sizesFor(o: SuiteOptions): { count: number; dim: number }[] {
  const dim = o.dim ?? 128;
  if (o.count) return [{ count: o.count, dim }];
  if (o.size === 'quick') return [{ count: 10_000, dim }];
  if (o.size === 'default') return [{ count: 100_000, dim }];
  return [1000, 10_000, 100_000].flatMap((count) =>
    o.dim
      ? [{ count, dim }]
      : [
          { count, dim: 128 },
          { count, dim: 768 },
        ],
  );
}

/** recall@k of `ids` (k per query) against the dataset's exact neighbours. */
export function recallOf(d: HnswDataset, ids: Uint32Array, k: number, contender: string): number {
  const nq = d.queries.length / d.dim;
  // A contender's answer is checked before it is scored (src/recall/answers.ts).
  checkResults(contender, ids, nq, k, d.base.length / d.dim);
  let hits = 0;
  for (let q = 0; q < nq; q++) {
    const truth = new Set(d.truth.subarray(q * k, (q + 1) * k));
    for (let j = 0; j < k; j++) if (truth.delete(ids[q * k + j])) hits++;
  }
  return hits / (nq * k);
}
