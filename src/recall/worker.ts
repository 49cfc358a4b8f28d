/**
 * Child process of `vectro recall`: one configuration on one backend. It reads the base vectors,
 * builds the index, then sweeps ef, sending each result to the parent as it is measured. A process
 * of its own gives each build an honest peak-memory figure and lets Ctrl-C stop it at any point.
 */
import { VectroError } from '../errors.js';
import { loadRows } from '../datasets/source.js';
import { percentile } from '../index/recall.js';
import { makeEngine, type Engine } from './engines.js';
import { RecallJudge } from './measure.js';
import type { BuildResult, PointResult } from './schema.js';
import type { RecallJob, WorkerEvent } from './job.js';

const send = (e: WorkerEvent) => new Promise<void>((resolve) => process.send!(e, undefined, {}, () => resolve()));

/** Untimed queries before each ef's timed pass (caches, branch predictors, lazily built scratch). */
const WARMUP_QUERIES = 50;

async function run(job: RecallJob): Promise<void> {
  const { config, backend, k, threads } = job;
  const progress = (stage: string) => (done: number, total: number) => void send({ type: 'progress', stage, done, total });
  const base = await loadRows(job.dataset.base, { onProgress: progress('reading base vectors') });
  const { dim } = base;
  const engine = makeEngine({ config: job.config, backend, dim, metric: job.dataset.metric, seed: job.seed });
  const started = performance.now();
  await engine.build(base.x, threads, progress('building'));
  const buildSeconds = (performance.now() - started) / 1000;
  const peakRss = process.resourceUsage().maxRSS * 1024;
  await send({ type: 'progress', stage: 'measuring the index size', done: 0, total: 1 });
  const build: BuildResult = { config: job.configLabel, backend, build_seconds: buildSeconds, threads: backend === 'hnswlib' ? 1 : threads, index_bytes: await engine.bytes(), peak_rss_bytes: peakRss };
  await send({ type: 'build', build });

  const judge = new RecallJudge(job.dataset.metric, base.x, job.queries, dim, job.truth, job.truthWidth, k);
  const efs = config.type === 'flat' ? [null] : job.efs.filter((ef) => ef >= k);
  for (const ef of efs) {
    await send({ type: 'progress', stage: config.type === 'flat' ? 'searching' : `searching at ef=${ef}`, done: 0, total: 1 });
    await send({ type: 'point', point: measure(engine, judge, job, ef ?? 0, ef) });
  }
}

/**
 * Timed passes over all queries per ef: at least MIN_PASSES, more while under MIN_SECONDS (so 100
 * queries still give a stable figure), none started after MAX_SECONDS. The best pass is reported,
 * as ann-benchmarks reports the best of its runs: slower passes measure the machine's other load.
 */
const PASSES = { min: 3, max: 50, minSeconds: 1, maxSeconds: 10 };

/** One ef: single queries on one thread (QPS, latency, recall), then one batch on all threads. */
function measure(engine: Engine, judge: RecallJudge, job: RecallJob, ef: number, efLabel: number | null): PointResult {
  const { k, queries } = job;
  const nq = job.queryCount;
  const dim = queries.length / nq;
  const row = (q: number) => queries.subarray(q * dim, (q + 1) * dim);
  for (let q = 0; q < Math.min(nq, WARMUP_QUERIES); q++) engine.searchOne(row(q), k, ef);
  const ids = new Uint32Array(nq * k);
  const latencies = new Float64Array(nq);
  let best = { seconds: Infinity, latencies: new Float64Array(nq) };
  let computations: number | null = 0;
  const started = performance.now();
  for (let pass = 0; pass < PASSES.max; pass++) {
    const spent = (performance.now() - started) / 1000;
    if (pass >= PASSES.min ? spent >= PASSES.minSeconds : pass > 0 && spent >= PASSES.maxSeconds) break;
    computations = 0;
    const t0 = performance.now();
    for (let q = 0; q < nq; q++) {
      const s = performance.now();
      const r = engine.searchOne(row(q), k, ef);
      latencies[q] = performance.now() - s;
      if (pass === 0) ids.set(r.ids, q * k);
      computations = computations === null || r.computations === null ? null : computations + r.computations;
    }
    const seconds = (performance.now() - t0) / 1000;
    if (seconds < best.seconds) best = { seconds, latencies: Float64Array.from(latencies) };
  }
  let batchQps: number | null = null;
  if (engine.searchBatch) {
    let fastest = Infinity;
    const b = performance.now();
    for (let pass = 0; pass < PASSES.min || (performance.now() - b) / 1000 < PASSES.minSeconds; pass++) {
      if (pass > 0 && (performance.now() - b) / 1000 >= PASSES.maxSeconds) break;
      const b0 = performance.now();
      engine.searchBatch(queries, k, ef, job.threads);
      fastest = Math.min(fastest, (performance.now() - b0) / 1000);
    }
    batchQps = nq / fastest;
  }
  const recall = judge.score(ids, k);
  const at = (r: number) => recall.get(r) ?? null;
  return {
    config: job.configLabel,
    backend: job.backend,
    k,
    ef: efLabel,
    recall: at(k) ?? at(Math.max(...judge.levels))!,
    recall_1: at(1),
    recall_10: at(10),
    recall_100: at(100),
    qps: nq / best.seconds,
    batch_qps: batchQps,
    batch_threads: engine.searchBatch ? job.threads : 1,
    p50_ms: percentile(best.latencies, 50),
    p95_ms: percentile(best.latencies, 95),
    p99_ms: percentile(best.latencies, 99),
    distances_per_query: computations === null ? null : computations / nq,
  };
}

process.once('message', (job: RecallJob) => {
  run(job)
    .then(() => send({ type: 'done' }))
    .catch((err) => send({ type: 'error', message: err instanceof Error ? err.message : String(err), exitCode: err instanceof VectroError ? err.exitCode : 1 }))
    .finally(() => process.disconnect());
});
