//! AVX-512 distance kernels (F + BW + VL; hamming also uses VPOPCNTDQ when present).
//! float32: four 16-lane FMA accumulators; int8: sign-extended to 16 bits, `madd` into 32-bit sums.

use core::arch::x86_64::*;

use super::{cosine_from, many_loops_for, Kernels};

const L2SQ: u8 = 0;
const DOT: u8 = 1;
const MANHATTAN: u8 = 3;

#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn term<const OP: u8>(acc: __m512, a: __m512, b: __m512) -> __m512 {
    match OP {
        L2SQ => {
            let d = _mm512_sub_ps(a, b);
            _mm512_fmadd_ps(d, d, acc)
        }
        DOT => _mm512_fmadd_ps(a, b, acc),
        _ => _mm512_add_ps(acc, _mm512_abs_ps(_mm512_sub_ps(a, b))),
    }
}

/// Sum of `term` over all elements; the masked tail loads zeros, which add nothing for any OP.
#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn reduce_f32<const OP: u8>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let (mut s0, mut s1, mut s2, mut s3) = (_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps());
    let mut i = 0;
    while i + 64 <= n {
        s0 = term::<OP>(s0, _mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i)));
        s1 = term::<OP>(s1, _mm512_loadu_ps(pa.add(i + 16)), _mm512_loadu_ps(pb.add(i + 16)));
        s2 = term::<OP>(s2, _mm512_loadu_ps(pa.add(i + 32)), _mm512_loadu_ps(pb.add(i + 32)));
        s3 = term::<OP>(s3, _mm512_loadu_ps(pa.add(i + 48)), _mm512_loadu_ps(pb.add(i + 48)));
        i += 64;
    }
    while i + 16 <= n {
        s0 = term::<OP>(s0, _mm512_loadu_ps(pa.add(i)), _mm512_loadu_ps(pb.add(i)));
        i += 16;
    }
    if i < n {
        let m: __mmask16 = ((1u32 << (n - i)) - 1) as __mmask16;
        s1 = term::<OP>(s1, _mm512_maskz_loadu_ps(m, pa.add(i)), _mm512_maskz_loadu_ps(m, pb.add(i)));
    }
    _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)))
}

#[target_feature(enable = "avx512f")]
unsafe fn l2sq_f32(a: &[f32], b: &[f32]) -> f32 {
    reduce_f32::<L2SQ>(a, b)
}

#[target_feature(enable = "avx512f")]
unsafe fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    reduce_f32::<DOT>(a, b)
}

#[target_feature(enable = "avx512f")]
unsafe fn manhattan_f32(a: &[f32], b: &[f32]) -> f32 {
    reduce_f32::<MANHATTAN>(a, b)
}

#[target_feature(enable = "avx512f")]
unsafe fn cosine_f32(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let (mut ab, mut aa, mut bb) = (_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps());
    let mut i = 0;
    while i < n {
        let m: __mmask16 = if n - i >= 16 { 0xffff } else { ((1u32 << (n - i)) - 1) as __mmask16 };
        let va = _mm512_maskz_loadu_ps(m, pa.add(i));
        let vb = _mm512_maskz_loadu_ps(m, pb.add(i));
        ab = _mm512_fmadd_ps(va, vb, ab);
        aa = _mm512_fmadd_ps(va, va, aa);
        bb = _mm512_fmadd_ps(vb, vb, bb);
        i += 16;
    }
    cosine_from(_mm512_reduce_add_ps(ab) as f64, _mm512_reduce_add_ps(aa) as f64, _mm512_reduce_add_ps(bb) as f64)
}

/// 32 int8 values widened to 16 bits; the tail is masked to zeros.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn load_i16(p: *const i8, left: usize) -> __m512i {
    let v =
        if left >= 32 { _mm256_loadu_si256(p as *const __m256i) } else { _mm256_maskz_loadu_epi8(((1u64 << left) - 1) as __mmask32, p) };
    _mm512_cvtepi8_epi16(v)
}

/// Exact integer sums of `a.b`, `a.a`, `b.b` or `(a-b)^2` (wrapping, read as u32 for l2sq).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn reduce_i8<const OP: u8>(a: &[i8], b: &[i8]) -> i32 {
    let n = a.len().min(b.len());
    let (mut s0, mut s1) = (_mm512_setzero_si512(), _mm512_setzero_si512());
    let mut i = 0;
    while i < n {
        let (va, vb) = (load_i16(a.as_ptr().add(i), n - i), load_i16(b.as_ptr().add(i), n - i));
        if OP == L2SQ {
            let d = _mm512_sub_epi16(va, vb);
            s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(d, d));
        } else {
            s1 = _mm512_add_epi32(s1, _mm512_madd_epi16(va, vb));
        }
        i += 32;
    }
    _mm512_reduce_add_epi32(_mm512_add_epi32(s0, s1))
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn l2sq_i8(a: &[i8], b: &[i8]) -> f32 {
    reduce_i8::<L2SQ>(a, b) as u32 as f32
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn dot_i8(a: &[i8], b: &[i8]) -> f32 {
    reduce_i8::<DOT>(a, b) as f32
}

#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn cosine_i8(a: &[i8], b: &[i8]) -> f32 {
    cosine_from(reduce_i8::<DOT>(a, b) as f64, reduce_i8::<DOT>(a, a) as f64, reduce_i8::<DOT>(b, b) as f64)
}

/// Exact int8 dot product with AVX-512 VNNI. `vpdpbusd` multiplies unsigned bytes by signed ones,
/// so `a` is offset to `a + 128` (`a ^ 0x80`) and `128 * sum(b)`, summed by a second `vpdpbusd`, is
/// taken back off. Masked tails load zeros in both, which add nothing to either sum.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn dot_i8_vnni(a: &[i8], b: &[i8]) -> f32 {
    let n = a.len().min(b.len());
    let bias = _mm512_set1_epi8(-128);
    let (mut ab, mut bias_b) = (_mm512_setzero_si512(), _mm512_setzero_si512());
    let mut i = 0;
    while i < n {
        let m: __mmask64 = if n - i >= 64 { u64::MAX } else { (1u64 << (n - i)) - 1 };
        let va = _mm512_maskz_loadu_epi8(m, a.as_ptr().add(i));
        let vb = _mm512_maskz_loadu_epi8(m, b.as_ptr().add(i));
        ab = _mm512_dpbusd_epi32(ab, _mm512_xor_si512(va, bias), vb);
        bias_b = _mm512_dpbusd_epi32(bias_b, bias, vb);
        i += 64;
    }
    _mm512_reduce_add_epi32(_mm512_sub_epi32(ab, bias_b)) as f32
}

/// Hamming distance with 512-bit popcounts (AVX-512 VPOPCNTDQ); masked tail.
#[target_feature(enable = "avx512f,avx512bw,avx512vl,avx512vpopcntdq")]
unsafe fn hamming(a: &[u8], b: &[u8]) -> f32 {
    let n = a.len().min(b.len());
    let mut acc = _mm512_setzero_si512();
    let mut i = 0;
    while i < n {
        let m: __mmask64 = if n - i >= 64 { u64::MAX } else { (1u64 << (n - i)) - 1 };
        let x = _mm512_xor_si512(
            _mm512_maskz_loadu_epi8(m, a.as_ptr().add(i) as *const i8),
            _mm512_maskz_loadu_epi8(m, b.as_ptr().add(i) as *const i8),
        );
        acc = _mm512_add_epi64(acc, _mm512_popcnt_epi64(x));
        i += 64;
    }
    _mm512_reduce_add_epi64(acc) as f32
}

many_loops_for!("avx512f,avx512bw,avx512vl,avx2,fma",
    l2sq_f32_many = l2sq_f32: f32, dot_f32_many = dot_f32: f32, cosine_f32_many = cosine_f32: f32,
    manhattan_f32_many = manhattan_f32: f32, l2sq_i8_many = l2sq_i8: i8, dot_i8_many = dot_i8: i8,
    cosine_i8_many = cosine_i8: i8,
);
many_loops_for!("avx512f,avx512bw,avx512vl,avx512vpopcntdq", hamming_many = hamming: u8);
many_loops_for!("avx512f,avx512bw,avx512vnni", dot_i8_vnni_many = dot_i8_vnni: i8);

/// AVX-512 F/BW/VL only (Skylake-X); the tables below add what later CPUs have.
static BASE: Kernels = Kernels {
    f32_pair: [l2sq_f32, dot_f32, cosine_f32, manhattan_f32],
    f32_many: [l2sq_f32_many, dot_f32_many, cosine_f32_many, manhattan_f32_many],
    i8_pair: [l2sq_i8, dot_i8, cosine_i8],
    i8_many: [l2sq_i8_many, dot_i8_many, cosine_i8_many],
    i8_code_dots: super::x86_avx2::KERNELS.i8_code_dots,
    hamming_pair: super::x86_avx2::KERNELS.hamming_pair,
    hamming_many: super::x86_avx2::KERNELS.hamming_many,
};

static WITH_VNNI: Kernels =
    Kernels { i8_pair: [l2sq_i8, dot_i8_vnni, cosine_i8], i8_many: [l2sq_i8_many, dot_i8_vnni_many, cosine_i8_many], ..BASE };
static WITH_VPOPCNTDQ: Kernels = Kernels { hamming_pair: hamming, hamming_many, ..BASE };
static WITH_BOTH: Kernels = Kernels { hamming_pair: hamming, hamming_many, ..WITH_VNNI };

/// The AVX-512 table for a CPU with or without VNNI (int8 dot) and VPOPCNTDQ (hamming); without
/// VPOPCNTDQ, hamming comes from the AVX2 table.
pub(super) fn table(vnni: bool, vpopcntdq: bool) -> &'static Kernels {
    match (vnni, vpopcntdq) {
        (true, true) => &WITH_BOTH,
        (true, false) => &WITH_VNNI,
        (false, true) => &WITH_VPOPCNTDQ,
        (false, false) => &BASE,
    }
}

/// Matrix tile (see `matrix.rs`): up to 8 query rows x 32 panel columns, sums kept in 16 zmm,
/// finished and stored with masks for a short last panel.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn tile(t: &super::matrix::Tile) {
    use super::matrix::{Finish, Tile, NR};
    #[inline]
    #[target_feature(enable = "avx512f")]
    // Index loops over the accumulator tile: an iterator form borrows `acc` and spills it.
    #[allow(clippy::needless_range_loop)]
    unsafe fn kernel<const R: usize, const L1: bool>(t: &Tile, r0: usize) {
        let q = t.q.add(r0 * t.dim);
        let mut acc = [[_mm512_setzero_ps(); 2]; R];
        for k in 0..t.dim {
            let b0 = _mm512_loadu_ps(t.panel.add(k * NR));
            let b1 = _mm512_loadu_ps(t.panel.add(k * NR + 16));
            for r in 0..R {
                let a = _mm512_set1_ps(*q.add(r * t.dim + k));
                if L1 {
                    acc[r][0] = _mm512_add_ps(acc[r][0], _mm512_abs_ps(_mm512_sub_ps(a, b0)));
                    acc[r][1] = _mm512_add_ps(acc[r][1], _mm512_abs_ps(_mm512_sub_ps(a, b1)));
                } else {
                    acc[r][0] = _mm512_fmadd_ps(a, b0, acc[r][0]);
                    acc[r][1] = _mm512_fmadd_ps(a, b1, acc[r][1]);
                }
            }
        }
        let masks: [__mmask16; 2] = [((1u32 << t.cols.min(16)) - 1) as __mmask16, ((1u32 << t.cols.saturating_sub(16)) - 1) as __mmask16];
        let cols = [_mm512_loadu_ps(t.col_factor), _mm512_loadu_ps(t.col_factor.add(16))];
        for r in 0..R {
            let row = _mm512_set1_ps(*t.row_factor.add(r0 + r));
            let out = t.out.add((r0 + r) * t.out_stride);
            for h in 0..2 {
                let s = acc[r][h];
                let v = match t.finish {
                    Finish::Raw => s,
                    Finish::L2sq => {
                        _mm512_max_ps(_mm512_fnmadd_ps(_mm512_set1_ps(2.0), s, _mm512_add_ps(row, cols[h])), _mm512_setzero_ps())
                    }
                    Finish::Cosine => _mm512_fnmadd_ps(_mm512_mul_ps(s, row), cols[h], _mm512_set1_ps(1.0)),
                };
                _mm512_mask_storeu_ps(out.add(16 * h), masks[h], v);
            }
        }
    }
    let mut r = 0;
    while r < t.rows {
        let full = t.rows - r >= 8;
        match (full, t.l1) {
            (true, false) => kernel::<8, false>(t, r),
            (true, true) => kernel::<8, true>(t, r),
            (false, false) => kernel::<1, false>(t, r),
            (false, true) => kernel::<1, true>(t, r),
        }
        r += if full { 8 } else { 1 };
    }
}

/// `iterations` rounds of 12 independent 16-lane FMAs; returns the FLOP done.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn fma_loop(iterations: usize) -> f64 {
    let (x, y) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
    let mut acc = [_mm512_set1_ps(1.0); 12];
    for _ in 0..iterations {
        for a in acc.iter_mut() {
            *a = _mm512_fmadd_ps(*a, x, y);
        }
    }
    std::hint::black_box(&acc);
    (iterations * 12 * 16 * 2) as f64
}
