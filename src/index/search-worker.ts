/** Worker: loads an index, times one-query-at-a-time search and a threaded batch search. */
import { parentPort, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import type { BackendChoice } from '../backends/select.js';
import { DataError, UsageError } from '../errors.js';
import type { VectorFormat } from '../formats/detect.js';
import { VectorReader } from '../formats/vectors.js';
import { HnswIndex } from './hnsw.js';
import { loadIndex } from './load.js';
import { serveWorker, type WorkerMessage } from './run-worker.js';

export interface SearchJob {
  indexPath: string;
  queriesPath: string;
  format?: VectorFormat;
  k: number;
  ef: number;
  /** 0: no re-scoring. */
  rerank: number;
  threads: number;
  backend: BackendChoice;
}

export interface SearchRun {
  ids: Uint32Array;
  distances: Float32Array;
  /** Milliseconds per query, one query per call on one thread. */
  latencies: Float64Array;
  batchSeconds: number;
  distanceComputations: number;
  queries: number;
  count: number;
  type: string;
}

const job = workerData as SearchJob;
await serveWorker<SearchRun>(
  (m: WorkerMessage<SearchRun>, transfer?: ArrayBuffer[]) => parentPort!.postMessage(m, transfer ?? []),
  async (progress) => {
    const { index } = await loadIndex(job.indexPath, job.backend);
    const reader = await VectorReader.open(job.queriesPath, job.format);
    const { dim, count: m } = reader.info;
    const queries = new Float32Array(m * dim);
    try {
      await reader.read(0, m, queries);
    } finally {
      await reader.close();
    }
    if (dim !== index.dim) throw new DataError(`${job.queriesPath}: queries have dimension ${dim}, the index has ${index.dim}`);
    if (job.rerank > 0 && !(index instanceof HnswIndex && index.keepVectors)) {
      const why = index instanceof HnswIndex && index.storage !== 'f32' ? `was built without --keep-vectors` : `measures exact float32 distances already (${index.type}, f32)`;
      throw new UsageError(`--rerank ${job.rerank}: ${job.indexPath} ${why}`);
    }
    const { k, ef, rerank } = job;
    const latencies = new Float64Array(m);
    let distanceComputations = 0;
    for (let q = 0; q < m; q++) {
      const t0 = performance.now();
      distanceComputations += index.search(queries.subarray(q * dim, (q + 1) * dim), k, { ef, rerank, threads: 1 }).distanceComputations;
      latencies[q] = performance.now() - t0;
      if ((q + 1) % 500 === 0 || q + 1 === m) progress(q + 1, m);
    }
    const t0 = performance.now();
    const batch = index.search(queries, k, { ef, rerank, threads: job.threads });
    const batchSeconds = (performance.now() - t0) / 1000;
    const result: SearchRun = { ids: batch.ids, distances: batch.distances, latencies, batchSeconds, distanceComputations, queries: m, count: index.count, type: index.type };
    return { result, transfer: [batch.ids.buffer, batch.distances.buffer, latencies.buffer] as ArrayBuffer[] };
  },
);
