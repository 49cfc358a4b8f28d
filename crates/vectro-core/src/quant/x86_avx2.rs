//! AVX2 + FMA kernels. The int8 encoder is written with intrinsics; the other schemes' loops are
//! the generic ones compiled for this ISA (see `generic_kernels_for!`). No FMA is ever emitted
//! for the quantizers' arithmetic: Rust does not contract a * b + c.

use core::arch::x86_64::*;

generic_kernels_for!("avx2,fma");

/// `int8::distances` four rows at a time: the same float64 operations in the same order as
/// `int8::distance` (no FMA), so each value is bit for bit the scalar one.
///
/// # Safety
/// The CPU must support AVX2. `scales` and `norms` must hold at least `dots.len()` values.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn int8_distances(l2: bool, query: (f32, f64), scales: &[f32], norms: &[f64], dots: &mut [f32]) {
    let n = dots.len();
    let (qs, qn) = (_mm256_set1_pd(query.0 as f64), _mm256_set1_pd(query.1));
    let mut i = 0;
    while i + 4 <= n {
        let dot = _mm256_cvtps_pd(_mm_loadu_ps(dots.as_ptr().add(i)));
        let ss = _mm256_mul_pd(qs, _mm256_cvtps_pd(_mm_loadu_ps(scales.as_ptr().add(i))));
        let d = if l2 {
            let sum = _mm256_add_pd(qn, _mm256_loadu_pd(norms.as_ptr().add(i)));
            let twice = _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(2.0), ss), dot);
            // max(x, 0) returns 0 for a NaN x, as f64::max does.
            _mm256_max_pd(_mm256_sub_pd(sum, twice), _mm256_setzero_pd())
        } else {
            _mm256_sub_pd(_mm256_set1_pd(1.0), _mm256_mul_pd(ss, dot))
        };
        _mm_storeu_ps(dots.as_mut_ptr().add(i), _mm256_cvtpd_ps(d));
        i += 4;
    }
    for j in i..n {
        dots[j] = super::int8::distance(l2, dots[j], query, (scales[j], norms[j]));
    }
}

/// int8 encode of whole rows; same contract as `int8::encode_rows_scalar`.
///
/// # Safety
/// The CPU must support AVX2. `codes` and `scales` must hold `x.len() / dim` rows.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn int8_encode_rows(x: &[f32], dim: usize, codes: &mut [u8], scales: &mut [f32]) -> Option<usize> {
    for (r, ((xv, qv), s)) in x.chunks_exact(dim).zip(codes.chunks_exact_mut(dim)).zip(scales.iter_mut()).enumerate() {
        match int8_encode_one(xv, qv) {
            Some(scale) => *s = scale,
            None => return Some(r),
        }
    }
    None
}

/// One vector, 8 lanes at a time; the last `dim % 8` values go through the scalar reference ops.
#[target_feature(enable = "avx2,fma")]
unsafe fn int8_encode_one(x: &[f32], q: &mut [u8]) -> Option<f32> {
    debug_assert_eq!(x.len(), q.len());
    let n = x.len();
    let body = n - n % 8;
    let xp = x.as_ptr();

    let abs_mask = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    let finite_max = _mm256_set1_ps(f32::MAX);
    let mut vmax = _mm256_setzero_ps();
    let mut bad = 0;
    let mut i = 0;
    while i < body {
        let a = _mm256_and_ps(_mm256_loadu_ps(xp.add(i)), abs_mask);
        bad |= _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_NLE_UQ>(a, finite_max));
        vmax = _mm256_max_ps(vmax, a);
        i += 8;
    }
    let mut lanes = [0f32; 8];
    _mm256_storeu_ps(lanes.as_mut_ptr(), vmax);
    let mut m = lanes.iter().fold(0f32, |m, &v| if v > m { v } else { m });
    for &v in &x[body..] {
        let a = v.abs();
        #[allow(clippy::neg_cmp_op_on_partial_ord)] // true for NaN as well as infinity
        if !(a <= f32::MAX) {
            bad = 1;
        }
        m = if a > m { a } else { m };
    }
    if bad != 0 {
        return None;
    }
    let scale = m / 127.0;
    if scale == 0.0 {
        q.fill(0);
        return Some(scale);
    }

    let vscale = _mm256_set1_ps(scale);
    let (lo, hi) = (_mm256_set1_ps(-127.0), _mm256_set1_ps(127.0));
    let qp = q.as_mut_ptr();
    let mut i = 0;
    while i < body {
        let t = _mm256_div_ps(_mm256_loadu_ps(xp.add(i)), vscale);
        let t = _mm256_round_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(t);
        let k = _mm256_cvtps_epi32(_mm256_min_ps(_mm256_max_ps(t, lo), hi));
        // 8 x i32 -> 8 x i16 -> 8 x i8 (values are within -127..127, so saturation never bites).
        let w = _mm_packs_epi32(_mm256_castsi256_si128(k), _mm256_extracti128_si256::<1>(k));
        _mm_storel_epi64(qp.add(i) as *mut __m128i, _mm_packs_epi16(w, w));
        i += 8;
    }
    for (o, &v) in q[body..].iter_mut().zip(&x[body..]) {
        *o = super::int8::code(v, scale);
    }
    Some(scale)
}

/// rabitq's scale-search cosine (`rabitq::cosine_at`) at two scales in one pass over `w`. For each
/// scale, two registers of four float64 lanes: lane j of the eight accumulates `(k + 1/2) w` for
/// coordinates 8c + j in the same order as the generic loop, and the lanes combine the same way,
/// so the result is the same bits. `|y|^2` is summed as `(k + 1/2)^2` in one register:
/// quarter-integers far below 2^53, exact in any order, and exactly the generic loop's
/// `sum (2k + 1)^2 / 4`. No FMA: a multiply, then an add.
///
/// # Safety
/// The CPU must support AVX2. `w.len()` is a multiple of 8 (the padded dimension is of 64).
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn rabitq_cosine_at(w: &[f64], m: usize, t: [f64; 2]) -> [f64; 2] {
    let (mv, half) = (_mm256_set1_pd(m as f64), _mm256_set1_pd(0.5));
    let tv = [_mm256_set1_pd(t[0]), _mm256_set1_pd(t[1])];
    let zero = _mm256_setzero_pd();
    let (mut ip_lo, mut ip_hi, mut ysq) = ([zero; 2], [zero; 2], [zero; 2]);
    for chunk in w.chunks_exact(8) {
        let (w_lo, w_hi) = (_mm256_loadu_pd(chunk.as_ptr()), _mm256_loadu_pd(chunk.as_ptr().add(4)));
        for s in 0..2 {
            let l_lo = _mm256_add_pd(_mm256_min_pd(_mm256_floor_pd(_mm256_mul_pd(tv[s], w_lo)), mv), half);
            let l_hi = _mm256_add_pd(_mm256_min_pd(_mm256_floor_pd(_mm256_mul_pd(tv[s], w_hi)), mv), half);
            ip_lo[s] = _mm256_add_pd(ip_lo[s], _mm256_mul_pd(l_lo, w_lo));
            ip_hi[s] = _mm256_add_pd(ip_hi[s], _mm256_mul_pd(l_hi, w_hi));
            ysq[s] = _mm256_add_pd(ysq[s], _mm256_add_pd(_mm256_mul_pd(l_lo, l_lo), _mm256_mul_pd(l_hi, l_hi)));
        }
    }
    let mut out = [0f64; 2];
    for s in 0..2 {
        let (mut ip, mut sq) = ([0f64; 8], [0f64; 4]);
        _mm256_storeu_pd(ip.as_mut_ptr(), ip_lo[s]);
        _mm256_storeu_pd(ip.as_mut_ptr().add(4), ip_hi[s]);
        _mm256_storeu_pd(sq.as_mut_ptr(), ysq[s]);
        let dot = ((ip[0] + ip[1]) + (ip[2] + ip[3])) + ((ip[4] + ip[5]) + (ip[6] + ip[7]));
        out[s] = dot / ((sq[0] + sq[1]) + (sq[2] + sq[3])).sqrt();
    }
    out
}

/// FastScan's plane sums (`fastscan::plane_sums_scalar`): per register, the row nibbles index the
/// low-byte and high-byte tables with one shuffle each. The looked-up bytes add into 16-bit lanes
/// two ways, whole (`whole`, wrapping) and shifted down by 8 (`odd`, the odd bytes' exact sums);
/// the even bytes' sums are `whole - (odd << 8)`. Lanes are widened to 32 bits every
/// `fastscan::CHUNK` registers, before a 16-bit sum could overflow.
///
/// # Safety
/// The CPU must support AVX2. `lo`, `hi` and `regs` have the same length, a multiple of 32.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn fastscan_plane_sums(lo: &[u8], hi: &[u8], regs: &[u8], out: &mut [u32; super::fastscan::BLOCK]) {
    assert!(lo.len() == regs.len() && hi.len() == regs.len() && regs.len().is_multiple_of(32));
    let nibble = _mm256_set1_epi8(0x0f);
    // Rows 0..8, 8..16, 16..24 and 24..32, as 32-bit sums.
    let mut total = [_mm256_setzero_si256(); 4];
    let count = regs.len() / 32;
    let mut start = 0;
    while start < count {
        let end = (start + super::fastscan::CHUNK).min(count);
        // [table byte][row half]: 16-bit lanes.
        let mut whole = [[_mm256_setzero_si256(); 2]; 2];
        let mut odd = [[_mm256_setzero_si256(); 2]; 2];
        for r in start..end {
            let c = _mm256_loadu_si256(regs.as_ptr().add(32 * r) as *const __m256i);
            let rows = [_mm256_and_si256(c, nibble), _mm256_and_si256(_mm256_srli_epi16::<4>(c), nibble)];
            let tables = [
                _mm256_loadu_si256(lo.as_ptr().add(32 * r) as *const __m256i),
                _mm256_loadu_si256(hi.as_ptr().add(32 * r) as *const __m256i),
            ];
            for h in 0..2 {
                for n in 0..2 {
                    let t = _mm256_shuffle_epi8(tables[h], rows[n]);
                    whole[h][n] = _mm256_add_epi16(whole[h][n], t);
                    odd[h][n] = _mm256_add_epi16(odd[h][n], _mm256_srli_epi16::<8>(t));
                }
            }
        }
        for n in 0..2 {
            for h in 0..2 {
                let even = _mm256_sub_epi16(whole[h][n], _mm256_slli_epi16::<8>(odd[h][n]));
                // Per 128-bit lane (group 2r, then 2r + 1): rows 0..8 and 8..16 of this half.
                let (first, second) = (_mm256_unpacklo_epi16(even, odd[h][n]), _mm256_unpackhi_epi16(even, odd[h][n]));
                let (a, b) = (add_lanes_u32(first), add_lanes_u32(second));
                let (a, b) = if h == 1 { (_mm256_slli_epi32::<8>(a), _mm256_slli_epi32::<8>(b)) } else { (a, b) };
                total[2 * n] = _mm256_add_epi32(total[2 * n], a);
                total[2 * n + 1] = _mm256_add_epi32(total[2 * n + 1], b);
            }
        }
        start = end;
    }
    for (i, t) in total.iter().enumerate() {
        _mm256_storeu_si256(out.as_mut_ptr().add(8 * i) as *mut __m256i, *t);
    }
}

/// The two 128-bit lanes' eight 16-bit values, widened to 32 bits and added.
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn add_lanes_u32(x: __m256i) -> __m256i {
    _mm256_add_epi32(_mm256_cvtepu16_epi32(_mm256_castsi256_si128(x)), _mm256_cvtepu16_epi32(_mm256_extracti128_si256::<1>(x)))
}

/// The Walsh-Hadamard stages of `rotation::fwht_scalar`, then the scaling, four float64 lanes at a
/// time. Stages 1 and 2 run inside each register: with t the register's pairs swapped,
/// `t + (x with the second of each pair negated)` is (a + b, a - b) exactly (negation is exact, and
/// a + (-b) is a - b). Later stages go two at a time on four registers (h and 2h: the same sums and
/// differences, with one pass over memory), and the scaling multiplies the last stage's results as
/// they are stored.
///
/// # Safety
/// The CPU must support AVX2. `x.len()` is a power of two of at least 8.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn fwht(x: &mut [f64], scale: f64) {
    let n = x.len();
    assert!(n >= 8 && n.is_power_of_two());
    let p = x.as_mut_ptr();
    let odd = _mm256_castsi256_pd(_mm256_setr_epi64x(0, i64::MIN, 0, i64::MIN));
    let upper = _mm256_castsi256_pd(_mm256_setr_epi64x(0, 0, i64::MIN, i64::MIN));
    let mut i = 0;
    while i < n {
        let v = _mm256_loadu_pd(p.add(i));
        let v = _mm256_add_pd(_mm256_permute_pd::<0b0101>(v), _mm256_xor_pd(v, odd));
        let v = _mm256_add_pd(_mm256_permute2f128_pd::<0x01>(v, v), _mm256_xor_pd(v, upper));
        _mm256_storeu_pd(p.add(i), v);
        i += 4;
    }
    let (one, last) = (_mm256_set1_pd(1.0), _mm256_set1_pd(scale));
    let mut h = 4;
    while h < n {
        let mut block = 0;
        if 4 * h <= n {
            // Stages h and 2h: a, b, c, d = x[j], x[j + h], x[j + 2h], x[j + 3h]. Times 1 (exact)
            // unless these are the last stages.
            let s = if 4 * h == n { last } else { one };
            while block < n {
                for j in (block..block + h).step_by(4) {
                    let (a, b) = (_mm256_loadu_pd(p.add(j)), _mm256_loadu_pd(p.add(j + h)));
                    let (c, d) = (_mm256_loadu_pd(p.add(j + 2 * h)), _mm256_loadu_pd(p.add(j + 3 * h)));
                    let (ab, a_b, cd, c_d) = (_mm256_add_pd(a, b), _mm256_sub_pd(a, b), _mm256_add_pd(c, d), _mm256_sub_pd(c, d));
                    _mm256_storeu_pd(p.add(j), _mm256_mul_pd(_mm256_add_pd(ab, cd), s));
                    _mm256_storeu_pd(p.add(j + h), _mm256_mul_pd(_mm256_add_pd(a_b, c_d), s));
                    _mm256_storeu_pd(p.add(j + 2 * h), _mm256_mul_pd(_mm256_sub_pd(ab, cd), s));
                    _mm256_storeu_pd(p.add(j + 3 * h), _mm256_mul_pd(_mm256_sub_pd(a_b, c_d), s));
                }
                block += 4 * h;
            }
            h *= 4;
        } else {
            // The last stage alone (an odd number of stages after the first two).
            while block < n {
                for j in (block..block + h).step_by(4) {
                    let (a, b) = (_mm256_loadu_pd(p.add(j)), _mm256_loadu_pd(p.add(j + h)));
                    _mm256_storeu_pd(p.add(j), _mm256_mul_pd(_mm256_add_pd(a, b), last));
                    _mm256_storeu_pd(p.add(j + h), _mm256_mul_pd(_mm256_sub_pd(a, b), last));
                }
                block += 2 * h;
            }
            h *= 2;
        }
    }
}

/// `nibble::dot_scalar` on 64 coordinates per step: one load of 32 code bytes, its low and high
/// nibbles (the even and odd coordinates) times the query's l and h bytes with `vpmaddubsw`. The
/// l and h sums stay apart (128 h would need 40 bits in the worst case at 65,536 dimensions);
/// each 32-bit lane gains at most 4 x 15 x 128 per step.
///
/// # Safety
/// The CPU must support AVX2. `code` is whole 32-byte chunks, and `parts` holds 128 bytes per chunk.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn nibble_dot(parts: &[i8], code: &[u8]) -> i64 {
    debug_assert!(code.len().is_multiple_of(32) && parts.len() == 4 * code.len());
    let (low, ones) = (_mm256_set1_epi8(0x0f), _mm256_set1_epi16(1));
    let (mut acc_l, mut acc_h) = (_mm256_setzero_si256(), _mm256_setzero_si256());
    for c in 0..code.len() / 32 {
        let v = _mm256_loadu_si256(code.as_ptr().add(32 * c) as *const __m256i);
        let (even, odd) = (_mm256_and_si256(v, low), _mm256_and_si256(_mm256_srli_epi16::<4>(v), low));
        let q = parts.as_ptr().add(128 * c) as *const __m256i;
        let part = |k: usize| _mm256_loadu_si256(q.add(k));
        let l = _mm256_add_epi16(_mm256_maddubs_epi16(even, part(0)), _mm256_maddubs_epi16(odd, part(1)));
        let h = _mm256_add_epi16(_mm256_maddubs_epi16(even, part(2)), _mm256_maddubs_epi16(odd, part(3)));
        acc_l = _mm256_add_epi32(acc_l, _mm256_madd_epi16(l, ones));
        acc_h = _mm256_add_epi32(acc_h, _mm256_madd_epi16(h, ones));
    }
    let (mut l, mut h) = ([0i32; 8], [0i32; 8]);
    _mm256_storeu_si256(l.as_mut_ptr() as *mut __m256i, acc_l);
    _mm256_storeu_si256(h.as_mut_ptr() as *mut __m256i, acc_h);
    l.iter().map(|&v| v as i64).sum::<i64>() + 128 * h.iter().map(|&v| v as i64).sum::<i64>()
}
