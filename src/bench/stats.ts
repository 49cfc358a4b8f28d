/**
 * Statistics over repeated runs, as hyperfine does them: median, mean ± standard deviation, min
 * and max of the throughput, outliers by median absolute deviation, a noisy flag for a wide spread,
 * and a warning when the first run was much slower than the rest.
 */

export interface Summary {
  median: number;
  mean: number;
  stddev: number;
  min: number;
  max: number;
  runs: number;
  outliers: number;
  noisy: boolean;
  firstRunSlow: boolean;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Modified z-score threshold (Iglewicz and Hoaglin) for calling a run an outlier. */
const OUTLIER_Z = 3.5;

/** Runs whose |t - median| exceeds OUTLIER_Z scaled MADs (1.4826 MAD estimates a normal sigma). */
export function countOutliers(values: readonly number[]): number {
  const m = median(values);
  const mad = median(values.map((v) => Math.abs(v - m)));
  if (mad === 0) return 0;
  return values.filter((v) => Math.abs(v - m) / (1.4826 * mad) > OUTLIER_Z).length;
}

/**
 * `seconds` are the timed runs, in order; `work` the units done per run (throughput = work / seconds).
 * `firstRunSlow` says the first timed run took over twice the median of the others: the warm-up did
 * not warm everything up (caches, page faults, JIT), and more `--warmup` is worth a try.
 */
export function summarize(seconds: readonly number[], work: number): Summary {
  if (seconds.length === 0) throw new Error('no runs to summarize');
  const rates = seconds.map((t) => work / Math.max(t, 1e-9));
  const mean = rates.reduce((s, r) => s + r, 0) / rates.length;
  const variance = rates.length > 1 ? rates.reduce((s, r) => s + (r - mean) ** 2, 0) / (rates.length - 1) : 0;
  const stddev = Math.sqrt(variance);
  const med = median(rates);
  const min = Math.min(...rates);
  const max = Math.max(...rates);
  return {
    median: med,
    mean,
    stddev,
    min,
    max,
    runs: rates.length,
    outliers: countOutliers(seconds),
    noisy: (max - min) / med > 0.5 || stddev / mean > 0.1,
    firstRunSlow: seconds.length > 2 && seconds[0] > 2 * median(seconds.slice(1)),
  };
}
