import { DataError, InterruptedError } from '../errors.js';
import { describeNonFinite } from '../formats/finite.js';
import { ERROR_STATS_LEN, type Backend } from '../backends/backend.js';
import { signalExitCode } from '../signals.js';
import { codeBytes, type Scheme } from './schemes.js';

/** Input floats per chunk: big enough to amortise calls and I/O, small enough to bound memory. */
export const DEFAULT_CHUNK_BYTES = 16 << 20;

export function rowsPerChunk(dim: number, count: number, chunkBytes = DEFAULT_CHUNK_BYTES): number {
  return Math.max(1, Math.min(Math.floor(chunkBytes / (dim * 4)), count));
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new InterruptedError(typeof signal.reason === 'string' ? signalExitCode(signal.reason) : 130);
}

/** binary's center: the float64 column sums divided by the count, rounded to float32. */
export function centerFromSums(sums: Float64Array, count: number): Float32Array {
  return Float32Array.from(sums, (s) => (count > 0 ? s / count : 0));
}

/** Why row `index` (its values in `row`) could not be encoded: the first non-finite value, else overflow. */
export function describeBadVector(source: string, scheme: Scheme, row: Float32Array, index: number): string {
  const nonFinite = describeNonFinite(source, row, row.length, index);
  if (nonFinite) return nonFinite;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of row) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return `${source}: vector ${index} cannot be encoded as ${scheme.name}: its values (${lo} to ${hi}) overflow float32 arithmetic`;
}

/** The buffers one chunk of encoding needs, allocated once and viewed per chunk. */
export class ChunkBuffers {
  readonly x: Float32Array;
  readonly decoded: Float32Array;
  readonly codes: Uint8Array;
  readonly params: Float32Array;

  constructor(
    readonly scheme: Scheme,
    readonly dim: number,
    readonly rows: number,
  ) {
    this.x = new Float32Array(rows * dim);
    this.decoded = new Float32Array(rows * dim);
    this.codes = new Uint8Array(rows * codeBytes(scheme, dim));
    this.params = new Float32Array(rows * scheme.vectorParams);
  }

  /** Views for the first `n` rows. */
  view(n: number) {
    return {
      x: this.x.subarray(0, n * this.dim),
      decoded: this.decoded.subarray(0, n * this.dim),
      codes: this.codes.subarray(0, n * codeBytes(this.scheme, this.dim)),
      params: this.params.subarray(0, n * this.scheme.vectorParams),
    };
  }
}

/** Running reconstruction error over chunks; see `Backend.errorStats`. */
export class ErrorTally {
  readonly acc = new Float64Array(ERROR_STATS_LEN);
  values = 0;

  add(backend: Backend, x: Float32Array, decoded: Float32Array, dim: number): void {
    backend.errorStats(x, decoded, dim, this.acc);
    this.values += x.length;
  }

  summary() {
    const [sumAbs, maxAbs, sumSq, sumRel, relRows] = this.acc;
    const n = this.values;
    return {
      meanAbsError: n > 0 ? sumAbs / n : null,
      maxAbsError: n > 0 ? maxAbs : null,
      mse: n > 0 ? sumSq / n : null,
      /** Mean of ||x - x'|| / ||x|| over vectors with ||x|| > 0. */
      meanRelativeError: relRows > 0 ? sumRel / relRows : null,
    };
  }
}

export function badVectorError(source: string, scheme: Scheme, x: Float32Array, dim: number, bad: number, first: number): DataError {
  return new DataError(describeBadVector(source, scheme, x.subarray(bad * dim, (bad + 1) * dim), first + bad));
}
