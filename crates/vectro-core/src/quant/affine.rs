//! int4 and int2: per-vector affine quantization with BITS bits per code.
//!
//! lo = min x_i, hi = max x_i (a -0.0 extreme is stored as +0.0), L = 2^BITS - 1,
//! step = (hi - lo) / L (float32). If step == 0 every code is 0. Otherwise
//! q_i = clamp(round_half_even((x_i - lo) / step), 0, L). Decode: lo + q_i * step (a multiply,
//! then an add: never fused). Codes are packed little-endian, element 0 in the lowest bits of
//! byte 0; each vector starts on a byte boundary. A vector whose range overflows float32
//! (step infinite) cannot be encoded.

use super::scheme::{Codec, Coder};
use crate::simd::Level;

/// Encode body shared by every level; the ISA wrappers compile it with their target features.
#[inline(always)]
pub(super) fn encode_rows_generic<const BITS: u32>(x: &[f32], dim: usize, codes: &mut [u8], params: &mut [f32]) -> Option<usize> {
    let top = ((1u32 << BITS) - 1) as f32;
    let per_byte = (8 / BITS) as usize;
    let code_bytes = (dim * BITS as usize).div_ceil(8);
    for (r, ((xv, qv), pv)) in x.chunks_exact(dim).zip(codes.chunks_exact_mut(code_bytes)).zip(params.chunks_exact_mut(2)).enumerate() {
        let (mut lo, mut hi, mut finite) = (xv[0], xv[0], true);
        for &v in xv {
            finite &= v.abs() <= f32::MAX;
            lo = if v < lo { v } else { lo };
            hi = if v > hi { v } else { hi };
        }
        // `+ 0.0` turns -0.0 into +0.0, so the stored lo does not depend on min's tie order.
        let (lo, hi) = (lo + 0.0, hi + 0.0);
        let step = (hi - lo) / top;
        if !finite || !step.is_finite() {
            return Some(r);
        }
        pv[0] = lo;
        pv[1] = step;
        if step == 0.0 {
            qv.fill(0);
            continue;
        }
        for (byte, group) in qv.iter_mut().zip(xv.chunks(per_byte)) {
            let mut packed = 0u32;
            for (k, &v) in group.iter().enumerate() {
                let t = ((v - lo) / step).round_ties_even();
                let q = if t > 0.0 {
                    if t < top {
                        t
                    } else {
                        top
                    }
                } else {
                    0.0
                };
                packed |= (q as u32) << (BITS as usize * k);
            }
            *byte = packed as u8;
        }
    }
    None
}

/// Decode body shared by every level.
#[inline(always)]
pub(super) fn decode_rows_generic<const BITS: u32>(codes: &[u8], params: &[f32], dim: usize, out: &mut [f32]) {
    let per_byte = (8 / BITS) as usize;
    let mask = (1u8 << BITS) - 1;
    let code_bytes = (dim * BITS as usize).div_ceil(8);
    for ((qv, pv), ov) in codes.chunks_exact(code_bytes).zip(params.chunks_exact(2)).zip(out.chunks_exact_mut(dim)) {
        let (lo, step) = (pv[0], pv[1]);
        for (group, &byte) in ov.chunks_mut(per_byte).zip(qv) {
            for (k, o) in group.iter_mut().enumerate() {
                let q = (byte >> (BITS as usize * k)) & mask;
                *o = lo + q as f32 * step;
            }
        }
    }
}

pub(super) fn encode_rows<const BITS: u32>(level: Level, x: &[f32], dim: usize, codes: &mut [u8], params: &mut [f32]) -> Option<usize> {
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU (callers pass `simd::best_level`).
        Level::Avx512 => unsafe { super::x86_avx512::affine_encode_rows::<BITS>(x, dim, codes, params) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Level::Avx2 => unsafe { super::x86_avx2::affine_encode_rows::<BITS>(x, dim, codes, params) },
        _ => encode_rows_generic::<BITS>(x, dim, codes, params),
    }
}

pub(super) fn decode_rows<const BITS: u32>(level: Level, codes: &[u8], params: &[f32], dim: usize, out: &mut [f32]) {
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx512 => unsafe { super::x86_avx512::affine_decode_rows::<BITS>(codes, params, dim, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx2 => unsafe { super::x86_avx2::affine_decode_rows::<BITS>(codes, params, dim, out) },
        _ => decode_rows_generic::<BITS>(codes, params, dim, out),
    }
}

/// int4's and int2's registry entry (scheme.rs).
pub(super) struct Affine<const BITS: u32>;

impl<const BITS: u32> Codec for Affine<BITS> {
    fn name(&self) -> &'static str {
        if BITS == 4 {
            "int4"
        } else {
            "int2"
        }
    }
    fn id(&self) -> u32 {
        if BITS == 4 {
            2
        } else {
            3
        }
    }
    fn family(&self) -> &'static str {
        "affine"
    }
    fn bits(&self) -> usize {
        BITS as usize
    }
    /// lo and step.
    fn vector_params(&self) -> usize {
        2
    }
    fn coder<'a>(&self, level: Level, dim: usize, _words: &'a [f32]) -> Result<Box<dyn Coder + 'a>, String> {
        Ok(Box::new(AffineCoder::<BITS> { level, dim }))
    }
}

struct AffineCoder<const BITS: u32> {
    level: Level,
    dim: usize,
}

impl<const BITS: u32> Coder for AffineCoder<BITS> {
    fn encode_rows(&self, x: &[f32], codes: &mut [u8], params: &mut [f32]) -> Option<usize> {
        encode_rows::<BITS>(self.level, x, self.dim, codes, params)
    }
    fn decode_rows(&self, codes: &[u8], params: &[f32], out: &mut [f32]) {
        decode_rows::<BITS>(self.level, codes, params, self.dim, out)
    }
}
