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
    for (let at = 0; at < x.length; at += dim) {
      let norm = 1;
      if (this.normalise) {
        // As the index normalises: float32 sum of squares, sqrt, then one division per value.
        let sq = 0;
        for (let i = at; i < at + dim; i++) sq = Math.fround(sq + Math.fround(x[i] * x[i]));
        norm = Math.fround(Math.sqrt(sq));
      }
      for (let i = 0; i < dim; i++) sums[i] += !this.normalise ? x[at + i] : norm > 0 ? Math.fround(x[at + i] / norm) : 0;
      this.rows++;
    }
  }

  mean(): Float32Array {
    return Float32Array.from(this.sums, (s) => (this.rows > 0 ? s / this.rows : 0));
  }
}
