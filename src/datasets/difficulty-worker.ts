/** Worker: measures a dataset's difficulty (difficulty.ts) off the caller's thread; its memory goes with it. */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../backends/select.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { serveWorker, type WorkerMessage } from '../index/run-worker.js';
import { DIFFICULTY_SAMPLE, gatherRows, measureDifficulty, sampleIndexes, type Difficulty } from './difficulty.js';
import { loadRows, type VectorSource } from './source.js';

export interface DifficultyJob {
  base: VectorSource;
  queries: VectorSource;
  metric: IndexMetricName;
  seed: number;
  threads: number;
}

const job = workerData as DifficultyJob;
await serveWorker<Difficulty>(
  (m: WorkerMessage<Difficulty>) => parentPort!.postMessage(m),
  async (progress) => {
    const base = await loadRows(job.base, { onProgress: (done, total) => progress(done, total, 'reading base vectors') });
    const queries = await loadRows(job.queries);
    const pick = sampleIndexes(queries.count, DIFFICULTY_SAMPLE.queries, job.seed);
    const sample = gatherRows(queries.x, queries.dim, pick, false);
    progress(0, 1, 'measuring relative contrast and LID');
    return { result: measureDifficulty(base.x, sample, base.dim, job.metric, selectBackend('auto'), job.threads, job.seed) };
  },
);
