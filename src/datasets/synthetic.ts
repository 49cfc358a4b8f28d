import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { seeded } from '../bench/suite.js';
import { sweepStaleTemps, writeFileAtomic } from '../formats/atomic.js';
import { ensureSpace } from '../formats/space.js';
import { VectorWriter, writeIvecs } from '../formats/writers.js';
import { computeGroundTruth } from '../index/groundtruth.js';
import { stopIfAborted } from '../signals.js';
import { dataDir, MANIFEST, readManifest, type Manifest } from './cache.js';
import type { Dataset } from './resolve.js';
import { sha256File } from './verify.js';

export interface SyntheticOptions {
  n: number;
  dim: number;
  queries: number;
  seed: number;
}

export const SYNTHETIC_DEFAULTS: SyntheticOptions = { n: 100_000, dim: 128, queries: 1000, seed: 42 };
/** True neighbours stored per query (enough for recall@100). */
const TRUTH_K = 100;

/**
 * The shape shared by base and queries: cluster centres and a low-rank basis. SIFT descriptors are
 * non-negative whole numbers, clustered, with most of their variance in a few dozen directions; the
 * model draws each vector as a centre plus a low-rank gaussian plus a little isotropic noise, then
 * rounds and clips to 0..255. Its constants were set once so that vectro's HNSW recall curve on
 * 10,000 x 128 follows siftsmall's (docs/recall.md).
 */
const MODEL = { clusters: 16, rank: 8, centreScale: 28, lowRankScale: 34, noise: 5 };

interface Model {
  centres: Float32Array;
  basis: Float32Array;
}

function gaussian(next: () => number): () => number {
  return () => {
    const u = 1 - next(); // (0, 1]
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
  };
}

function makeModel(dim: number, seed: number): Model {
  const g = gaussian(seeded(seed ^ 0x5eed));
  const centres = new Float32Array(MODEL.clusters * dim);
  for (let i = 0; i < centres.length; i++) centres[i] = MODEL.centreScale * Math.abs(g());
  // Direction j of the basis has scale lowRankScale / sqrt(1 + j): a decaying spectrum.
  const basis = new Float32Array(MODEL.rank * dim);
  for (let j = 0; j < MODEL.rank; j++) {
    const s = MODEL.lowRankScale / Math.sqrt(1 + j);
    for (let d = 0; d < dim; d++) basis[j * dim + d] = s * g() / Math.sqrt(dim / 16);
  }
  return { centres, basis };
}

/** Rows of SIFT-like vectors from `model`, drawn with the random stream `g` into `out`. */
function drawRows(model: Model, dim: number, g: () => number, uniform: () => number, out: Float32Array): void {
  const rows = out.length / dim;
  const z = new Float64Array(MODEL.rank);
  for (let r = 0; r < rows; r++) {
    const c = Math.floor(uniform() * MODEL.clusters);
    for (let j = 0; j < MODEL.rank; j++) z[j] = g();
    const row = r * dim;
    for (let d = 0; d < dim; d++) {
      let v = model.centres[c * dim + d] + MODEL.noise * g();
      for (let j = 0; j < MODEL.rank; j++) v += z[j] * model.basis[j * dim + d];
      out[row + d] = Math.min(255, Math.max(0, Math.round(v)));
    }
  }
}

/** A seeded generator: `base(out)` then `queries(out)` fill arrays chunk by chunk, always the same for a seed. */
export function syntheticGenerator(dim: number, seed: number) {
  const model = makeModel(dim, seed);
  const stream = (salt: number) => {
    const uniform = seeded((seed * 2654435761 + salt) >>> 0);
    return { uniform, g: gaussian(uniform) };
  };
  const baseStream = stream(1);
  const queryStream = stream(2);
  return {
    base: (out: Float32Array) => drawRows(model, dim, baseStream.g, baseStream.uniform, out),
    queries: (out: Float32Array) => drawRows(model, dim, queryStream.g, queryStream.uniform, out),
  };
}

export const syntheticName = (o: SyntheticOptions) => `synthetic-${o.n}x${o.dim}-q${o.queries}-seed${o.seed}`;

const FILES = { base: 'synthetic_base.fbin', query: 'synthetic_query.fbin', truth: 'synthetic_groundtruth.ivecs' };

export interface GenerateHooks {
  onProgress?: (stage: string, done: number, total: number) => void;
  signal?: AbortSignal;
  threads: number;
}

/** Where the synthetic dataset for these options lives in the cache (whether or not it is made yet). */
export function syntheticDataset(o: SyntheticOptions): Dataset {
  const name = syntheticName(o);
  const dir = join(dataDir(), name);
  return { name, metric: 'l2', base: { path: join(dir, FILES.base) }, queries: { path: join(dir, FILES.query) }, truth: { path: join(dir, FILES.truth) } };
}

/** Bytes the generated files take: base and queries as .fbin, the true neighbours as .ivecs. */
export function syntheticBytes(o: SyntheticOptions): number {
  return 16 + (o.n + o.queries) * o.dim * 4 + o.queries * (Math.min(TRUTH_K, o.n) + 1) * 4;
}

/**
 * The synthetic dataset for these options, generated into the cache the first time (base, queries,
 * and the exact 100 nearest neighbours of every query), in a temporary folder renamed into place.
 */
export async function ensureSynthetic(o: SyntheticOptions, hooks: GenerateHooks): Promise<Dataset> {
  const dataset = syntheticDataset(o);
  const dir = join(dataDir(), dataset.name);
  if (await readManifest(dir)) return dataset;
  await mkdir(dataDir(), { recursive: true });
  await sweepStaleTemps(dataDir());
  await ensureSpace(dataDir(), syntheticBytes(o), `synthetic dataset ${dataset.name} (in ${dataDir()})`);
  const tmp = `${dir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    const gen = syntheticGenerator(o.dim, o.seed);
    await writeRows(join(tmp, FILES.base), o.dim, o.n, gen.base, 'generating base vectors', hooks);
    await writeRows(join(tmp, FILES.query), o.dim, o.queries, gen.queries, 'generating queries', hooks);
    const k = Math.min(TRUTH_K, o.n);
    const gt = await computeGroundTruth(join(tmp, FILES.base), join(tmp, FILES.query), {
      metric: 'l2', k, backend: 'auto', threads: hooks.threads, signal: hooks.signal,
      onProgress: (done, total) => hooks.onProgress?.('computing the ground truth', done, total),
    });
    await writeIvecs(join(tmp, FILES.truth), gt.ids, k);
    const manifest: Manifest = { name: dataset.name, source: `vectro synthetic generator (n ${o.n}, dim ${o.dim}, queries ${o.queries}, seed ${o.seed})`, created: new Date().toISOString(), files: [] };
    for (const file of Object.values(FILES)) {
      const { bytes, sha256 } = await sha256File(join(tmp, file));
      manifest.files.push({ name: file, bytes, sha256, verified: false });
    }
    await writeFileAtomic(join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
    return dataset;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Rows per generated chunk: progress and Ctrl-C are seen between chunks. */
const CHUNK = 16_384;

async function writeRows(path: string, dim: number, count: number, draw: (out: Float32Array) => void, stage: string, hooks: GenerateHooks): Promise<void> {
  const w = await VectorWriter.create(path, 'fbin', dim, count);
  try {
    const buf = new Float32Array(CHUNK * dim);
    for (let start = 0; start < count; start += CHUNK) {
      stopIfAborted(hooks.signal);
      const rows = buf.subarray(0, Math.min(CHUNK, count - start) * dim);
      draw(rows);
      await w.write(rows);
      hooks.onProgress?.(stage, start + rows.length / dim, count);
      await new Promise((r) => setImmediate(r));
    }
    await w.commit();
  } catch (err) {
    await w.abort();
    throw err;
  }
}
