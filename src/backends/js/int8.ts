import { F32_MAX, roundHalfEven } from './rounding.js';

/**
 * int8, per-vector symmetric: scale = fround(max|x| / 127); q = clamp(rhe(fround(x / scale)), ±127).
 * Mirrors crates/vectro-core/src/quant/int8.rs. Returns the first row with NaN/Inf, or -1.
 */
export function encodeInt8(x: Float32Array, dim: number, codes: Uint8Array, scales: Float32Array): number {
  const q = new Int8Array(codes.buffer, codes.byteOffset, codes.length);
  const rows = x.length / dim;
  for (let r = 0, base = 0; r < rows; r++, base += dim) {
    const end = base + dim;
    let m = 0;
    let finite = true;
    for (let i = base; i < end; i++) {
      const a = Math.abs(x[i]);
      if (!(a <= F32_MAX)) finite = false;
      if (a > m) m = a;
    }
    if (!finite) return r;
    const scale = Math.fround(m / 127);
    scales[r] = scale;
    if (scale === 0) {
      q.fill(0, base, end);
      continue;
    }
    for (let i = base; i < end; i++) {
      const t = roundHalfEven(Math.fround(x[i] / scale));
      // biome-ignore lint/complexity/useMathMinMax: the clamp as the Rust kernel writes it, in the hot loop
      q[i] = t > 127 ? 127 : t < -127 ? -127 : t;
    }
  }
  return -1;
}

/** `scale^2 * sum(c^2)`, as int8.rs's `norm` computes it (exact integer sum, float64 products). */
export function int8Norm(codes: Int8Array, at: number, dim: number, scale: number): number {
  let sum = 0;
  for (let i = at; i < at + dim; i++) sum += codes[i] * codes[i];
  return scale * scale * sum;
}

/**
 * The distance between two int8 code rows from their dot product (already rounded to float32, as
 * the Rust kernel returns it), scales and norms, as int8.rs's `distance`: l2 as
 * `na + nb - 2 sa sb (a.b)` (at least 0), ip and cosine as `1 - sa sb (a.b)`, rounded once to float32.
 */
export function int8Distance(l2: boolean, dot: number, scaleA: number, normA: number, scaleB: number, normB: number): number {
  const ss = scaleA * scaleB;
  return Math.fround(l2 ? Math.max(0, normA + normB - 2 * ss * dot) : 1 - ss * dot);
}

export function decodeInt8(codes: Uint8Array, scales: Float32Array, dim: number, out: Float32Array): void {
  const q = new Int8Array(codes.buffer, codes.byteOffset, codes.length);
  const rows = scales.length;
  for (let r = 0, base = 0; r < rows; r++, base += dim) {
    const s = scales[r];
    for (let i = base; i < base + dim; i++) out[i] = q[i] * s;
  }
}
