import type { IndexMetricName } from '../distance/metrics.js';

/** ann-benchmarks' tolerance: a neighbour counts when within this of the k-th true distance. */
export const RECALL_EPSILON = 1e-3;

/**
 * The distance recall compares, as ann-benchmarks does: euclidean (not squared) for l2, `1 - cos`
 * for cosine, `1 - a.b` for ip. Computed in float64 from the original vectors, whatever the index stores.
 */
export function trueDistance(metric: IndexMetricName, x: Float32Array, a: number, q: Float32Array, b: number, dim: number): number {
  let s = 0;
  if (metric === 'l2') {
    for (let j = 0; j < dim; j++) {
      const d = x[a + j] - q[b + j];
      s += d * d;
    }
    return Math.sqrt(s);
  }
  let na = 0;
  let nb = 0;
  for (let j = 0; j < dim; j++) {
    s += x[a + j] * q[b + j];
    na += x[a + j] * x[a + j];
    nb += q[b + j] * q[b + j];
  }
  if (metric === 'ip') return 1 - s;
  return na === 0 || nb === 0 ? 1 : 1 - s / Math.sqrt(na * nb);
}

/** The recall levels reported (k permitting): recall@1, @10, @100. */
export const RECALL_AT = [1, 10, 100] as const;

/**
 * Scores search results against the truth: for each r in RECALL_AT up to k and the truth's width,
 * the share of the first r results within RECALL_EPSILON of the r-th true distance, averaged.
 * Ties among true neighbours therefore do not matter.
 */
export class RecallJudge {
  /** Per level r: the r-th true distance of every query, plus the tolerance. */
  private readonly thresholds = new Map<number, Float64Array>();
  readonly levels: number[];

  constructor(
    private readonly metric: IndexMetricName,
    private readonly base: Float32Array,
    private readonly queries: Float32Array,
    private readonly dim: number,
    truth: Int32Array,
    truthWidth: number,
    k: number,
  ) {
    const nq = queries.length / dim;
    const n = base.length / dim;
    this.levels = [...new Set([...RECALL_AT.filter((r) => r <= k && r <= truthWidth), Math.min(k, truthWidth)])].sort((a, b) => a - b);
    for (const r of this.levels) {
      const t = new Float64Array(nq);
      for (let q = 0; q < nq; q++) {
        const id = truth[q * truthWidth + r - 1];
        if (!(id >= 0 && id < n)) throw new RangeError(`ground truth of query ${q} names vector ${id}, but the base has ${n}`);
        t[q] = trueDistance(metric, base, id * dim, queries, q * dim, dim) + RECALL_EPSILON;
      }
      this.thresholds.set(r, t);
    }
  }

  /** recall@r for every level, from `k` result ids per query. */
  score(ids: Uint32Array, k: number): Map<number, number> {
    const nq = this.queries.length / this.dim;
    const n = this.base.length / this.dim;
    const out = new Map<number, number>();
    for (const r of this.levels) {
      const t = this.thresholds.get(r)!;
      let hits = 0;
      const counted = new Set<number>();
      for (let q = 0; q < nq; q++) {
        counted.clear();
        for (let j = 0; j < r; j++) {
          const id = ids[q * k + j];
          // An id returned twice is one neighbour found, not two.
          if (id >= n || counted.has(id)) continue;
          counted.add(id);
          if (trueDistance(this.metric, this.base, id * this.dim, this.queries, q * this.dim, this.dim) <= t[q]) hits++;
        }
      }
      out.set(r, hits / (nq * r));
    }
    return out;
  }
}
