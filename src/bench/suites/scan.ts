import { selectBackend } from '../../backends/select.js';
import type { Backend } from '../../backends/backend.js';
import { FaissWorker } from '../../peers/faiss.js';
import { centerFromSums } from '../../quant/pipeline.js';
import { DEFAULT_EPS0, fileParamsFor } from '../../quant/rabitq.js';
import { rabitqPackedBytes, SCHEMES, type SchemeName } from '../../quant/schemes.js';
import { DataCache, siftLike, type BenchCase, type Suite, type SuiteOptions } from '../suite.js';

const cache = new DataCache(1);
const K = 10;
/** Queries per run: each one scans every code (a run is QUERIES scans). */
const QUERIES = 10;

/** What each contender scans: vectro's schemes, and FAISS's flat RaBitQ indexes beside rabitq1 and rabitq4. */
const KINDS = ['f32', 'int8', 'binary', 'rabitq1', 'rabitq2', 'rabitq4', 'rabitq8'] as const;
type Kind = (typeof KINDS)[number];
const FASTSCAN_KINDS = ['rabitq1', 'rabitq2', 'rabitq4', 'rabitq8'] as const;
const FAISS: Partial<Record<Kind, string[]>> = { rabitq1: ['RaBitQ', 'RaBitQfs'], rabitq4: ['RaBitQ4', 'RaBitQfs4'] };

interface Coded {
  codes: Uint8Array;
  params: Float32Array;
  block: Float32Array;
}

function dataset(count: number, dim: number, seed: number) {
  return cache.get(`${count}x${dim}`, () => {
    const all = siftLike(count + QUERIES, dim, seed);
    return { base: all.subarray(0, count * dim), queries: all.subarray(count * dim), coded: new Map<string, Coded>() };
  });
}

/** The base encoded once (both backends give the same codes). */
function coded(name: SchemeName, base: Float32Array, dim: number, store: Map<string, Coded>): Coded {
  let c = store.get(name);
  if (c) return c;
  const scheme = SCHEMES[name];
  const b = selectBackend('auto');
  const n = base.length / dim;
  const sums = new Float64Array(dim);
  b.columnSums(base, dim, sums);
  const block = fileParamsFor(scheme, centerFromSums(sums, n));
  const codes = new Uint8Array(n * scheme.codeBytes(dim));
  const params = new Float32Array(n * scheme.vectorParams);
  b.encode(scheme, base, dim, block, codes, params, 0);
  c = { codes, params, block };
  store.set(name, c);
  return c;
}

/** One run for a vectro backend: QUERIES scans of the codes (distances, then the 10 smallest). */
function vectroScan(kind: Kind, count: number, dim: number, o: SuiteOptions, fastscan = false): (b: Backend) => void {
  const d = dataset(count, dim, o.seed);
  const dists = new Float32Array(count);
  const idx = new Uint32Array(K);
  const top = new Float32Array(K);
  const query = (q: number) => d.queries.subarray(q * dim, (q + 1) * dim);
  if (kind === 'f32') {
    return (b) => {
      for (let q = 0; q < QUERIES; q++) {
        b.distanceMany('l2sq', query(q), d.base, dists, 1);
        b.topk(dists, K, idx, top);
      }
    };
  }
  const c = coded(kind, d.base, dim, d.coded);
  if (kind === 'int8' || kind === 'binary') {
    const q = coded(kind, d.queries, dim, new Map());
    const rows = kind === 'int8' ? new Int8Array(c.codes.buffer) : c.codes;
    const qs = kind === 'int8' ? new Int8Array(q.codes.buffer) : q.codes;
    const w = SCHEMES[kind].codeBytes(dim);
    return (b) => {
      for (let i = 0; i < QUERIES; i++) {
        b.distanceMany(kind === 'int8' ? 'l2sq' : 'hamming', qs.subarray(i * w, (i + 1) * w), rows, dists, 1);
        b.topk(dists, K, idx, top);
      }
    };
  }
  const bounds = new Float32Array(count);
  const bits = SCHEMES[kind].bits;
  if (fastscan) {
    // Packed once, as FAISS packs its FastScan codes when they are added.
    const packed = new Uint8Array(rabitqPackedBytes(bits, dim, count));
    selectBackend('auto').rabitqPack(bits, dim, c.codes, packed);
    return (b) => {
      for (let q = 0; q < QUERIES; q++) {
        b.rabitqScan(bits, c.block, dim, query(q), true, packed, c.params, DEFAULT_EPS0, dists, bounds, 1);
        b.topk(dists, K, idx, top);
      }
    };
  }
  return (b) => {
    for (let q = 0; q < QUERIES; q++) {
      b.rabitqEstimate(bits, c.block, dim, query(q), true, c.codes, c.params, DEFAULT_EPS0, dists, bounds, 1);
      b.topk(dists, K, idx, top);
    }
  };
}

const workers = new Map<string, Promise<{ worker: FaissWorker }>>();

/** FAISS: the factory built once over the base; a run is QUERIES one-query searches, timed in its worker. */
function faissScan(factory: string, count: number, dim: number, o: SuiteOptions) {
  const d = dataset(count, dim, o.seed);
  const key = `${factory} ${count}x${dim}`;
  let ready = workers.get(key);
  if (!ready) {
    ready = (async () => {
      const worker = await FaissWorker.start();
      await worker.build({ factory, metric: 'l2', base: d.base, dim, threads: 1 });
      return { worker };
    })();
    workers.set(key, ready);
  }
  const once = { min: 1, max: 1, minSeconds: 0, maxSeconds: 0, passSeconds: 1e9, passQueries: 1e12 };
  return async () => {
    const { worker } = await ready;
    const r = await worker.search({ queries: d.queries, k: K, params: {}, threads: 1, warmup: 0, passes: once });
    return { ownSeconds: r.timed / r.qps };
  };
}

/** One scan case: vectro's backends on `kind` (row-major or FastScan-packed), and FAISS's `factory` beside them. */
function scanCase(kind: Kind, count: number, dim: number, o: SuiteOptions, fastscan: boolean, factory: string | undefined): BenchCase {
  return {
    name: `${kind}${fastscan ? ' fastscan' : ''} ${count}x${dim}`,
    unit: 'codes/s',
    work: count * QUERIES,
    backends: factory ? ['native', 'js', 'faiss'] : ['native', 'js'],
    setupTarget() {
      let run: ((b: Backend) => void) | undefined;
      return (target) => {
        if (target === 'faiss' && factory) return faissScan(factory, count, dim, o)();
        run ??= vectroScan(kind, count, dim, o, fastscan);
        run(selectBackend(target as 'native' | 'js'));
      };
    },
  };
}

function casesAt(count: number, dim: number, o: SuiteOptions): BenchCase[] {
  return [
    ...KINDS.map((kind) => scanCase(kind, count, dim, o, false, FAISS[kind]?.[0])),
    // vectro's FastScan layout (rabitqScan over packed codes) beside FAISS's.
    ...FASTSCAN_KINDS.map((kind) => scanCase(kind, count, dim, o, true, FAISS[kind]?.[1])),
  ];
}

export const scanSuite: Suite = {
  name: 'scan',
  description:
    'one query against every code of each scheme (distances or estimates, then the 10 nearest), one thread; rabitq row-major and in FastScan blocks; FAISS IndexRaBitQ and its FastScan beside rabitq1 and rabitq4',
  cases(o) {
    const count = o.count ?? (o.size === 'quick' ? 10_000 : 100_000);
    const dims = o.dim ? [o.dim] : o.size === 'full' ? [128, 768] : [128];
    return dims.flatMap((dim) => casesAt(count, dim, o));
  },
};
