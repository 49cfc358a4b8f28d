//! AVX-512 (F + BW + VL) kernels. The int8 encoder is written with intrinsics; the other schemes'
//! loops are the generic ones compiled for this ISA (see `generic_kernels_for!`).

use core::arch::x86_64::*;

generic_kernels_for!("avx512f,avx512bw,avx512vl,avx2,fma");

/// int8 encode of whole rows; same contract as `int8::encode_rows_scalar`.
///
/// # Safety
/// The CPU must support AVX-512 F, BW and VL. `codes` and `scales` must hold `x.len() / dim` rows.
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
pub(super) unsafe fn int8_encode_rows(x: &[f32], dim: usize, codes: &mut [u8], scales: &mut [f32]) -> Option<usize> {
    for (r, ((xv, qv), s)) in x.chunks_exact(dim).zip(codes.chunks_exact_mut(dim)).zip(scales.iter_mut()).enumerate() {
        match int8_encode_one(xv, qv) {
            Some(scale) => *s = scale,
            None => return Some(r),
        }
    }
    None
}

/// One vector: a max-|x| pass that also flags NaN/Inf, then divide, clamp, round, narrow.
/// Clamping before rounding gives the same code as rounding first, because the bounds are whole.
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn int8_encode_one(x: &[f32], q: &mut [u8]) -> Option<f32> {
    debug_assert_eq!(x.len(), q.len());
    let n = x.len();
    let (xp, qp) = (x.as_ptr(), q.as_mut_ptr() as *mut i8);
    let tail = n % 16;
    let body = n - tail;
    let tail_mask: __mmask16 = ((1u32 << tail) - 1) as __mmask16;

    let finite_max = _mm512_set1_ps(f32::MAX);
    let mut vmax = _mm512_setzero_ps();
    let mut bad: __mmask16 = 0;
    let mut i = 0;
    while i < body {
        let a = _mm512_abs_ps(_mm512_loadu_ps(xp.add(i)));
        bad |= _mm512_cmp_ps_mask::<_CMP_NLE_UQ>(a, finite_max);
        vmax = _mm512_max_ps(vmax, a);
        i += 16;
    }
    if tail != 0 {
        let a = _mm512_abs_ps(_mm512_maskz_loadu_ps(tail_mask, xp.add(body)));
        bad |= _mm512_cmp_ps_mask::<_CMP_NLE_UQ>(a, finite_max);
        vmax = _mm512_max_ps(vmax, a);
    }
    if bad != 0 {
        return None;
    }
    let scale = _mm512_reduce_max_ps(vmax) / 127.0;
    if scale == 0.0 {
        q.fill(0);
        return Some(scale);
    }

    let vscale = _mm512_set1_ps(scale);
    let (lo, hi) = (_mm512_set1_ps(-127.0), _mm512_set1_ps(127.0));
    const NEAREST_EVEN: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    let mut i = 0;
    while i < body {
        let t = _mm512_div_ps(_mm512_loadu_ps(xp.add(i)), vscale);
        let t = _mm512_min_ps(_mm512_max_ps(t, lo), hi);
        let k = _mm512_cvt_roundps_epi32::<NEAREST_EVEN>(t);
        _mm_storeu_si128(qp.add(i) as *mut __m128i, _mm512_cvtepi32_epi8(k));
        i += 16;
    }
    if tail != 0 {
        let t = _mm512_div_ps(_mm512_maskz_loadu_ps(tail_mask, xp.add(body)), vscale);
        let t = _mm512_min_ps(_mm512_max_ps(t, lo), hi);
        let k = _mm512_cvt_roundps_epi32::<NEAREST_EVEN>(t);
        _mm512_mask_cvtepi32_storeu_epi8(qp.add(body), tail_mask, k);
    }
    Some(scale)
}
