import type { IndexMetricName } from '../../distance/metrics.js';
import { distanceMany } from './distance.js';
import { topk } from './topk.js';

/**
 * Exact k nearest neighbours: every query scanned against the whole base with the direct distance,
 * then the k smallest (ties to the smaller id). The same answer as the native flat search, which
 * gets there faster through tiled matrices and re-scores its candidates exactly.
 */
export function flatSearch(
  metric: IndexMetricName,
  base: Float32Array,
  dim: number,
  queries: Float32Array,
  k: number,
  ids: Uint32Array,
  dists: Float32Array,
): void {
  const n = base.length / dim;
  const m = queries.length / dim;
  if (!Number.isInteger(n) || !Number.isInteger(m)) throw new RangeError(`base and queries must be whole rows of dim ${dim}`);
  if (!Number.isInteger(k) || k < 1 || k > n) throw new RangeError(`k must be between 1 and the number of base vectors (${n}), got ${k}`);
  if (ids.length !== m * k || dists.length !== m * k) throw new RangeError(`outputs must hold ${m} queries x k ${k} entries`);
  const scores = new Float32Array(n);
  const kernel = metric === 'l2' ? 'l2sq' : metric === 'ip' ? 'dot' : 'cosine';
  for (let q = 0; q < m; q++) {
    distanceMany(kernel, queries.subarray(q * dim, (q + 1) * dim), base, scores);
    if (metric === 'ip') for (let j = 0; j < n; j++) scores[j] = 1 - scores[j];
    topk(scores, k, ids.subarray(q * k, (q + 1) * k), dists.subarray(q * k, (q + 1) * k));
  }
}
