import { selectBackend } from '../../backends/select.js';
import { centerFromSums } from '../../quant/pipeline.js';
import { codeBytes, SCHEME_NAMES, SCHEMES, type Scheme } from '../../quant/schemes.js';
import { fileParamsFor } from '../../quant/rabitq.js';
import { DataCache, siftLike, type BenchCase, type Suite, type SuiteOptions } from '../suite.js';

const cache = new DataCache(1);

interface Size {
  count: number;
  dim: number;
  /** Whether every scheme runs at this size, or only int8.encode beside the copy. */
  allSchemes: boolean;
  /** Backends at this size (js is slow at a million vectors; the default run leaves it out there). */
  backends?: readonly ('native' | 'js')[];
}

function sizes(o: SuiteOptions): Size[] {
  const dim = o.dim ?? 128;
  if (o.count) return [{ count: o.count, dim, allSchemes: true }];
  if (o.size === 'quick') return [{ count: 1000, dim, allSchemes: true }];
  const base: Size = { count: 10_000, dim, allSchemes: true };
  if (o.size === 'default') return [base, { count: 1_000_000, dim, allSchemes: false, backends: ['native'] }];
  return [base, { count: 1_000_000, dim, allSchemes: true }, ...(o.dim ? [] : [{ count: 10_000, dim: 768, allSchemes: true }])];
}

/** Encoded inputs for the decode cases, made once with the fastest backend (all give the same). */
function encoded(scheme: Scheme, x: Float32Array, dim: number) {
  const rows = x.length / dim;
  const prep = selectBackend('auto');
  let center: Float32Array = new Float32Array(0);
  if (scheme.hasCenter) {
    const sums = new Float64Array(dim);
    prep.columnSums(x, dim, sums);
    center = fileParamsFor(scheme, centerFromSums(sums, rows));
  }
  const codes = new Uint8Array(rows * codeBytes(scheme, dim));
  const params = new Float32Array(rows * scheme.vectorParams);
  prep.encode(scheme, x, dim, center, codes, params, 0);
  return { center, codes, params };
}

/** The classic schemes, and rabitq at 1, 4 and 8 bits (the others sit between). */
const BENCH_SCHEMES = SCHEME_NAMES.filter((n) => !/^rabitq[235-7]$/.test(n));

function casesAt(size: Size, o: SuiteOptions): BenchCase[] {
  const { count, dim } = size;
  const label = `${count}x${dim}`;
  const data = () => cache.get(label, () => siftLike(count, dim, o.seed));
  // What every case at this size shares: vectors per run, float32 bytes read or written.
  const shared = { unit: 'vec/s', work: count, bytes: count * dim * 4, backends: size.backends } as const;
  const cases: BenchCase[] = [
    {
      ...shared,
      name: `copy ${label}`,
      setup() {
        const x = data();
        const dst = new Float32Array(x.length);
        return (b) => b.copy(x, dst);
      },
    },
  ];
  const schemes = size.allSchemes ? BENCH_SCHEMES : (['int8'] as const);
  for (const name of schemes) {
    const scheme = SCHEMES[name];
    cases.push({
      ...shared,
      name: `${name}.encode ${label}`,
      setup() {
        const x = data();
        const { center } = encoded(scheme, x.subarray(0, Math.min(x.length, 1000 * dim)), dim);
        const codes = new Uint8Array(count * codeBytes(scheme, dim));
        const params = new Float32Array(count * scheme.vectorParams);
        return (b) => b.encode(scheme, x, dim, center, codes, params, 1);
      },
    });
    if (!size.allSchemes) continue;
    cases.push({
      ...shared,
      name: `${name}.decode ${label}`,
      setup() {
        const { center, codes, params } = encoded(scheme, data(), dim);
        const out = new Float32Array(count * dim);
        return (b) => b.decode(scheme, codes, params, center, dim, out, 1);
      },
    });
  }
  if (!size.allSchemes && o.threads > 1) {
    const scheme = SCHEMES.int8;
    cases.push({
      ...shared,
      name: `int8.encode ${label} threads=${o.threads}`,
      threads: o.threads,
      backends: ['native'],
      setup() {
        const x = data();
        const codes = new Uint8Array(count * dim);
        const params = new Float32Array(count);
        return (b) => b.encode(scheme, x, dim, new Float32Array(0), codes, params, o.threads);
      },
    });
  }
  return cases;
}

export const quantizeSuite: Suite = {
  name: 'quantize',
  description: 'encode and decode per scheme on one thread, beside a plain copy of the same input',
  cases: (o) => sizes(o).flatMap((s) => casesAt(s, o)),
};
