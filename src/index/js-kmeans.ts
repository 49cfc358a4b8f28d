/**
 * k-means for the IVF baseline: crates/vectro-core/src/ivf/kmeans.rs step for step. The sample, the
 * starting centroids, the assignments (the exact float64 argmin), the float64 means and the split of
 * empty clusters are the same as native's, so both backends train the same centroids; only the
 * reported objective differs in its last bits (native sums the float32 matrix kernel's distances).
 */
import type { IndexMetricName } from '../distance/metrics.js';
import { normaliseInto } from '../distance/normalise.js';
import { SplitMix64 } from '../random.js';

/** FAISS's nudge when an empty cluster takes half of another. */
const SPLIT_EPS = Math.fround(1 + 1 / 1024);
const SPLIT_EPS_DOWN = Math.fround(1 - 1 / 1024);

export interface KMeansStep {
  objective: number;
  splits: number;
}

/** The exact float64 distance of row `x[xo..]` to centroid `c[co..]`: squared l2, or the negated inner product. */
export function exactDistance(x: Float32Array, xo: number, c: Float32Array, co: number, dim: number, ip: boolean): number {
  let s = 0;
  if (ip) {
    for (let i = 0; i < dim; i++) s += x[xo + i] * c[co + i];
    return -s;
  }
  for (let i = 0; i < dim; i++) {
    const d = x[xo + i] - c[co + i];
    s += d * d;
  }
  return s;
}

/** Each row's centroid of least exact distance (the first on ties), and that distance, as native's `assign`. */
export function assignExact(x: Float32Array, dim: number, centroids: Float32Array, ip: boolean, ids: Uint32Array, dists: Float64Array): void {
  const k = centroids.length / dim;
  for (let r = 0; r < x.length / dim; r++) {
    let best = Infinity;
    let at = 0;
    for (let j = 0; j < k; j++) {
      const d = exactDistance(x, r * dim, centroids, j * dim, dim, ip);
      if (d < best) {
        best = d;
        at = j;
      }
    }
    ids[r] = at;
    dists[r] = best;
  }
}

export class JsKMeans {
  private readonly sample: Float32Array;
  readonly centroids: Float32Array;
  private readonly rng: SplitMix64;
  private readonly ip: boolean;
  private readonly assigned: Uint32Array;

  /** Samples `trainSize` rows (checked by the caller: k <= trainSize <= rows) and starts from the first k. */
  constructor(
    x: Float32Array,
    private readonly dim: number,
    private readonly k: number,
    trainSize: number,
    metric: IndexMetricName,
    seed: bigint,
  ) {
    const n = x.length / dim;
    this.rng = new SplitMix64(seed);
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = 0; i < trainSize; i++) {
      const j = i + Math.floor(this.rng.unit() * (n - i));
      [order[i], order[j]] = [order[j], order[i]];
    }
    this.sample = new Float32Array(trainSize * dim);
    for (let i = 0; i < trainSize; i++) {
      const from = order[i] * dim;
      if (metric === 'cosine') normaliseInto(x, from, dim, this.sample, i * dim);
      else this.sample.set(x.subarray(from, from + dim), i * dim);
    }
    this.centroids = this.sample.slice(0, k * dim);
    this.ip = metric !== 'l2';
    this.assigned = new Uint32Array(trainSize);
  }

  /** One Lloyd iteration. */
  step(): KMeansStep {
    const { dim, k, sample } = this;
    const rows = sample.length / dim;
    const nearest = new Float64Array(rows);
    assignExact(sample, dim, this.centroids, this.ip, this.assigned, nearest);
    let objective = 0;
    for (const d of nearest) objective += d;
    const sums = new Float64Array(k * dim);
    const counts = new Float64Array(k);
    for (let r = 0; r < rows; r++) {
      const c = this.assigned[r];
      counts[c]++;
      for (let i = 0; i < dim; i++) sums[c * dim + i] += sample[r * dim + i];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] > 0) for (let i = 0; i < dim; i++) this.centroids[c * dim + i] = sums[c * dim + i] / counts[c];
    }
    return { objective, splits: this.splitEmpty(counts, rows) };
  }

  /** Native's `split_empty`: an empty cluster takes half of a cluster drawn with probability growing with its size. */
  private splitEmpty(counts: Float64Array, n: number): number {
    const { dim, k, centroids } = this;
    let splits = 0;
    for (let empty = 0; empty < k; empty++) {
      if (counts[empty] !== 0) continue;
      splits++;
      let donor: number;
      for (;;) {
        const j = Math.floor(this.rng.unit() * k);
        const p = (counts[j] - 1) / (n - k);
        if (counts[j] > 1 && this.rng.unit() <= p) {
          donor = j;
          break;
        }
      }
      for (let i = 0; i < dim; i++) {
        const v = centroids[donor * dim + i];
        const [up, down] = [Math.fround(v * SPLIT_EPS), Math.fround(v * SPLIT_EPS_DOWN)];
        centroids[empty * dim + i] = i % 2 === 0 ? up : down;
        centroids[donor * dim + i] = i % 2 === 0 ? down : up;
      }
      counts[empty] = Math.floor(counts[donor] / 2);
      counts[donor] -= counts[empty];
    }
    return splits;
  }
}
