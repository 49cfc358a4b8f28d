/**
 * binary: bit = x > c; s = fround(sum_f64(|fround(x - c)|) / dim); decode c ± s.
 * Mirrors crates/vectro-core/src/quant/binary.rs. Returns the first row whose s is not finite, or -1.
 */
export function encodeBinary(x: Float32Array, dim: number, center: Float32Array, codes: Uint8Array, s: Float32Array): number {
  const rowBytes = Math.ceil(dim / 8);
  const rows = x.length / dim;
  for (let r = 0, base = 0; r < rows; r++, base += dim) {
    let sum = 0;
    const out = r * rowBytes;
    for (let b = 0; b < rowBytes; b++) {
      let bits = 0;
      const last = Math.min(8 * b + 8, dim);
      for (let i = 8 * b; i < last; i++) {
        const v = x[base + i];
        const c = center[i];
        if (v > c) bits |= 1 << (i - 8 * b);
        sum += Math.abs(Math.fround(v - c));
      }
      codes[out + b] = bits;
    }
    const mean = Math.fround(sum / dim);
    if (!Number.isFinite(mean)) return r;
    s[r] = mean;
  }
  return -1;
}

export function decodeBinary(codes: Uint8Array, s: Float32Array, center: Float32Array, dim: number, out: Float32Array): void {
  const rowBytes = Math.ceil(dim / 8);
  for (let r = 0, base = 0; r < s.length; r++, base += dim) {
    const sv = s[r];
    const row = r * rowBytes;
    for (let i = 0; i < dim; i++) {
      const bit = (codes[row + (i >> 3)] >> (i & 7)) & 1;
      out[base + i] = bit === 1 ? center[i] + sv : center[i] - sv;
    }
  }
}
