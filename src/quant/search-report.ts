import type { Backend } from '../backends/backend.js';
import type { IndexMetricName } from '../distance/metrics.js';
import { seeded } from '../random.js';
import { DEFAULT_EPS0 } from './rabitq.js';
import { rabitqPackedBytes, type Scheme } from './schemes.js';

/**
 * What a scheme costs in search, measured on the file itself while it is encoded:
 * - the relative error |estimate - exact| / |exact| of estimated distances over a seeded sample of
 *   (query, vector) pairs (100 queries x up to 1,000 vectors);
 * - recall@10 of an exact scan by estimated distance over the whole file, for a seeded sample of
 *   100 of its vectors used as queries (each excluded from its own result), with no rerank and
 *   with the 2k, 5k and 10k best estimates re-scored exactly.
 * The estimate is the distance from the full-precision query to the decoded vector for int8,
 * int4, int2 and binary (asymmetric distance), and RaBitQ's estimator for rabitqB.
 */
export interface SearchReport {
  metric: IndexMetricName;
  queries: number;
  pairs: number;
  meanRelativeDistanceError: number | null;
  p99RelativeDistanceError: number | null;
  /** recall@10 by rerank depth: 0 (none), 20, 50, 100. */
  recallAt10: { rerank: number; recall: number }[];
  seconds: number;
}

export const REPORT_K = 10;
export const REPORT_RERANKS = [0, 2 * REPORT_K, 5 * REPORT_K, 10 * REPORT_K];
const REPORT_QUERIES = 100;
const REPORT_PAIR_VECTORS = 1000;

/** Distinct seeded ids in [0, count), ascending. */
function sampleIds(count: number, want: number, seed: number): Uint32Array {
  const next = seeded(seed);
  const chosen = new Set<number>();
  if (want >= count) return Uint32Array.from({ length: count }, (_, i) => i);
  while (chosen.size < want) chosen.add(Math.floor(next() * count));
  return Uint32Array.from([...chosen].sort((a, b) => a - b));
}

/** The rows used as queries: 100 (or all, in a smaller file), seeded. */
export function reportQueryIds(count: number, seed: number): Uint32Array {
  return sampleIds(count, Math.min(REPORT_QUERIES, count), seed);
}

/** The k smallest (score, id) pairs seen so far, kept sorted (ties to the smaller id). */
class Best {
  readonly ids: Uint32Array;
  readonly dists: Float32Array;
  size = 0;
  constructor(readonly k: number) {
    this.ids = new Uint32Array(k);
    this.dists = new Float32Array(k).fill(Infinity);
  }
  offer(d: number, id: number): void {
    if (this.size === this.k && !(d < this.dists[this.k - 1])) return;
    let i = this.size < this.k ? this.size++ : this.k - 1;
    while (i > 0 && (this.dists[i - 1] > d || (this.dists[i - 1] === d && this.ids[i - 1] > id))) {
      this.dists[i] = this.dists[i - 1];
      this.ids[i] = this.ids[i - 1];
      i--;
    }
    this.dists[i] = d;
    this.ids[i] = id;
  }
}

/** Accumulates the report chunk by chunk, as `quantize` encodes. */
export class SearchReporter {
  readonly queryIds: Uint32Array;
  private readonly pairIds: Uint32Array;
  private readonly truth: Best[];
  private readonly estimated: Best[];
  private readonly errors: number[] = [];
  private exact = new Float32Array(0);
  private estimate = new Float32Array(0);
  private bounds = new Float32Array(0);
  private seconds = 0;

  constructor(
    private readonly backend: Backend,
    private readonly scheme: Scheme,
    private readonly metric: IndexMetricName,
    readonly dim: number,
    readonly count: number,
    /** The query vectors: rows `reportQueryIds(count, seed)` of the file, prepared as the rows are. */
    private readonly queries: Float32Array,
    private readonly fileParams: Float32Array,
    private readonly threads: number,
    seed: number,
  ) {
    this.queryIds = reportQueryIds(count, seed);
    this.pairIds = sampleIds(count, Math.min(REPORT_PAIR_VECTORS, count), seed ^ 0x5bd1e995);
    const deepest = Math.min(REPORT_RERANKS[REPORT_RERANKS.length - 1], Math.max(1, count - 1));
    this.truth = Array.from(this.queryIds, () => new Best(Math.min(REPORT_K, deepest)));
    this.estimated = Array.from(this.queryIds, () => new Best(deepest));
  }

  /** Adds rows [first, first + n): x as encoded, their codes, params and reconstruction. */
  addChunk(first: number, x: Float32Array, codes: Uint8Array, params: Float32Array, decoded: Float32Array): void {
    const started = performance.now();
    const n = x.length / this.dim;
    const nq = this.queryIds.length;
    if (this.exact.length < nq * n) {
      this.exact = new Float32Array(nq * n);
      this.estimate = new Float32Array(nq * n);
      this.bounds = new Float32Array(nq * n);
    }
    const exact = this.exact.subarray(0, nq * n);
    const estimate = this.estimate.subarray(0, nq * n);
    this.distances(x, exact);
    if (this.scheme.family === 'rabitq') {
      // FastScan blocks: the row-major estimates, bit for bit, in a fraction of the time.
      const { bits } = this.scheme;
      const packed = new Uint8Array(rabitqPackedBytes(bits, this.dim, n));
      this.backend.rabitqPack(bits, this.dim, codes, packed);
      const l2 = this.metric === 'l2';
      this.backend.rabitqScan(
        bits,
        this.fileParams,
        this.dim,
        this.queries,
        l2,
        packed,
        params,
        DEFAULT_EPS0,
        estimate,
        this.bounds.subarray(0, nq * n),
        this.threads,
      );
    } else {
      this.distances(decoded, estimate);
    }
    let pair = lowerBound(this.pairIds, first);
    for (let q = 0; q < nq; q++) {
      const self = this.queryIds[q] - first;
      if (self >= 0 && self < n) exact[q * n + self] = estimate[q * n + self] = Infinity;
      const truth = this.truth[q];
      const est = this.estimated[q];
      for (let j = 0; j < n; j++) {
        truth.offer(exact[q * n + j], first + j);
        est.offer(estimate[q * n + j], first + j);
      }
    }
    for (; pair < this.pairIds.length && this.pairIds[pair] < first + n; pair++) {
      const j = this.pairIds[pair] - first;
      for (let q = 0; q < nq; q++) {
        const e = exact[q * n + j];
        if (e !== 0 && Number.isFinite(e)) this.errors.push(Math.abs(estimate[q * n + j] - e) / Math.abs(e));
      }
    }
    this.seconds += (performance.now() - started) / 1000;
  }

  /** Distances the metric ranks by, from each query to each row: l2sq, 1 - dot, or cosine distance. */
  private distances(rows: Float32Array, out: Float32Array): void {
    const metric = this.metric === 'l2' ? 'l2sq' : this.metric === 'ip' ? 'dot' : 'cosine';
    this.backend.distanceMatrix(metric, this.queries, rows, this.dim, out, this.threads);
    if (this.metric === 'ip') for (let i = 0; i < out.length; i++) out[i] = 1 - out[i];
  }

  finish(): SearchReport {
    const errors = Float64Array.from(this.errors).sort();
    const mean = errors.length ? errors.reduce((a, b) => a + b, 0) / errors.length : null;
    const p99 = errors.length ? errors[Math.min(errors.length - 1, Math.floor(0.99 * errors.length))] : null;
    const recallAt10 = REPORT_RERANKS.map((rerank) => {
      let hits = 0;
      let total = 0;
      this.truth.forEach((truth, q) => {
        const depth = Math.max(rerank, truth.size);
        const est = this.estimated[q];
        const candidates = new Set(est.ids.subarray(0, Math.min(depth, est.size)));
        for (let i = 0; i < truth.size; i++) hits += candidates.has(truth.ids[i]) ? 1 : 0;
        total += truth.size;
      });
      return { rerank, recall: total > 0 ? hits / total : 0 };
    });
    return {
      metric: this.metric,
      queries: this.queryIds.length,
      pairs: errors.length,
      meanRelativeDistanceError: mean,
      p99RelativeDistanceError: p99,
      recallAt10,
      seconds: this.seconds,
    };
  }
}

function lowerBound(a: Uint32Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
