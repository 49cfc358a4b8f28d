/** Worker: builds an index from a vector file, chunk by chunk, and hands back its arrays. */
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendChoice } from '../backends/select.js';
import type { IndexMetricName } from '../distance/metrics.js';
import type { VectorFormat } from '../formats/detect.js';
import { VectorReader } from '../formats/vectors.js';
import { FlatIndex } from './flat.js';
import { CenterSum } from './center.js';
import type { IndexData, IndexType, Storage } from './format.js';
import { HnswIndex } from './hnsw.js';
import { serveWorker, type WorkerMessage } from './run-worker.js';

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
}

/** Vectors per insert call: small enough for steady progress, large enough to amortise the call. */
const CHUNK = 2000;

const job = workerData as BuildJob;
await serveWorker<IndexData>(
  (m: WorkerMessage<IndexData>, transfer?: ArrayBuffer[]) => parentPort!.postMessage(m, transfer ?? []),
  async (progress) => {
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
      let center: Float32Array | undefined;
      if (job.storage === 'binary' || job.storage.startsWith('rabitq')) {
        // The bits are taken against the mean of the whole file: a first pass (as `quantize --scheme binary`).
        const sum = new CenterSum(dim, job.metric === 'cosine');
        await pass('computing the center', (x) => sum.add(x));
        center = sum.mean();
      }
      const index =
        job.type === 'hnsw'
          ? HnswIndex.create({ dim, metric: job.metric, m: job.m, efConstruction: job.efConstruction, seed: job.seed, backend: job.backend, storage: job.storage, keepVectors: job.keepVectors, center })
          : FlatIndex.create({ dim, metric: job.metric, backend: job.backend });
      await pass('inserting', (x) => index.add(x, { threads: job.threads }));
      const data = index.toData();
      const arrays = [data.vectors, data.codes, data.scales, data.center, data.levels, data.links0, data.upper];
      return { result: data, transfer: arrays.map((a) => a.buffer as ArrayBuffer) };
    } finally {
      await reader.close();
    }
  },
);
