//! int8: per-vector symmetric quantization.
//!
//! m = max |x_i|, scale = m / 127 (float32). If scale == 0 (m == 0, or m so small that m / 127
//! underflows) every code is 0. Otherwise q_i = clamp(round_half_even(x_i / scale), -127, 127).
//! Decode: q_i * scale. The division is a true IEEE division (not a multiply by 1/scale) so that
//! every implementation, scalar, SIMD or JS, rounds the same quotient.

use super::scheme::{Codec, Coder};
use crate::simd::Level;

/// int8 codes (stored as bytes) read as signed values.
#[inline(always)]
pub fn as_i8(b: &[u8]) -> &[i8] {
    // SAFETY: u8 and i8 have the same size and alignment; every bit pattern is valid.
    unsafe { std::slice::from_raw_parts(b.as_ptr() as *const i8, b.len()) }
}

/// `scale^2 * sum(c^2)`, the squared norm of a code row's reconstruction: an exact integer sum,
/// float64 products (the TypeScript baseline's `int8Norm` computes the same).
pub fn norm(codes: &[u8], scale: f32) -> f64 {
    let sum: i64 = codes.iter().map(|&c| (c as i8) as i64 * (c as i8) as i64).sum();
    scale as f64 * scale as f64 * sum as f64
}

/// The distance between two code rows from their integer dot product, scales and norms, finished in
/// float64 and rounded once to float32: l2 as `na + nb - 2 sa sb (a.b)` (at least 0), ip and cosine
/// (unit vectors) as `1 - sa sb (a.b)`. HNSW and IVF int8 storage both measure this.
#[inline(always)]
pub fn distance(l2: bool, dot: f32, a: (f32, f64), b: (f32, f64)) -> f32 {
    let ss = a.0 as f64 * b.0 as f64;
    if l2 {
        (a.1 + b.1 - 2.0 * ss * dot as f64).max(0.0) as f32
    } else {
        (1.0 - ss * dot as f64) as f32
    }
}

/// `distance` for a query and many rows, in place over their integer dot products: `dots[i]`
/// becomes the distance to the row of scale `scales[i]` and norm `norms[i]`. The AVX2 loop does
/// the same float64 operations, four rows at a time, so the values are bit for bit `distance`'s.
pub fn distances(level: Level, l2: bool, query: (f32, f64), scales: &[f32], norms: &[f64], dots: &mut [f32]) {
    assert!(scales.len() >= dots.len() && norms.len() >= dots.len(), "one scale and norm a row");
    #[cfg(target_arch = "x86_64")]
    if level >= Level::Avx2 {
        // SAFETY: `level` is supported (callers pass `simd::best_level`), so the CPU has AVX2;
        // the lengths were checked above.
        return unsafe { super::x86_avx2::int8_distances(l2, query, scales, norms, dots) };
    }
    let _ = level;
    for ((d, &s), &n) in dots.iter_mut().zip(scales).zip(norms) {
        *d = distance(l2, *d, query, (s, n));
    }
}

/// The code of one value, given a non-zero scale (scalar reference).
#[inline(always)]
pub(super) fn code(v: f32, scale: f32) -> u8 {
    ((v / scale).round_ties_even().clamp(-127.0, 127.0) as i8) as u8
}

/// Scalar reference for one vector: returns the scale, or None for a NaN or infinite value.
#[inline(always)]
pub(super) fn encode_one(x: &[f32], q: &mut [u8]) -> Option<f32> {
    let mut m = 0f32;
    let mut finite = true;
    for &v in x {
        let a = v.abs();
        finite &= a <= f32::MAX;
        m = if a > m { a } else { m };
    }
    if !finite {
        return None;
    }
    let scale = m / 127.0;
    if scale == 0.0 {
        q.fill(0);
    } else {
        for (o, &v) in q.iter_mut().zip(x) {
            *o = code(v, scale);
        }
    }
    Some(scale)
}

pub(super) fn encode_rows(level: Level, x: &[f32], dim: usize, codes: &mut [u8], scales: &mut [f32]) -> Option<usize> {
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `level` is supported (callers pass `simd::best_level`), so the CPU has AVX-512.
        Level::Avx512 => unsafe { super::x86_avx512::int8_encode_rows(x, dim, codes, scales) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above, for AVX2.
        Level::Avx2 => unsafe { super::x86_avx2::int8_encode_rows(x, dim, codes, scales) },
        _ => encode_rows_scalar(x, dim, codes, scales),
    }
}

pub(super) fn encode_rows_scalar(x: &[f32], dim: usize, codes: &mut [u8], scales: &mut [f32]) -> Option<usize> {
    for (r, ((xv, qv), s)) in x.chunks_exact(dim).zip(codes.chunks_exact_mut(dim)).zip(scales.iter_mut()).enumerate() {
        *s = match encode_one(xv, qv) {
            Some(scale) => scale,
            None => return Some(r),
        };
    }
    None
}

/// Decode body shared by every level; the ISA wrappers compile it with their target features.
#[inline(always)]
pub(super) fn decode_rows_generic(codes: &[u8], scales: &[f32], dim: usize, out: &mut [f32]) {
    for ((qv, &s), ov) in codes.chunks_exact(dim).zip(scales).zip(out.chunks_exact_mut(dim)) {
        for (o, &q) in ov.iter_mut().zip(qv) {
            *o = (q as i8) as f32 * s;
        }
    }
}

pub(super) fn decode_rows(level: Level, codes: &[u8], scales: &[f32], dim: usize, out: &mut [f32]) {
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx512 => unsafe { super::x86_avx512::int8_decode_rows(codes, scales, dim, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx2 => unsafe { super::x86_avx2::int8_decode_rows(codes, scales, dim, out) },
        _ => decode_rows_generic(codes, scales, dim, out),
    }
}

/// int8's registry entry (scheme.rs).
pub(super) struct Int8;

impl Codec for Int8 {
    fn name(&self) -> &'static str {
        "int8"
    }
    fn id(&self) -> u32 {
        1
    }
    fn family(&self) -> &'static str {
        "int8"
    }
    fn bits(&self) -> usize {
        8
    }
    /// The scale.
    fn vector_params(&self) -> usize {
        1
    }
    fn coder<'a>(&self, level: Level, dim: usize, _words: &'a [f32]) -> Result<Box<dyn Coder + 'a>, String> {
        Ok(Box::new(Int8Coder { level, dim }))
    }
}

struct Int8Coder {
    level: Level,
    dim: usize,
}

impl Coder for Int8Coder {
    fn encode_rows(&self, x: &[f32], codes: &mut [u8], params: &mut [f32]) -> Option<usize> {
        encode_rows(self.level, x, self.dim, codes, params)
    }
    fn decode_rows(&self, codes: &[u8], params: &[f32], out: &mut [f32]) {
        decode_rows(self.level, codes, params, self.dim, out)
    }
}
