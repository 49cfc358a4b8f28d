import { selectBackend, type BackendChoice } from '../backends/select.js';
import { badVectorError, centerFromSums } from './pipeline.js';
import { fileParamsFor } from './rabitq.js';
import { codeBytes, MAX_DIM, SCHEMES, type Scheme, type SchemeName } from './schemes.js';

/** Vectors quantized in memory: what a `.vq` file holds, as typed arrays. */
export interface Quantized {
  scheme: Scheme;
  dim: number;
  count: number;
  codes: Uint8Array;
  params: Float32Array;
  /** The per-file parameters: binary's center; rabitq's rotation words and center; empty otherwise. */
  center: Float32Array;
}

export interface MemoryOptions {
  backend?: BackendChoice;
  /** Threads for the native backend (0 = all cores). */
  threads?: number;
  /** rabitq: the rotation's seed (default 42). Vectors are encoded as given (normalise them first for cosine). */
  seed?: number;
}

/** Quantizes `x` (row-major, `dim` wide) without copying it. Throws DataError on NaN/Inf. */
export function quantize(x: Float32Array, dim: number, scheme: SchemeName = 'int8', options: MemoryOptions = {}): Quantized {
  const s = SCHEMES[scheme];
  if (!s) throw new RangeError(`unknown scheme '${scheme}'`);
  if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM || x.length % dim !== 0) {
    throw new RangeError(`x holds ${x.length} floats, not a whole number of ${dim}-dimensional vectors`);
  }
  const backend = selectBackend(options.backend ?? 'auto');
  const count = x.length / dim;
  let center: Float32Array = new Float32Array(0);
  if (s.hasCenter) {
    const sums = new Float64Array(dim);
    const bad = backend.columnSums(x, dim, sums);
    if (bad >= 0) throw badVectorError('input', s, x, dim, bad, 0);
    center = fileParamsFor(s, centerFromSums(sums, count), { seed: options.seed === undefined ? undefined : BigInt(options.seed) });
  }
  const codes = new Uint8Array(count * codeBytes(s, dim));
  const params = new Float32Array(count * s.vectorParams);
  const bad = backend.encode(s, x, dim, center, codes, params, options.threads ?? 0);
  if (bad >= 0) throw badVectorError('input', s, x, dim, bad, 0);
  return { scheme: s, dim, count, codes, params, center };
}

/** Decodes quantized vectors back to float32. */
export function dequantize(q: Quantized, options: MemoryOptions = {}): Float32Array {
  const out = new Float32Array(q.count * q.dim);
  selectBackend(options.backend ?? 'auto').decode(q.scheme, q.codes, q.params, q.center, q.dim, out, options.threads ?? 0);
  return out;
}
