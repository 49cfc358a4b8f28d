import { normaliseInto } from '../distance/normalise.js';

/**
 * Binary storage's center: the per-dimension mean of the vectors (of the normalised vectors for
 * cosine), as float64 sums in row order rounded once to float32, like the binary quantization
 * scheme. Fed in chunks, so a file can be streamed through it.
 */
export class CenterSum {
  private readonly sums: Float64Array;
  private rows = 0;

  constructor(
    private readonly dim: number,
    private readonly normalise: boolean,
  ) {
    this.sums = new Float64Array(dim);
  }

  add(x: Float32Array): void {
    const { dim, sums } = this;
    const row = new Float32Array(dim);
    for (let at = 0; at < x.length; at += dim) {
      // Normalised as the index normalises what it stores.
      if (this.normalise) normaliseInto(x, at, dim, row, 0);
      else row.set(x.subarray(at, at + dim));
      for (let i = 0; i < dim; i++) sums[i] += row[i];
      this.rows++;
    }
  }

  mean(): Float32Array {
    return Float32Array.from(this.sums, (s) => (this.rows > 0 ? s / this.rows : 0));
  }
}
