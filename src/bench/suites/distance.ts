import type { MetricName, Vectors } from '../../distance/metrics.js';
import { DataCache, randomBytes, seeded, type BenchCase, type Suite, type SuiteOptions } from '../suite.js';

const cache = new DataCache(1);

/** Calls per run of the one-pair cases: enough to time, and what a per-vector API would make. */
const PAIR_CALLS = 10_000;
/** Distinct rows the one-pair cases cycle through. */
const PAIR_ROWS = 1000;

type Kind = 'f32' | 'i8' | 'binary';
const KINDS: [MetricName, Kind][] = [
  ['l2sq', 'f32'],
  ['dot', 'f32'],
  ['cosine', 'f32'],
  ['l2sq', 'i8'],
  ['dot', 'i8'],
  ['cosine', 'i8'],
  ['hamming', 'binary'],
];

interface Data {
  f32: Float32Array;
  i8: Int8Array;
  binary: Uint8Array;
}

function data(rows: number, dim: number, seed: number): Data {
  return cache.get(`${rows}x${dim}`, () => {
    const next = seeded(seed);
    const bytes = randomBytes((rows + 1) * dim, seed + 1);
    return {
      f32: Float32Array.from({ length: (rows + 1) * dim }, () => next() * 2 - 1),
      i8: new Int8Array(bytes.buffer),
      // Binary codes of `dim` bits: dim / 8 bytes per vector.
      binary: bytes.subarray(0, (rows + 1) * Math.ceil(dim / 8)),
    };
  });
}

/** Row `r` of the data of one kind (row 0 is the query). */
function row(d: Data, kind: Kind, dim: number, r: number): Vectors {
  const w = kind === 'binary' ? Math.ceil(dim / 8) : dim;
  return d[kind].subarray(r * w, (r + 1) * w);
}

function casesAt(dim: number, rows: number, o: SuiteOptions): BenchCase[] {
  const cases: BenchCase[] = [];
  for (const [metric, kind] of KINDS) {
    const elemBytes = kind === 'f32' ? 4 : kind === 'i8' ? 1 : 1 / 8;
    cases.push({
      name: `${metric}.${kind} pair ${dim}`,
      unit: 'pairs/s',
      work: PAIR_CALLS,
      setup() {
        const d = data(rows, dim, o.seed);
        const q = row(d, kind, dim, 0);
        const others = Array.from({ length: PAIR_ROWS }, (_, r) => row(d, kind, dim, 1 + (r % rows)));
        return (b) => {
          for (let i = 0; i < PAIR_CALLS; i++) b.distancePair(metric, q, others[i % PAIR_ROWS]);
        };
      },
    });
    cases.push({
      name: `${metric}.${kind} one-to-many ${dim}`,
      unit: 'pairs/s',
      work: rows,
      bytes: rows * dim * elemBytes,
      setup() {
        const d = data(rows, dim, o.seed);
        const w = kind === 'binary' ? Math.ceil(dim / 8) : dim;
        const q = row(d, kind, dim, 0);
        const all = d[kind].subarray(w, (rows + 1) * w);
        const out = new Float32Array(rows);
        return (b) => b.distanceMany(metric, q, all, out, 1);
      },
    });
  }
  if (o.threads > 1) {
    // A single-query scan over a large base is memory-bound on one core; this row shows what the
    // native backend does with every core on it (js has no threads).
    cases.push({
      name: `l2sq.f32 one-to-many ${dim} threads=${o.threads}`,
      unit: 'pairs/s',
      work: rows,
      bytes: rows * dim * 4,
      threads: o.threads,
      backends: ['native'],
      setup() {
        const d = data(rows, dim, o.seed);
        const all = d.f32.subarray(dim, (rows + 1) * dim);
        const out = new Float32Array(rows);
        return (b) => b.distanceMany('l2sq', row(d, 'f32', dim, 0), all, out, o.threads);
      },
    });
  }
  return cases;
}

export const distanceSuite: Suite = {
  name: 'distance',
  description: 'one pair per call, and one query against many rows in one call, on one thread',
  cases(o) {
    const dims = o.dim ? [o.dim] : o.size === 'quick' ? [128] : [128, 768, 1536];
    const rows = o.count ?? (o.size === 'quick' ? 10_000 : 100_000);
    return dims.flatMap((dim) => casesAt(dim, rows, o));
  },
};
