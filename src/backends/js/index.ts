import { MAX_DIM, type Scheme, type SchemeFamily } from '../../quant/schemes.js';
import { ERROR_STATS_LEN, type Backend } from '../backend.js';
import { decodeAffine, encodeAffine } from './affine.js';
import { decodeBinary, encodeBinary } from './binary.js';
import { decodeInt8, encodeInt8 } from './int8.js';
import { decodeRabitq, encodeRabitq, rabitqEstimate } from './rabitq.js';
import { checkShapes } from './shapes.js';
import { rabitqPack, rabitqScan } from './fastscan.js';
import { distanceMany, distanceMatrix, distancePair } from './distance.js';
import { topk } from './topk.js';
import { flatSearch } from './flat.js';
import { columnSums, errorStats } from './stats.js';

/** One entry per kernel family; `fileParams` is the scheme's per-file block (center, rotation). */
interface SchemeKernels {
  encode(bits: number, x: Float32Array, dim: number, fileParams: Float32Array, codes: Uint8Array, params: Float32Array): number;
  decode(bits: number, codes: Uint8Array, params: Float32Array, fileParams: Float32Array, dim: number, out: Float32Array): void;
}

const KERNELS: Record<SchemeFamily, SchemeKernels> = {
  int8: {
    encode: (_bits, x, dim, _center, codes, params) => encodeInt8(x, dim, codes, params),
    decode: (_bits, codes, params, _center, dim, out) => decodeInt8(codes, params, dim, out),
  },
  affine: {
    encode: (bits, x, dim, _center, codes, params) => encodeAffine(bits as 4 | 2, x, dim, codes, params),
    decode: (bits, codes, params, _center, dim, out) => decodeAffine(bits as 4 | 2, codes, params, dim, out),
  },
  binary: {
    encode: (_bits, x, dim, center, codes, params) => encodeBinary(x, dim, center, codes, params),
    decode: (_bits, codes, params, center, dim, out) => decodeBinary(codes, params, center, dim, out),
  },
  rabitq: { encode: encodeRabitq, decode: decodeRabitq },
};

/** The pure-TypeScript baseline: the same results as the Rust core, on one thread. */
export const jsBackend: Backend = {
  name: 'js',
  simd: 'js',
  maxThreads: 1,
  encode(scheme: Scheme, x, dim, center, codes, params) {
    checkShapes(scheme, dim, x.length, codes.length, params.length, center.length);
    return KERNELS[scheme.family].encode(scheme.bits, x, dim, center, codes, params);
  },
  decode(scheme: Scheme, codes, params, center, dim, out) {
    checkShapes(scheme, dim, out.length, codes.length, params.length, center.length);
    KERNELS[scheme.family].decode(scheme.bits, codes, params, center, dim, out);
  },
  columnSums(x, dim, acc) {
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM || x.length % dim !== 0 || acc.length !== dim) {
      throw new RangeError(`columnSums needs 1 <= dim <= ${MAX_DIM}, whole rows and dim sums`);
    }
    return columnSums(x, dim, acc);
  },
  errorStats(x, y, dim, acc) {
    if (dim < 1 || x.length !== y.length || x.length % dim !== 0 || acc.length !== ERROR_STATS_LEN) {
      throw new RangeError(`errorStats needs two equal buffers of whole rows and ${ERROR_STATS_LEN} slots`);
    }
    errorStats(x, y, dim, acc);
  },
  distancePair,
  distanceMany: (metric, query, rows, out) => distanceMany(metric, query, rows, out),
  distanceMatrix: (metric, queries, base, dim, out) => distanceMatrix(metric, queries, base, dim, out),
  topk,
  copy(src, dst) {
    if (src.length !== dst.length) throw new RangeError(`src holds ${src.length} floats, dst ${dst.length}`);
    dst.set(src);
  },
  flatSearch: (metric, base, dim, queries, k, ids, dists) => flatSearch(metric, base, dim, queries, k, ids, dists),
  rabitqEstimate: (bits, words, dim, queries, l2, codes, params, eps0, dists, bounds) =>
    rabitqEstimate(bits, words, dim, queries, l2, codes, params, eps0, dists, bounds),
  rabitqPack,
  rabitqScan: (bits, words, dim, queries, l2, packed, params, eps0, dists, bounds) =>
    rabitqScan(bits, words, dim, queries, l2, packed, params, eps0, dists, bounds),
};
