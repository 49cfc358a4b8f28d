/** `x / |x|` into `out` (0 for a zero vector), exactly as the Rust index normalises: float32 sum of squares, sqrt, one division per value. */
export function normaliseInto(x: Float32Array, xo: number, dim: number, out: Float32Array, oo: number): void {
  let sum = 0;
  for (let i = 0; i < dim; i++) sum = Math.fround(sum + Math.fround(x[xo + i] * x[xo + i]));
  const norm = Math.fround(Math.sqrt(sum));
  for (let i = 0; i < dim; i++) out[oo + i] = norm > 0 ? x[xo + i] / norm : 0;
}
