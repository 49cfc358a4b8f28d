import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Backend } from '../backends/backend.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { writeFileAtomic } from '../formats/atomic.js';
import { normaliseInto } from '../distance/normalise.js';
import { runWorker } from '../tasks.js';
import { seeded } from '../random.js';
import { dataDir, datasetCacheKey } from './cache.js';
import type { DifficultyJob } from './difficulty-worker.js';
import type { Dataset } from './resolve.js';

/**
 * How hard a dataset is for nearest-neighbour search, measured on a seeded sample of its queries
 * (docs/recall.md cites the definitions):
 * - relative contrast (He, Kumar and Chang, ICML 2012): a query's mean distance to the base over its
 *   nearest neighbour's distance, averaged over queries. Near 1, every point is about as far as the
 *   nearest: hard.
 * - local intrinsic dimensionality, the maximum-likelihood estimate over the k nearest neighbours
 *   (Levina and Bickel, NIPS 2004; as Amsaleg et al., KDD 2015, and Aumüller and Ceccarello, SISAP
 *   2019, use it for ANN datasets): `-1 / mean_i ln(d_i / d_k)`, i = 1..k. High: hard.
 * Distances are euclidean; cosine data is normalised first. Base vectors at distance 0 from a query
 * (the query itself, when queries come from the base) are left out.
 */
export const difficultySchema = z.object({
  /** Queries measured, and base vectors the mean distance is taken over. */
  queries: z.number().int(),
  base_sample: z.number().int(),
  relative_contrast: z.number(),
  lid_20: z.number(),
  lid_20_median: z.number(),
  /** NaN (null in JSON) when the base has fewer than 100 vectors. */
  lid_100: z.number().nullable(),
  seed: z.number().int(),
});
export type Difficulty = z.infer<typeof difficultySchema>;

/** Sample sizes: enough for two significant digits, small enough for a second or two at 1M vectors. */
export const DIFFICULTY_SAMPLE = { queries: 500, base: 10_000 };

/** `count` distinct indexes below `n`, in increasing order, drawn with `seed` (all of them when n <= count). */
export function sampleIndexes(n: number, count: number, seed: number): Uint32Array {
  if (n <= count) return Uint32Array.from({ length: n }, (_, i) => i);
  const next = seeded(seed);
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(next() * n));
  return Uint32Array.from([...picked].sort((a, b) => a - b));
}

/** The rows `idx` of `x`, copied (and normalised for cosine). */
export function gatherRows(x: Float32Array, dim: number, idx: Uint32Array, normalise: boolean): Float32Array {
  const out = new Float32Array(idx.length * dim);
  for (let r = 0; r < idx.length; r++) out.set(x.subarray(idx[r] * dim, (idx[r] + 1) * dim), r * dim);
  if (normalise) normaliseRows(out, dim);
  return out;
}

/** Every row of `x` scaled to unit length in place, as the indexes normalise for cosine. */
export function normaliseRows(x: Float32Array, dim: number): void {
  for (let at = 0; at < x.length; at += dim) normaliseInto(x, at, dim, x, at);
}

/** The maximum-likelihood LID from the k smallest positive distances `d` (ascending), or NaN. */
export function lidOf(d: Float64Array | number[], k: number): number {
  if (d.length < k || k < 2) return NaN;
  const dk = d[k - 1];
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.log(d[i] / dk);
  return s < 0 ? -k / s : NaN;
}

const median = (v: number[]) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;

/**
 * Measures `queries` (already sampled; normalised for cosine by the caller or here) against the
 * whole `base` (normalised here for cosine: pass a copy if it must stay as it is).
 */
export function measureDifficulty(
  base: Float32Array,
  queries: Float32Array,
  dim: number,
  metric: IndexMetricName,
  backend: Backend,
  threads: number,
  seed: number,
): Difficulty {
  const n = base.length / dim;
  const m = queries.length / dim;
  if (metric === 'cosine') {
    normaliseRows(base, dim);
    normaliseRows(queries, dim);
  }
  // 100 neighbours, plus a few to step over exact duplicates of the query.
  const k = Math.min(n, 110);
  const ids = new Uint32Array(m * k);
  const sq = new Float32Array(m * k);
  backend.flatSearch('l2', base, dim, queries, k, ids, sq, threads);
  const baseIdx = sampleIndexes(n, DIFFICULTY_SAMPLE.base, seed ^ 0xba5e);
  const sample = gatherRows(base, dim, baseIdx, false);
  const matrix = new Float32Array(m * baseIdx.length);
  backend.distanceMatrix('l2sq', queries, sample, dim, matrix, threads);
  const rc: number[] = [];
  const lid20: number[] = [];
  const lid100: number[] = [];
  for (let q = 0; q < m; q++) {
    const near: number[] = [];
    for (let j = 0; j < k && near.length < 100; j++) {
      const d = Math.sqrt(sq[q * k + j]);
      if (d > 0) near.push(d);
    }
    let sum = 0;
    let counted = 0;
    for (let j = 0; j < baseIdx.length; j++) {
      const d = Math.sqrt(matrix[q * baseIdx.length + j]);
      if (d > 0) {
        sum += d;
        counted++;
      }
    }
    if (near.length > 0 && counted > 0) rc.push(sum / counted / near[0]);
    const [l20, l100] = [lidOf(near, 20), lidOf(near, 100)];
    if (Number.isFinite(l20)) lid20.push(l20);
    if (Number.isFinite(l100)) lid100.push(l100);
  }
  return {
    queries: m,
    base_sample: baseIdx.length,
    relative_contrast: mean(rc),
    lid_20: mean(lid20),
    lid_20_median: median(lid20),
    lid_100: lid100.length > 0 ? mean(lid100) : null,
    seed,
  };
}

/** `RC 3.16, LID 15.6 (k=20; median 13.9), 14.4 (k=100)`, for table headers. */
export function describeDifficulty(d: Difficulty): string {
  const f = (v: number | null) => (v !== null && Number.isFinite(v) ? v.toFixed(v < 10 ? 2 : 1) : 'n/a');
  return `relative contrast ${f(d.relative_contrast)}, LID ${f(d.lid_20)} (k=20; median ${f(d.lid_20_median)}), ${f(d.lid_100)} (k=100), over ${d.queries} queries`;
}

/**
 * The difficulty of dataset `d`, measured in a worker thread the first time and cached in the data
 * folder (keyed by its files, the metric, the seed and the sample sizes).
 */
export async function datasetDifficulty(
  d: Dataset,
  options: { seed: number; threads: number; signal?: AbortSignal; onProgress?: (stage: string, done: number, total: number) => void },
): Promise<Difficulty> {
  const how = `difficulty\0${d.metric}\0${options.seed}\0${DIFFICULTY_SAMPLE.queries}\0${DIFFICULTY_SAMPLE.base}`;
  const path = join(dataDir(), 'difficulty', `${await datasetCacheKey(d, how)}.json`);
  // A cache file that does not parse (cut short, or written over) is a miss: it is measured again.
  const cached = await readFile(path, 'utf8')
    .then(
      (t) => difficultySchema.safeParse(JSON.parse(t)),
      () => undefined,
    )
    .catch(() => undefined);
  if (cached?.success) return cached.data;
  const job: DifficultyJob = { base: d.base, queries: d.queries, metric: d.metric, seed: options.seed, threads: options.threads };
  const result = await runWorker<Difficulty>(
    new URL('./difficulty-worker.js', import.meta.url),
    job,
    (done, total, stage) => options.onProgress?.(stage ?? 'difficulty', done, total),
    options.signal,
  );
  await mkdir(join(dataDir(), 'difficulty'), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(result, null, 2)}\n`);
  return result;
}
