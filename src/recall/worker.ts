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
  await send({ type: 'stage', stage: 'measuring the index size' });
  const build: BuildResult = { config: job.configLabel, backend, build_seconds: buildSeconds, threads: backend === 'native' ? threads : 1, index_bytes: await engine.bytes(), peak_rss_bytes: peakRss };
  await send({ type: 'build', build });

  const judge = new RecallJudge(job.dataset.metric, base.x, job.queries, dim, job.truth, job.truthWidth, k);
  const efs = config.type === 'flat' ? [null] : job.efs.filter((ef) => ef >= k);
  for (const ef of efs) {
    await send({ type: 'stage', stage: config.type === 'flat' ? 'searching' : `searching at ef=${ef}` });
    await send({ type: 'point', point: measure(engine, judge, job, ef ?? 0, ef) });
  }
}

/**
 * Timed passes over the queries per ef: at least `min`, more while under `minSeconds` (so 100
 * queries still give a stable figure), none started after `maxSeconds`. The best pass is reported,
 * as ann-benchmarks reports the best of its runs: slower passes measure the machine's other load.
 * A pass stops timing after `passSeconds` once `passQueries` are done (exact search over 1M vectors
 * answers a few dozen queries a second); the rest of the results then come from the batch search.
 */
const PASSES = { min: 3, max: 50, minSeconds: 1, maxSeconds: 10, passSeconds: 20, passQueries: 200 };

/** One ef: single queries on one thread (QPS, latency, recall), then one batch on all threads. */
function measure(engine: Engine, judge: RecallJudge, job: RecallJob, ef: number, efLabel: number | null): PointResult {
  const { k, queries } = job;
  const nq = job.queryCount;
  const dim = queries.length / nq;
  const row = (q: number) => queries.subarray(q * dim, (q + 1) * dim);
  for (let q = 0; q < Math.min(nq, WARMUP_QUERIES); q++) engine.searchOne(row(q), k, ef);
  const ids = new Uint32Array(nq * k);
  const latencies = new Float64Array(nq);
  let best = { qps: 0, timed: 0, latencies: new Float64Array(0), computations: null as number | null };
  let answered = 0;
  const started = performance.now();
  for (let pass = 0; pass < PASSES.max; pass++) {
    const spent = (performance.now() - started) / 1000;
    if (pass >= PASSES.min ? spent >= PASSES.minSeconds : pass > 0 && spent >= PASSES.maxSeconds) break;
    let computations: number | null = 0;
    let timed = 0;
    const t0 = performance.now();
    while (timed < nq) {
      const s = performance.now();
      const r = engine.searchOne(row(timed), k, ef);
      latencies[timed] = performance.now() - s;
      if (pass === 0) ids.set(r.ids, timed * k);
      computations = computations === null || r.computations === null ? null : computations + r.computations;
      timed++;
      if (timed >= PASSES.passQueries && performance.now() - t0 > PASSES.passSeconds * 1000) break;
    }
    if (pass === 0) answered = timed;
    const qps = timed / ((performance.now() - t0) / 1000);
    if (qps > best.qps) best = { qps, timed, latencies: latencies.slice(0, timed), computations };
  }
  let batchQps: number | null = null;
  if (engine.searchBatch) {
    let fastest = Infinity;
    const b = performance.now();
    for (let pass = 0; pass < PASSES.min || (performance.now() - b) / 1000 < PASSES.minSeconds; pass++) {
      if (pass > 0 && (performance.now() - b) / 1000 >= PASSES.maxSeconds) break;
      const b0 = performance.now();
      const r = engine.searchBatch(queries, k, ef, job.threads);
      fastest = Math.min(fastest, (performance.now() - b0) / 1000);
      // Queries the timed passes did not reach take the batch's answers (the same search).
      if (pass === 0 && answered < nq) ids.set(r.ids.subarray(answered * k), answered * k);
    }
    batchQps = nq / fastest;
  } else {
    for (let q = answered; q < nq; q++) ids.set(engine.searchOne(row(q), k, ef).ids, q * k);
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
    qps: best.qps,
    timed_queries: best.timed,
    batch_qps: batchQps,
    // The js baseline has no threads: its batches run on one.
    batch_threads: engine.searchBatch && job.backend === 'native' ? job.threads : 1,
    p50_ms: percentile(best.latencies, 50),
    p95_ms: percentile(best.latencies, 95),
    p99_ms: percentile(best.latencies, 99),
    distances_per_query: best.computations === null ? null : best.computations / best.timed,
  };
}

process.once('message', (job: RecallJob) => {
  run(job)
    .then(() => send({ type: 'done' }))
    .catch((err) => send({ type: 'error', message: err instanceof Error ? err.message : String(err), exitCode: err instanceof VectroError ? err.exitCode : 1 }))
    .finally(() => process.disconnect());
});
