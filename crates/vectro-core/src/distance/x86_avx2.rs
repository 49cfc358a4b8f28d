//! AVX2 + FMA distance kernels. float32: four 8-lane FMA accumulators; int8: widened to 16 bits and
//! `madd`-ed into 32-bit sums; hamming: 64-bit POPCNT.

use core::arch::x86_64::*;

use super::{cosine_from, many_loops_for, Kernels};

const L2SQ: u8 = 0;
const DOT: u8 = 1;
const MANHATTAN: u8 = 3;

#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn term<const OP: u8>(acc: __m256, a: __m256, b: __m256) -> __m256 {
    match OP {
        L2SQ => {
            let d = _mm256_sub_ps(a, b);
            _mm256_fmadd_ps(d, d, acc)
        }
        DOT => _mm256_fmadd_ps(a, b, acc),
        _ => {
            let abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
            _mm256_add_ps(acc, _mm256_and_ps(_mm256_sub_ps(a, b), abs))
        }
    }
}

#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn hsum(v: __m256) -> f32 {
    let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
    let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    _mm_cvtss_f32(_mm_add_ss(s, _mm_shuffle_ps::<1>(s, s)))
}

#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn reduce_f32<const OP: u8>(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len().min(b.len());
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let (mut s0, mut s1, mut s2, mut s3) = (_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps());
    let mut i = 0;
    while i + 32 <= n {
        s0 = term::<OP>(s0, _mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
        s1 = term::<OP>(s1, _mm256_loadu_ps(pa.add(i + 8)), _mm256_loadu_ps(pb.add(i + 8)));
        s2 = term::<OP>(s2, _mm256_loadu_ps(pa.add(i + 16)), _mm256_loadu_ps(pb.add(i + 16)));
        s3 = term::<OP>(s3, _mm256_loadu_ps(pa.add(i + 24)), _mm256_loadu_ps(pb.add(i + 24)));
        i += 32;
    }
    while i + 8 <= n {
        s0 = term::<OP>(s0, _mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i)));
        i += 8;
    }
    if i < n {
        // The last 1-7 values in one masked step (masked-out lanes load 0 and never fault): a
        // scalar tail was a chain of dependent adds after the reduction, a fifth of a 100-d
        // distance's time.
        let mask = _mm256_loadu_si256(TAIL_MASKS.as_ptr().add(8 - (n - i)) as *const __m256i);
        s1 = term::<OP>(s1, _mm256_maskload_ps(pa.add(i), mask), _mm256_maskload_ps(pb.add(i), mask));
    }
    hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)))
}

/// `TAIL_MASKS[8 - r..16 - r]` enables the first r of 8 lanes.
static TAIL_MASKS: [i32; 16] = [-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0];

/// `reduce_f32(q, a)` and `reduce_f32(q, b)` in one pass, bit for bit: the same accumulators, order
/// and tail per row, with each query value loaded once for both rows (the pair kernel is bound by
/// its two loads per FMA once rows are in cache, as at high dimensions).
#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn reduce2_f32<const OP: u8>(q: &[f32], a: &[f32], b: &[f32]) -> (f32, f32) {
    let n = q.len().min(a.len()).min(b.len());
    let (pq, pa, pb) = (q.as_ptr(), a.as_ptr(), b.as_ptr());
    let z = _mm256_setzero_ps();
    let (mut a0, mut a1, mut a2, mut a3) = (z, z, z, z);
    let (mut b0, mut b1, mut b2, mut b3) = (z, z, z, z);
    let mut i = 0;
    while i + 32 <= n {
        let (q0, q1) = (_mm256_loadu_ps(pq.add(i)), _mm256_loadu_ps(pq.add(i + 8)));
        let (q2, q3) = (_mm256_loadu_ps(pq.add(i + 16)), _mm256_loadu_ps(pq.add(i + 24)));
        a0 = term::<OP>(a0, q0, _mm256_loadu_ps(pa.add(i)));
        a1 = term::<OP>(a1, q1, _mm256_loadu_ps(pa.add(i + 8)));
        a2 = term::<OP>(a2, q2, _mm256_loadu_ps(pa.add(i + 16)));
        a3 = term::<OP>(a3, q3, _mm256_loadu_ps(pa.add(i + 24)));
        b0 = term::<OP>(b0, q0, _mm256_loadu_ps(pb.add(i)));
        b1 = term::<OP>(b1, q1, _mm256_loadu_ps(pb.add(i + 8)));
        b2 = term::<OP>(b2, q2, _mm256_loadu_ps(pb.add(i + 16)));
        b3 = term::<OP>(b3, q3, _mm256_loadu_ps(pb.add(i + 24)));
        i += 32;
    }
    while i + 8 <= n {
        let q0 = _mm256_loadu_ps(pq.add(i));
        a0 = term::<OP>(a0, q0, _mm256_loadu_ps(pa.add(i)));
        b0 = term::<OP>(b0, q0, _mm256_loadu_ps(pb.add(i)));
        i += 8;
    }
    if i < n {
        let mask = _mm256_loadu_si256(TAIL_MASKS.as_ptr().add(8 - (n - i)) as *const __m256i);
        let qm = _mm256_maskload_ps(pq.add(i), mask);
        a1 = term::<OP>(a1, qm, _mm256_maskload_ps(pa.add(i), mask));
        b1 = term::<OP>(b1, qm, _mm256_maskload_ps(pb.add(i), mask));
    }
    (hsum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3))), hsum(_mm256_add_ps(_mm256_add_ps(b0, b1), _mm256_add_ps(b2, b3))))
}

#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn l2sq_f32_two(q: &[f32], a: &[f32], b: &[f32]) -> (f32, f32) {
    reduce2_f32::<L2SQ>(q, a, b)
}

#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn dot_f32_two(q: &[f32], a: &[f32], b: &[f32]) -> (f32, f32) {
    reduce2_f32::<DOT>(q, a, b)
}

#[target_feature(enable = "avx2,fma")]
unsafe fn l2sq_f32(a: &[f32], b: &[f32]) -> f32 {
    reduce_f32::<L2SQ>(a, b)
}

#[target_feature(enable = "avx2,fma")]
unsafe fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    reduce_f32::<DOT>(a, b)
}

#[target_feature(enable = "avx2,fma")]
unsafe fn manhattan_f32(a: &[f32], b: &[f32]) -> f32 {
    reduce_f32::<MANHATTAN>(a, b)
}

#[target_feature(enable = "avx2,fma")]
unsafe fn cosine_f32(a: &[f32], b: &[f32]) -> f32 {
    cosine_from(reduce_f32::<DOT>(a, b) as f64, reduce_f32::<DOT>(a, a) as f64, reduce_f32::<DOT>(b, b) as f64)
}

/// Horizontal sum in registers (integer sums are exact in any order; a store and a scalar fold of
/// the eight lanes cost as much as the products of a 128-d row).
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn hsum_i32(v: __m256i) -> i32 {
    let h = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256::<1>(v));
    let h = _mm_add_epi32(h, _mm_shuffle_epi32::<0b01_00_11_10>(h));
    let h = _mm_add_epi32(h, _mm_shuffle_epi32::<0b10_11_00_01>(h));
    _mm_cvtsi128_si32(h)
}

#[inline]
#[target_feature(enable = "avx2")]
unsafe fn reduce_i8<const OP: u8>(a: &[i8], b: &[i8]) -> i32 {
    let n = a.len().min(b.len());
    let mut acc = _mm256_setzero_si256();
    let mut i = 0;
    while i + 16 <= n {
        let va = _mm256_cvtepi8_epi16(_mm_loadu_si128(a.as_ptr().add(i) as *const __m128i));
        let vb = _mm256_cvtepi8_epi16(_mm_loadu_si128(b.as_ptr().add(i) as *const __m128i));
        let p = if OP == L2SQ {
            let d = _mm256_sub_epi16(va, vb);
            _mm256_madd_epi16(d, d)
        } else {
            _mm256_madd_epi16(va, vb)
        };
        acc = _mm256_add_epi32(acc, p);
        i += 16;
    }
    let mut s = hsum_i32(acc);
    for j in i..n {
        let (x, y) = (a[j] as i32, b[j] as i32);
        s = s.wrapping_add(if OP == L2SQ { (x - y) * (x - y) } else { x * y });
    }
    s
}

#[target_feature(enable = "avx2")]
unsafe fn l2sq_i8(a: &[i8], b: &[i8]) -> f32 {
    reduce_i8::<L2SQ>(a, b) as u32 as f32
}

#[target_feature(enable = "avx2")]
unsafe fn dot_i8(a: &[i8], b: &[i8]) -> f32 {
    reduce_i8::<DOT>(a, b) as f32
}

#[target_feature(enable = "avx2")]
unsafe fn cosine_i8(a: &[i8], b: &[i8]) -> f32 {
    cosine_from(reduce_i8::<DOT>(a, b) as f64, reduce_i8::<DOT>(a, a) as f64, reduce_i8::<DOT>(b, b) as f64)
}

/// One 32-byte step of a code row against the query's codes: sixteen pair sums of |q| (unsigned)
/// times the row with q's signs, then eight 32-bit sums. With both sides in -127..=127 a pair sum
/// is at most 2 * 127 * 127 < 2^15, so `maddubs` never saturates and the sums are exact.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn code_step(acc: __m256i, q: __m256i, row: *const i8) -> __m256i {
    let r = _mm256_loadu_si256(row as *const __m256i);
    let pairs = _mm256_maddubs_epi16(_mm256_abs_epi8(q), _mm256_sign_epi8(r, q));
    _mm256_add_epi32(acc, _mm256_madd_epi16(pairs, _mm256_set1_epi16(1)))
}

/// Dot products of one int8 code row with many, for codes in -127..=127 (the int8 scheme's; a
/// -128 gives a wrong sum, never a fault). Twice the values per instruction of `dot_i8_many`
/// (`code_step`), four rows a step whose eight-lane sums are folded together by `hadd`. The last
/// partial 32 bytes of a row are read in place, multiplied by the query's zero padding, while they
/// stay inside `rows`; the last rows copy theirs.
#[target_feature(enable = "avx2")]
unsafe fn dot_codes_many(q: &[i8], rows: &[i8], out: &mut [f32]) {
    let dim = q.len();
    if dim == 0 {
        out.fill(0.0);
        return;
    }
    let n = out.len().min(rows.len() / dim);
    let (full, tail) = (dim / 32, dim % 32);
    let mut q_tail = [0i8; 32];
    q_tail[..tail].copy_from_slice(&q[full * 32..]);
    let q_tail = _mm256_loadu_si256(q_tail.as_ptr() as *const __m256i);
    let q_block = q.as_ptr() as *const __m256i;
    // Rows r whose 32-byte tail read, r * dim + full * 32 + 32, ends inside `rows`.
    let reach = full * 32 + if tail > 0 { 32 } else { 0 };
    let in_place = if rows.len() >= reach { ((rows.len() - reach) / dim + 1).min(n) } else { 0 };
    let mut r = 0;
    while r + 4 <= in_place {
        let p = rows.as_ptr().add(r * dim);
        let (p0, p1, p2, p3) = (p, p.add(dim), p.add(2 * dim), p.add(3 * dim));
        let (mut a0, mut a1, mut a2, mut a3) =
            (_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256());
        for b in 0..full {
            let (qv, o) = (_mm256_loadu_si256(q_block.add(b)), b * 32);
            a0 = code_step(a0, qv, p0.add(o));
            a1 = code_step(a1, qv, p1.add(o));
            a2 = code_step(a2, qv, p2.add(o));
            a3 = code_step(a3, qv, p3.add(o));
        }
        if tail > 0 {
            let o = full * 32;
            a0 = code_step(a0, q_tail, p0.add(o));
            a1 = code_step(a1, q_tail, p1.add(o));
            a2 = code_step(a2, q_tail, p2.add(o));
            a3 = code_step(a3, q_tail, p3.add(o));
        }
        // [a0 a1 a2 a3] lane sums: two hadd levels leave each row's halves in the two 128-bit lanes.
        let h = _mm256_hadd_epi32(_mm256_hadd_epi32(a0, a1), _mm256_hadd_epi32(a2, a3));
        let sums = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256::<1>(h));
        _mm_storeu_ps(out.as_mut_ptr().add(r), _mm_cvtepi32_ps(sums));
        r += 4;
    }
    for r in r..n {
        let row = &rows[r * dim..(r + 1) * dim];
        let mut acc = _mm256_setzero_si256();
        for b in 0..full {
            acc = code_step(acc, _mm256_loadu_si256(q_block.add(b)), row.as_ptr().add(b * 32));
        }
        if tail > 0 {
            let mut copy = [0i8; 32];
            copy[..tail].copy_from_slice(&row[full * 32..]);
            acc = code_step(acc, q_tail, copy.as_ptr());
        }
        out[r] = hsum_i32(acc) as f32;
    }
}

#[target_feature(enable = "avx2,popcnt")]
unsafe fn hamming(a: &[u8], b: &[u8]) -> f32 {
    super::scalar::hamming(a, b)
}

many_loops_for!("avx2,fma",
    l2sq_f32_many = l2sq_f32: f32, dot_f32_many = dot_f32: f32, cosine_f32_many = cosine_f32: f32,
    manhattan_f32_many = manhattan_f32: f32, l2sq_i8_many = l2sq_i8: i8, dot_i8_many = dot_i8: i8,
    cosine_i8_many = cosine_i8: i8,
);
many_loops_for!("avx2,popcnt", hamming_many = hamming: u8);

pub(super) static KERNELS: Kernels = Kernels {
    f32_pair: [l2sq_f32, dot_f32, cosine_f32, manhattan_f32],
    f32_many: [l2sq_f32_many, dot_f32_many, cosine_f32_many, manhattan_f32_many],
    i8_pair: [l2sq_i8, dot_i8, cosine_i8],
    i8_many: [l2sq_i8_many, dot_i8_many, cosine_i8_many],
    i8_code_dots: dot_codes_many,
    hamming_pair: hamming,
    hamming_many,
};

/// Matrix tile (see `matrix.rs`): up to 3 query rows x 32 panel columns, sums kept in 12 ymm;
/// finished with the shared scalar step (AVX2 is the fallback path, not the one tuned).
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn tile(t: &super::matrix::Tile) {
    use super::matrix::{finish_one, Finish, Tile, NR};
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    // Index loops over the accumulator tile: an iterator form borrows `acc` and spills it.
    #[allow(clippy::needless_range_loop)]
    unsafe fn kernel<const R: usize, const L1: bool>(t: &Tile, r0: usize) {
        let q = t.q.add(r0 * t.dim);
        let abs = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
        let mut acc = [[_mm256_setzero_ps(); 4]; R];
        // The R broadcasts first, then one panel vector at a time: 4R sums + R + 1 registers (16
        // at R = 3), where holding all four panel vectors spilled the sums to the stack.
        for k in 0..t.dim {
            let a: [__m256; R] = std::array::from_fn(|r| _mm256_set1_ps(*q.add(r * t.dim + k)));
            for c in 0..4 {
                let b = _mm256_loadu_ps(t.panel.add(k * NR + 8 * c));
                for r in 0..R {
                    acc[r][c] = if L1 {
                        _mm256_add_ps(acc[r][c], _mm256_and_ps(_mm256_sub_ps(a[r], b), abs))
                    } else {
                        _mm256_fmadd_ps(a[r], b, acc[r][c])
                    };
                }
            }
        }
        let mut sums = [0f32; NR];
        for r in 0..R {
            let out = t.out.add((r0 + r) * t.out_stride);
            let row = *t.row_factor.add(r0 + r);
            if t.cols == NR {
                // Whole panel: finish in registers, in finish_one's order of operations (no FMA
                // contraction), so the values are the scalar finish's bits.
                for c in 0..4 {
                    let v = match t.finish {
                        Finish::Raw => acc[r][c],
                        Finish::L2sq => {
                            let col = _mm256_loadu_ps(t.col_factor.add(8 * c));
                            let both = _mm256_add_ps(_mm256_set1_ps(row), col);
                            let twice = _mm256_mul_ps(_mm256_set1_ps(2.0), acc[r][c]);
                            _mm256_max_ps(_mm256_sub_ps(both, twice), _mm256_setzero_ps())
                        }
                        Finish::Cosine => {
                            let col = _mm256_loadu_ps(t.col_factor.add(8 * c));
                            let scaled = _mm256_mul_ps(_mm256_mul_ps(acc[r][c], _mm256_set1_ps(row)), col);
                            _mm256_sub_ps(_mm256_set1_ps(1.0), scaled)
                        }
                    };
                    _mm256_storeu_ps(out.add(8 * c), v);
                }
                continue;
            }
            for c in 0..4 {
                _mm256_storeu_ps(sums.as_mut_ptr().add(8 * c), acc[r][c]);
            }
            for (c, &s) in sums.iter().enumerate().take(t.cols) {
                *out.add(c) = finish_one(t.finish, s, row, *t.col_factor.add(c));
            }
        }
    }
    let mut r = 0;
    while r < t.rows {
        let full = t.rows - r >= 3;
        match (full, t.l1) {
            (true, false) => kernel::<3, false>(t, r),
            (true, true) => kernel::<3, true>(t, r),
            (false, false) => kernel::<1, false>(t, r),
            (false, true) => kernel::<1, true>(t, r),
        }
        r += if full { 3 } else { 1 };
    }
}

/// `iterations` rounds of 12 independent 8-lane FMAs; returns the FLOP done.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn fma_loop(iterations: usize) -> f64 {
    let (x, y) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
    let mut acc = [_mm256_set1_ps(1.0); 12];
    for _ in 0..iterations {
        for a in acc.iter_mut() {
            *a = _mm256_fmadd_ps(*a, x, y);
        }
    }
    std::hint::black_box(&acc);
    (iterations * 12 * 8 * 2) as f64
}
