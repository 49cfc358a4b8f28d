/** Worker: loads an index, times one-query-at-a-time search and a threaded batch search. */
import { performance } from 'node:perf_hooks';
import type { BackendChoice } from '../backends/select.js';
import { DataError, UsageError } from '../errors.js';
import type { VectorFormat } from '../formats/detect.js';
import { VectorReader } from '../formats/vectors.js';
import { HnswIndex } from './hnsw.js';
import { IvfIndex } from './ivf.js';
import { loadIndex } from './load.js';
import { type Progress, serveTask } from '../tasks.js';

export interface SearchJob {
  indexPath: string;
  queriesPath: string;
  format?: VectorFormat;
  k: number;
  ef: number;
  /** 0: no re-scoring. */
  rerank: number;
  /** ivf: lists probed per query (default: 16, or nlist if fewer). */
  nprobe?: number;
  threads: number;
  backend: BackendChoice;
  /** ivf, native: map the index file instead of reading it. */
  mmap?: boolean;
  /** With mmap: drop the file from the page cache first. */
  cold?: boolean;
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
  /** ivf: the lists probed per query. */
  nprobe?: number;
  /** The process's resident memory (bytes) before loading, after loading, and after searching. */
  rss: { before: number; loaded: number; searched: number };
  fileBytes: number;
}

await serveTask<SearchJob, Progress, SearchRun>(async (job, emit) => {
  const progress = (done: number, total: number, stage?: string) => emit({ done, total, stage });
  const before = process.memoryUsage.rss();
  const { index, fileBytes } = await loadIndex(job.indexPath, job.backend, { mmap: job.mmap, cold: job.cold });
  const loaded = process.memoryUsage.rss();
  const reader = await VectorReader.open(job.queriesPath, job.format);
  const { dim, count: m } = reader.info;
  const queries = new Float32Array(m * dim);
  try {
    await reader.read(0, m, queries);
  } finally {
    await reader.close();
  }
  if (dim !== index.dim) throw new DataError(`${job.queriesPath}: queries have dimension ${dim}, the index has ${index.dim}`);
  const coded = index instanceof HnswIndex || index instanceof IvfIndex ? index : undefined;
  if (job.rerank > 0 && !coded?.keepVectors) {
    const why = coded && coded.storage !== 'f32' ? `was built without --keep-vectors` : `measures exact float32 distances already (${index.type}, f32)`;
    throw new UsageError(`--rerank ${job.rerank}: ${job.indexPath} ${why}`);
  }
  const { k, ef, rerank } = job;
  if (index instanceof IvfIndex && job.nprobe !== undefined && job.nprobe > index.nlist) {
    throw new UsageError(`--nprobe ${job.nprobe}: ${job.indexPath} has ${index.nlist} lists`);
  }
  const nprobe = index instanceof IvfIndex ? (job.nprobe ?? Math.min(16, index.nlist)) : undefined;
  const latencies = new Float64Array(m);
  let distanceComputations = 0;
  for (let q = 0; q < m; q++) {
    const t0 = performance.now();
    distanceComputations += index.search(queries.subarray(q * dim, (q + 1) * dim), k, { ef, nprobe, rerank, threads: 1 }).distanceComputations;
    latencies[q] = performance.now() - t0;
    if ((q + 1) % 500 === 0 || q + 1 === m) progress(q + 1, m);
  }
  const t0 = performance.now();
  const batch = index.search(queries, k, { ef, nprobe, rerank, threads: job.threads, batch: true });
  const batchSeconds = (performance.now() - t0) / 1000;
  const rss = { before, loaded, searched: process.memoryUsage.rss() };
  const result: SearchRun = {
    ids: batch.ids,
    distances: batch.distances,
    latencies,
    batchSeconds,
    distanceComputations,
    queries: m,
    count: index.count,
    type: index.type,
    nprobe,
    rss,
    fileBytes,
  };
  return { result, transfer: [batch.ids.buffer, batch.distances.buffer, latencies.buffer] as ArrayBuffer[] };
});
