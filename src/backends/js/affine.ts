import { F32_MAX, roundHalfEven } from './rounding.js';

/**
 * int4/int2, per-vector affine: lo, hi = extremes (+0.0 for -0.0), step = fround(fround(hi - lo) / L),
 * q = clamp(rhe(fround(fround(x - lo) / step)), 0, L), packed low bits first.
 * Mirrors crates/vectro-core/src/quant/affine.rs. Returns the first row it cannot encode, or -1.
 */
export function encodeAffine(bits: 4 | 2, x: Float32Array, dim: number, codes: Uint8Array, params: Float32Array): number {
  const top = (1 << bits) - 1;
  const perByte = 8 / bits;
  const rowBytes = Math.ceil((dim * bits) / 8);
  const rows = x.length / dim;
  for (let r = 0, base = 0; r < rows; r++, base += dim) {
    const end = base + dim;
    let lo = x[base];
    let hi = lo;
    let finite = true;
    for (let i = base; i < end; i++) {
      const v = x[i];
      if (!(Math.abs(v) <= F32_MAX)) finite = false;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    lo += 0; // -0 becomes +0, as in Rust
    hi += 0;
    const step = Math.fround(Math.fround(hi - lo) / top);
    if (!finite || !Number.isFinite(step)) return r;
    params[2 * r] = lo;
    params[2 * r + 1] = step;
    const out = r * rowBytes;
    if (step === 0) {
      codes.fill(0, out, out + rowBytes);
      continue;
    }
    for (let b = 0; b < rowBytes; b++) {
      let packed = 0;
      const first = base + b * perByte;
      const last = Math.min(first + perByte, end);
      for (let i = first; i < last; i++) {
        const t = roundHalfEven(Math.fround(Math.fround(x[i] - lo) / step));
        // biome-ignore lint/complexity/useMathMinMax: the clamp as the Rust kernel writes it, in the hot loop
        const q = t > 0 ? (t < top ? t : top) : 0;
        packed |= q << (bits * (i - first));
      }
      codes[out + b] = packed;
    }
  }
  return -1;
}

export function decodeAffine(bits: 4 | 2, codes: Uint8Array, params: Float32Array, dim: number, out: Float32Array): void {
  const mask = (1 << bits) - 1;
  const perByte = 8 / bits;
  const rowBytes = Math.ceil((dim * bits) / 8);
  const rows = params.length / 2;
  for (let r = 0, base = 0; r < rows; r++, base += dim) {
    const lo = params[2 * r];
    const step = params[2 * r + 1];
    const row = r * rowBytes;
    for (let i = 0; i < dim; i++) {
      const byteIndex = (i / perByte) | 0;
      const q = (codes[row + byteIndex] >> (bits * (i - byteIndex * perByte))) & mask;
      out[base + i] = lo + Math.fround(q * step);
    }
  }
}
