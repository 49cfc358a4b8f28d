import { performance } from 'node:perf_hooks';
import type { BenchResult } from './schema.js';
import { summarize } from './stats.js';
import { isSelfTimed, type BenchCase, type RunOutcome } from './suite.js';

export interface RunLimits {
  /** Untimed runs first (caches, page faults, JIT). */
  warmup: number;
  /** Timed runs continue until both minimums are met... */
  minRuns: number;
  minSeconds: number;
  /** ...unless a case is so slow that this much time has passed (it still gets 2 runs). */
  maxSeconds: number;
}

/** A timed sample should last at least this long, so the clock's resolution does not matter. */
const MIN_SAMPLE_SECONDS = 1e-3;

/**
 * Measures one case on one backend. Each timed region holds only calls of the run function, inside
 * the thread that does the work, so no thread hand-off or message is inside the timing. A peer in
 * another process (FAISS) times its own calls there and its run returns those seconds instead. A case
 * faster than a millisecond is repeated within each sample (as Google Benchmark does), and the
 * sample's work scaled to match.
 */
export async function measure(
  suite: string,
  c: BenchCase,
  run: () => RunOutcome | Promise<RunOutcome>,
  target: string,
  limits: RunLimits,
  peakGflops: number | null,
): Promise<BenchResult> {
  const time = async (repeat: number) => {
    const t0 = performance.now();
    let own = 0;
    let selfTimed = false;
    for (let i = 0; i < repeat; i++) {
      const r = await run();
      if (isSelfTimed(r)) (own += r.ownSeconds), (selfTimed = true);
    }
    return selfTimed ? own : (performance.now() - t0) / 1000;
  };
  const seconds: number[] = [];
  let repeat = 1;
  if (c.runs !== undefined) {
    for (let i = 0; i < c.runs; i++) seconds.push(await time(1));
  } else {
    const first = await time(1); // the first warm-up run also sizes the samples
    for (let i = 1; i < limits.warmup; i++) await time(1);
    repeat = Math.min(10_000, Math.max(1, Math.ceil(MIN_SAMPLE_SECONDS / Math.max(first, 1e-7))));
    const started = performance.now();
    const elapsed = () => (performance.now() - started) / 1000;
    while (seconds.length < 2 || ((seconds.length < limits.minRuns || elapsed() < limits.minSeconds) && elapsed() < limits.maxSeconds)) {
      seconds.push(await time(repeat));
    }
  }
  const s = summarize(seconds, c.work * repeat);
  const threads = target === 'js' ? 1 : (c.threads ?? 1);
  const result: BenchResult = {
    suite,
    case: c.name,
    backend: target,
    unit: c.unit,
    median: s.median,
    mean: s.mean,
    stddev: s.stddev,
    min: s.min,
    max: s.max,
    runs: s.runs,
    outliers: s.outliers,
    noisy: s.noisy,
    first_run_slow: s.firstRunSlow,
    threads,
  };
  if (c.bytes !== undefined) result.gb_per_s = ((s.median / c.work) * c.bytes) / 1e9;
  if (c.flop !== undefined && peakGflops) result.peak_share = s.median / threads / peakGflops;
  return { ...result, ...(c.extra ? await c.extra(target) : {}) };
}
