import { DataError } from '../errors.js';
import { MAX_DIM } from '../quant/schemes.js';
import type { Dtype } from './detect.js';

/**
 * Where the rows of a vector file are: every format is rows of `dim` elements at a fixed stride
 * after a header; TEXMEX rows also start with their own 4-byte dimension.
 */
export interface RowLayout {
  dtype: Dtype;
  dim: number;
  count: number;
  dataOffset: number;
  /** Bytes before each row's values (4 for TEXMEX, else 0). */
  rowPrefix: number;
}

/** Rejects a dimension vectro cannot handle. */
export function checkDim(path: string, dim: number): void {
  if (!(dim >= 1 && dim <= MAX_DIM)) {
    throw new DataError(`${path}: dimension ${dim} is out of range (1 to ${MAX_DIM})`);
  }
}
