import { F32_MAX } from './rounding.js';

/** Adds each row to acc in float64, rows in order; returns the first non-finite row, or -1. */
export function columnSums(x: Float32Array, dim: number, acc: Float64Array): number {
  const rows = x.length / dim;
  for (let r = 0, base = 0; r < rows; r++, base += dim) {
    for (let i = base; i < base + dim; i++) if (!(Math.abs(x[i]) <= F32_MAX)) return r;
    for (let j = 0; j < dim; j++) acc[j] += x[base + j];
  }
  return -1;
}

/** Same accumulation, in the same order, as the Rust core's `error_stats`. */
export function errorStats(x: Float32Array, y: Float32Array, dim: number, acc: Float64Array): void {
  let [sumAbs, maxAbs, sumSq, sumRel, relRows] = acc;
  for (let base = 0; base < x.length; base += dim) {
    let err2 = 0;
    let norm2 = 0;
    for (let i = base; i < base + dim; i++) {
      const xa = x[i];
      const e = xa - y[i];
      const ae = Math.abs(e);
      sumAbs += ae;
      if (ae > maxAbs) maxAbs = ae;
      sumSq += e * e;
      err2 += e * e;
      norm2 += xa * xa;
    }
    if (norm2 > 0) {
      sumRel += Math.sqrt(err2) / Math.sqrt(norm2);
      relRows += 1;
    }
  }
  acc.set([sumAbs, maxAbs, sumSq, sumRel, relRows]);
}
