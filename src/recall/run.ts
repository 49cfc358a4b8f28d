import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DataError, VectroError } from '../errors.js';
import { dataDir, datasetCacheKey } from '../datasets/cache.js';
import { datasetDifficulty } from '../datasets/difficulty.js';
import type { Dataset } from '../datasets/resolve.js';
import { describeSource, loadRows, openRows, readTruth, type Truth } from '../datasets/source.js';
import { checkTruth } from '../formats/truth.js';
import { writeIvecs } from '../formats/writers.js';
import { computeGroundTruth } from '../index/groundtruth.js';
import { unsupported, type RecallBackend } from '../evaluation/contenders.js';
import type { RecallJob, WorkerEvent } from './job.js';
import { runTask, TaskError } from '../tasks.js';
import type { BuildResult, DatasetInfo, PointResult } from './schema.js';
import { formatSpec, type IndexSpec } from '../spec.js';

export interface RecallPlan {
  dataset: Dataset;
  configs: IndexSpec[];
  backends: RecallBackend[];
  k: number;
  efs: number[];
  nprobes: number[];
  threads: number;
  seed: number;
  /** Measure only the first N queries. */
  queryLimit?: number;
}

export type RecallEvent =
  | { type: 'stage'; text: string }
  | { type: 'progress'; label: string; done: number; total: number }
  | { type: 'dataset'; info: DatasetInfo }
  | { type: 'run'; config: string; backend: RecallBackend; index: number; total: number }
  | { type: 'skip'; config: string; backend: RecallBackend; reason: string }
  | { type: 'build'; build: BuildResult }
  | { type: 'point'; point: PointResult };

/** True neighbours stored when vectro computes them (recall@100 needs 100). */
const COMPUTED_TRUTH_K = 100;

/**
 * Runs every configuration on every backend, each in a child process, and reports results as
 * they come. Resolves 'interrupted' when `signal` aborts (the results so far were reported).
 */
export async function runRecall(plan: RecallPlan, onEvent: (e: RecallEvent) => void, signal: AbortSignal): Promise<'done' | 'interrupted'> {
  const { dataset, k } = plan;
  const rows = await openRows(dataset.base);
  const [count, dim] = [rows.count, rows.dim];
  await rows.close();
  if (k > count) throw new VectroError(`-k ${k}: the base has only ${count} vectors`, 2);
  onEvent({ type: 'stage', text: 'reading queries' });
  const queries = await loadRows(dataset.queries, { limit: plan.queryLimit, signal });
  if (queries.dim !== dim) throw new DataError(`${describeSource(dataset.queries)}: queries have dimension ${queries.dim}, but the base has ${dim}`);
  const { truth, source } = await trueNeighbours(plan, count, queries.count, onEvent, signal);
  onEvent({ type: 'stage', text: 'measuring how hard the data is (relative contrast, LID; cached for next time)' });
  const difficulty = await datasetDifficulty(dataset, {
    seed: plan.seed,
    threads: plan.threads,
    signal,
    onProgress: (stage, done, total) => onEvent({ type: 'progress', label: stage, done, total }),
  });
  onEvent({ type: 'dataset', info: { name: dataset.name, metric: dataset.metric, count, dim, queries: queries.count, k, truth: source, difficulty } });

  // faiss: configurations pair with the faiss backend only (no line for the others).
  const pairs = plan.configs.flatMap((config) => plan.backends.filter((b) => config.type !== 'faiss' || b === 'faiss').map((backend) => ({ config, backend })));
  for (const [i, { config, backend }] of pairs.entries()) {
    if (signal.aborted) return 'interrupted';
    const label = formatSpec(config);
    const why = unsupported(config, backend);
    if (why) {
      onEvent({ type: 'skip', config: label, backend, reason: why });
      continue;
    }
    onEvent({ type: 'run', config: label, backend, index: i, total: pairs.length });
    const job: RecallJob = {
      dataset,
      config,
      configLabel: label,
      backend,
      k,
      efs: plan.efs,
      nprobes: plan.nprobes,
      threads: plan.threads,
      seed: plan.seed,
      queries: queries.x,
      queryCount: queries.count,
      truth: truth.ids.subarray(0, queries.count * truth.width),
      truthWidth: truth.width,
    };
    try {
      if ((await runChild(job, onEvent, signal)) === 'interrupted') return 'interrupted';
    } catch (err) {
      // A peer that fails (FAISS refusing a factory string, its worker crashing or hanging) costs
      // its own run only: one line, and the rest of the run goes on.
      // A wrong answer is different: it ends the run, never becomes a skipped line.
      if (backend !== 'faiss' || !(err instanceof RunFailure) || err.badAnswer) throw err;
      onEvent({ type: 'skip', config: label, backend, reason: err.reason });
    }
  }
  return 'done';
}

/** The dataset's true neighbours, or (none, or too few per query) computed by exact search and cached. */
async function trueNeighbours(
  plan: RecallPlan,
  baseCount: number,
  queryCount: number,
  onEvent: (e: RecallEvent) => void,
  signal: AbortSignal,
): Promise<{ truth: Truth; source: 'file' | 'computed' }> {
  const { dataset, k } = plan;
  const need = { queries: queryCount, base: baseCount, k };
  if (dataset.truth) {
    const t = await readTruth(dataset.truth);
    if (t.width >= k) {
      checkTruth(t, describeSource(dataset.truth), need);
      return { truth: t, source: 'file' };
    }
  }
  if (dataset.base.hdf5 || dataset.queries.hdf5) {
    throw new DataError(`${dataset.base.path}: its neighbors hold fewer than k = ${k} per query; use a smaller -k`);
  }
  const key = await datasetCacheKey(dataset, `${dataset.metric}\0${Math.max(k, COMPUTED_TRUTH_K)}`);
  const cached = join(dataDir(), 'groundtruth', `${key}.ivecs`);
  if (await stat(cached).catch(() => undefined)) {
    const t = await readTruth({ path: cached });
    if (t.count >= queryCount && t.width >= k) {
      checkTruth(t, cached, need);
      return { truth: t, source: 'computed' };
    }
  }
  onEvent({ type: 'stage', text: 'computing the ground truth (exact search, cached for next time)' });
  const width = Math.min(baseCount, Math.max(k, COMPUTED_TRUTH_K));
  const gt = await computeGroundTruth(dataset.base.path, dataset.queries.path, {
    metric: dataset.metric,
    k: width,
    backend: 'auto',
    threads: plan.threads,
    signal,
    onProgress: (done, total) => onEvent({ type: 'progress', label: 'ground truth', done, total }),
  });
  await mkdir(join(dataDir(), 'groundtruth'), { recursive: true });
  await writeIvecs(cached, gt.ids, width);
  return { truth: { ids: new Int32Array(gt.ids.buffer, gt.ids.byteOffset, gt.ids.length), count: gt.queries, width }, source: 'computed' };
}

/** A measuring process that reported an error: `reason` is its own message. */
class RunFailure extends VectroError {
  constructor(
    label: string,
    readonly reason: string,
    exitCode: number,
    readonly badAnswer = false,
  ) {
    super(badAnswer ? reason : `${label}: ${reason}`, exitCode);
  }
}

/** Runs one job in a child process (src/tasks.ts), relaying its events; Ctrl-C stops it. */
async function runChild(job: RecallJob, onEvent: (e: RecallEvent) => void, signal: AbortSignal): Promise<'done' | 'interrupted'> {
  const label = `${job.configLabel} on ${job.backend}`;
  const relay = (e: WorkerEvent) => {
    if (e.type === 'stage') onEvent({ type: 'stage', text: `${job.configLabel} [${job.backend}]: ${e.stage}` });
    else if (e.type === 'progress') onEvent({ type: 'progress', label: e.stage, done: e.done, total: e.total });
    else if (e.type === 'build') onEvent({ type: 'build', build: e.build });
    else onEvent({ type: 'point', point: e.point });
  };
  try {
    const r = await runTask<WorkerEvent, null>('process', new URL('./worker.js', import.meta.url), job, relay, {
      signal,
      stopped: (code, sig) => `the measuring process stopped (${sig ?? `exit code ${code}`})${sig === 'SIGKILL' ? '; out of memory?' : ''}`,
    });
    return r.outcome;
  } catch (err) {
    if (signal.aborted) return 'interrupted';
    if (err instanceof TaskError) throw new RunFailure(label, err.message, err.exitCode, err.badAnswer);
    throw new RunFailure(label, (err as Error).message, 1);
  }
}
