/** Worker: builds an index from a vector file, chunk by chunk, and hands back its arrays. */
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendChoice } from '../backends/select.js';
import { DataError } from '../errors.js';
import { describeNonFinite } from '../quant/pipeline.js';
import type { IndexMetricName } from '../distance/metrics.js';
import type { VectorFormat } from '../formats/detect.js';
import { VectorReader } from '../formats/vectors.js';
import { FlatIndex } from './flat.js';
import type { IndexData, IndexType } from './format.js';
import { HnswIndex } from './hnsw.js';
import { serveWorker, type WorkerMessage } from './run-worker.js';

export interface BuildJob {
  basePath: string;
  format?: VectorFormat;
  type: IndexType;
  metric: IndexMetricName;
  m: number;
  efConstruction: number;
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
      const index =
        job.type === 'hnsw'
          ? HnswIndex.create({ dim, metric: job.metric, m: job.m, efConstruction: job.efConstruction, seed: job.seed, backend: job.backend })
          : FlatIndex.create({ dim, metric: job.metric, backend: job.backend });
      const chunk = new Float32Array(Math.min(CHUNK, Math.max(count, 1)) * dim);
      for (let start = 0; start < count; start += CHUNK) {
        const n = Math.min(CHUNK, count - start);
        const x = chunk.subarray(0, n * dim);
        await reader.read(start, n, x);
        const bad = describeNonFinite(job.basePath, x, dim, start);
        if (bad) throw new DataError(bad);
        index.add(x, { threads: job.threads });
        progress(start + n, count);
      }
      const data = index.toData();
      return { result: data, transfer: [data.vectors.buffer, data.levels.buffer, data.links0.buffer, data.upper.buffer] as ArrayBuffer[] };
    } finally {
      await reader.close();
    }
  },
);
