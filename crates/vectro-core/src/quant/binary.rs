//! binary: one bit per dimension against a per-dimension center c (the mean of the whole input,
//! computed by the caller from [`super::column_sums`]).
//!
//! bit_i = 1 if x_i > c_i. Per vector, s = mean_i |x_i - c_i|, where each difference is a float32
//! operation and the mean is a float64 sum in dimension order divided by dim, rounded to float32.
//! Decode: c_i + s when the bit is 1, c_i - s otherwise. Bits are packed like int4/int2.
//! A vector whose s is not finite (NaN or infinite input, or overflow) cannot be encoded.

use super::scheme::{Codec, Coder};
use crate::simd::Level;

/// Encode body shared by every level.
#[inline(always)]
pub(super) fn encode_rows_generic(x: &[f32], dim: usize, center: &[f32], codes: &mut [u8], s: &mut [f32]) -> Option<usize> {
    let code_bytes = dim.div_ceil(8);
    for (r, ((xv, qv), sv)) in x.chunks_exact(dim).zip(codes.chunks_exact_mut(code_bytes)).zip(s.iter_mut()).enumerate() {
        let mut sum = 0f64;
        for ((byte, xg), cg) in qv.iter_mut().zip(xv.chunks(8)).zip(center.chunks(8)) {
            let mut bits = 0u8;
            for (k, (&v, &c)) in xg.iter().zip(cg).enumerate() {
                bits |= ((v > c) as u8) << k;
                sum += (v - c).abs() as f64;
            }
            *byte = bits;
        }
        let mean = (sum / dim as f64) as f32;
        if !mean.is_finite() {
            return Some(r);
        }
        *sv = mean;
    }
    None
}

/// Decode body shared by every level.
#[inline(always)]
pub(super) fn decode_rows_generic(codes: &[u8], s: &[f32], center: &[f32], dim: usize, out: &mut [f32]) {
    let code_bytes = dim.div_ceil(8);
    for ((qv, &sv), ov) in codes.chunks_exact(code_bytes).zip(s).zip(out.chunks_exact_mut(dim)) {
        for ((og, cg), &byte) in ov.chunks_mut(8).zip(center.chunks(8)).zip(qv) {
            for (k, (o, &c)) in og.iter_mut().zip(cg).enumerate() {
                *o = if (byte >> k) & 1 == 1 { c + sv } else { c - sv };
            }
        }
    }
}

pub(super) fn encode_rows(level: Level, x: &[f32], dim: usize, center: &[f32], codes: &mut [u8], s: &mut [f32]) -> Option<usize> {
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx512 => unsafe { super::x86_avx512::binary_encode_rows(x, dim, center, codes, s) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx2 => unsafe { super::x86_avx2::binary_encode_rows(x, dim, center, codes, s) },
        _ => encode_rows_generic(x, dim, center, codes, s),
    }
}

pub(super) fn decode_rows(level: Level, codes: &[u8], s: &[f32], center: &[f32], dim: usize, out: &mut [f32]) {
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx512 => unsafe { super::x86_avx512::binary_decode_rows(codes, s, center, dim, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx2 => unsafe { super::x86_avx2::binary_decode_rows(codes, s, center, dim, out) },
        _ => decode_rows_generic(codes, s, center, dim, out),
    }
}

/// binary's registry entry (scheme.rs).
pub(super) struct Binary;

impl Codec for Binary {
    fn name(&self) -> &'static str {
        "binary"
    }
    fn id(&self) -> u32 {
        4
    }
    fn family(&self) -> &'static str {
        "binary"
    }
    fn bits(&self) -> usize {
        1
    }
    /// s, the mean distance to the center.
    fn vector_params(&self) -> usize {
        1
    }
    /// The per-dimension center c.
    fn file_params(&self, dim: usize) -> usize {
        dim
    }
    fn coder<'a>(&self, level: Level, dim: usize, center: &'a [f32]) -> Result<Box<dyn Coder + 'a>, String> {
        Ok(Box::new(BinaryCoder { level, dim, center }))
    }
}

struct BinaryCoder<'a> {
    level: Level,
    dim: usize,
    center: &'a [f32],
}

impl Coder for BinaryCoder<'_> {
    fn encode_rows(&self, x: &[f32], codes: &mut [u8], params: &mut [f32]) -> Option<usize> {
        encode_rows(self.level, x, self.dim, self.center, codes, params)
    }
    fn decode_rows(&self, codes: &[u8], params: &[f32], out: &mut [f32]) {
        decode_rows(self.level, codes, params, self.center, self.dim, out)
    }
}
