/** Worker: builds an index from a vector file, chunk by chunk, and hands back its arrays. */
import type { BackendChoice } from '../backends/select.js';
import type { IndexMetricName } from '../distance/metrics.js';
import type { VectorFormat } from '../formats/detect.js';
import { VectorReader } from '../formats/vectors.js';
import { FlatIndex } from './flat.js';
import { CenterSum } from './center.js';
import type { IndexData, IndexType, Storage } from './format.js';
import { HnswIndex } from './hnsw.js';
import { IvfIndex, type IvfStorage } from './ivf.js';
import { type Progress, serveTask } from '../tasks.js';

export interface BuildJob {
  basePath: string;
  format?: VectorFormat;
  type: IndexType;
  metric: IndexMetricName;
  m: number;
  efConstruction: number;
  storage: Storage;
  keepVectors: boolean;
  seed: number;
  backend: BackendChoice;
  threads: number;
  /** ivf: lists, training sample (default 64 x nlist) and k-means iterations. */
  nlist?: number;
  trainSize?: number;
  iterations?: number;
}

/** Vectors per insert call: small enough for steady progress, large enough to amortise the call. */
const CHUNK = 2000;

await serveTask<BuildJob, Progress, IndexData>(async (job, emit) => {
  const progress = (done: number, total: number, stage?: string) => emit({ done, total, stage });
  const reader = await VectorReader.open(job.basePath, job.format);
  try {
    const { dim, count } = reader.info;
    const chunk = new Float32Array(Math.min(CHUNK, Math.max(count, 1)) * dim);
    /** Every chunk of the file, checked; `each` sees it after `done` vectors. */
    const pass = async (stage: string, each: (x: Float32Array) => void) => {
      for (let start = 0; start < count; start += CHUNK) {
        const n = Math.min(CHUNK, count - start);
        const x = chunk.subarray(0, n * dim);
        await reader.read(start, n, x);
        each(x);
        progress(start + n, count, stage);
      }
    };
    if (job.type === 'ivf') {
      // k-means samples rows from the whole file, so it is read first; then train and add in chunks.
      const all = new Float32Array(count * dim);
      const done = { rows: 0 };
      await pass('reading vectors', (x) => {
        all.set(x, done.rows * dim);
        done.rows += x.length / dim;
      });
      const index = IvfIndex.create({
        dim,
        metric: job.metric,
        nlist: job.nlist!,
        storage: job.storage as IvfStorage,
        keepVectors: job.keepVectors,
        seed: job.seed,
        trainSize: job.trainSize,
        iterations: job.iterations,
        backend: job.backend,
      });
      await index.addAsync(all, {
        threads: job.threads,
        onTrainStep: (s) => progress(s.iteration, s.iterations, `training k-means (objective ${s.objective.toPrecision(6)})`),
        onProgress: (d, t) => progress(d, t, 'adding'),
      });
      return transferable(index.toData());
    }
    let center: Float32Array | undefined;
    if (job.storage === 'binary' || job.storage.startsWith('rabitq')) {
      // The bits are taken against the mean of the whole file: a first pass (as `quantize --scheme binary`).
      const sum = new CenterSum(dim, job.metric === 'cosine');
      await pass('computing the center', (x) => sum.add(x));
      center = sum.mean();
    }
    const index =
      job.type === 'hnsw'
        ? HnswIndex.create({
            dim,
            metric: job.metric,
            m: job.m,
            efConstruction: job.efConstruction,
            seed: job.seed,
            backend: job.backend,
            storage: job.storage,
            keepVectors: job.keepVectors,
            center,
          })
        : FlatIndex.create({ dim, metric: job.metric, backend: job.backend });
    await pass('inserting', (x) => index.add(x, { threads: job.threads }));
    return transferable(index.toData());
  } finally {
    await reader.close();
  }
});

/** The index's arrays go to the parent thread without a copy. */
function transferable(data: IndexData): { result: IndexData; transfer: ArrayBuffer[] } {
  const arrays = [data.vectors, data.codes, data.scales, data.center, data.levels, data.links0, data.upper, data.centroids, data.sizes, data.ids];
  return { result: data, transfer: arrays.filter((a) => a !== undefined && a.byteLength > 0).map((a) => a!.buffer as ArrayBuffer) };
}
