/** Worker: measures a dataset's difficulty (difficulty.ts) off the caller's thread; its memory goes with it. */
import { selectBackend } from '../backends/select.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { type Progress, serveTask } from '../tasks.js';
import { DIFFICULTY_SAMPLE, gatherRows, measureDifficulty, sampleIndexes, type Difficulty } from './difficulty.js';
import { loadRows, type VectorSource } from './source.js';

export interface DifficultyJob {
  base: VectorSource;
  queries: VectorSource;
  metric: IndexMetricName;
  seed: number;
  threads: number;
}

await serveTask<DifficultyJob, Progress, Difficulty>(async (job, emit) => {
  const progress = (done: number, total: number, stage?: string) => emit({ done, total, stage });
  const base = await loadRows(job.base, { onProgress: (done, total) => progress(done, total, 'reading base vectors') });
  const queries = await loadRows(job.queries);
  const pick = sampleIndexes(queries.count, DIFFICULTY_SAMPLE.queries, job.seed);
  const sample = gatherRows(queries.x, queries.dim, pick, false);
  progress(0, 1, 'measuring relative contrast and LID');
  return { result: measureDifficulty(base.x, sample, base.dim, job.metric, selectBackend('auto'), job.threads, job.seed) };
});
