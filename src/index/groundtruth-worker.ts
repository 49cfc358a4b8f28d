/** Worker side of `computeGroundTruth`: reads both files, searches block by block, posts progress. */
import { selectBackend } from '../backends/select.js';
import { DataError, VectroError } from '../errors.js';
import { VectorReader } from '../formats/vectors.js';
import type { GroundTruth, GroundTruthOptions } from './groundtruth.js';
import { type Progress, serveTask } from '../tasks.js';

/** Queries per block: a progress update about every block. */
const BLOCK = 256;

/** What the caller sends: a ground-truth run's options, with its two files. */
type GroundTruthJob = Omit<GroundTruthOptions, 'onProgress' | 'signal'> & { basePath: string; queriesPath: string };

async function readAll(path: string, format?: GroundTruthOptions['baseFormat']) {
  const reader = await VectorReader.open(path, format);
  try {
    const x = new Float32Array(reader.info.count * reader.info.dim);
    await reader.read(0, reader.info.count, x);
    return { x, info: reader.info };
  } finally {
    await reader.close();
  }
}

await serveTask<GroundTruthJob, Progress, GroundTruth>(async (job, emit) => {
  const progress = (done: number, total: number, stage?: string) => emit({ done, total, stage });
  const backend = selectBackend(job.backend);
  const base = await readAll(job.basePath, job.baseFormat);
  const queries = await readAll(job.queriesPath, job.queriesFormat);
  const dim = base.info.dim;
  if (queries.info.dim !== dim) {
    throw new DataError(`${job.queriesPath}: queries have dimension ${queries.info.dim}, but the base ${job.basePath} has ${dim}`);
  }
  const n = base.info.count;
  if (job.k > n) throw new VectroError(`-k ${job.k}: the base has only ${n} vectors`, 2);
  const m = queries.info.count;
  const ids = new Uint32Array(m * job.k);
  const dists = new Float32Array(m * job.k);
  for (let q0 = 0; q0 < m; q0 += BLOCK) {
    const q1 = Math.min(m, q0 + BLOCK);
    backend.flatSearch(
      job.metric,
      base.x,
      dim,
      queries.x.subarray(q0 * dim, q1 * dim),
      job.k,
      ids.subarray(q0 * job.k, q1 * job.k),
      dists.subarray(q0 * job.k, q1 * job.k),
      job.threads,
    );
    progress(q1, m);
  }
  return { result: { ids, dists, queries: m, base: n, dim, backend: backend.name }, transfer: [ids.buffer, dists.buffer] };
});
