//! Scalar kernels: the reference every SIMD level is tested against. Four float32 accumulators
//! (so the compiler keeps them in registers without reassociating), integers summed exactly.

use super::{cosine_from, many_loops_for, Kernels};

const LANES: usize = 4;

#[inline(always)]
fn sum_f32(a: &[f32], b: &[f32], term: impl Fn(f32, f32) -> f32) -> f32 {
    let mut acc = [0f32; LANES];
    let body = a.len() - a.len() % LANES;
    for (ca, cb) in a[..body].chunks_exact(LANES).zip(b[..body].chunks_exact(LANES)) {
        for l in 0..LANES {
            acc[l] += term(ca[l], cb[l]);
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (&x, &y) in a[body..].iter().zip(&b[body..]) {
        s += term(x, y);
    }
    s
}

#[inline(always)]
pub(super) fn l2sq_f32(a: &[f32], b: &[f32]) -> f32 {
    sum_f32(a, b, |x, y| (x - y) * (x - y))
}

#[inline(always)]
pub(super) fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    sum_f32(a, b, |x, y| x * y)
}

#[inline(always)]
pub(super) fn manhattan_f32(a: &[f32], b: &[f32]) -> f32 {
    sum_f32(a, b, |x, y| (x - y).abs())
}

#[inline(always)]
pub(super) fn cosine_f32(a: &[f32], b: &[f32]) -> f32 {
    cosine_from(dot_f32(a, b) as f64, dot_f32(a, a) as f64, dot_f32(b, b) as f64)
}

#[inline(always)]
pub(super) fn l2sq_i8(a: &[i8], b: &[i8]) -> f32 {
    let mut s = 0u32;
    for (&x, &y) in a.iter().zip(b) {
        let d = x as i32 - y as i32;
        s = s.wrapping_add((d * d) as u32);
    }
    s as f32
}

#[inline(always)]
fn dot_i32(a: &[i8], b: &[i8]) -> i32 {
    a.iter().zip(b).fold(0i32, |s, (&x, &y)| s + x as i32 * y as i32)
}

#[inline(always)]
pub(super) fn dot_i8(a: &[i8], b: &[i8]) -> f32 {
    dot_i32(a, b) as f32
}

#[inline(always)]
pub(super) fn cosine_i8(a: &[i8], b: &[i8]) -> f32 {
    cosine_from(dot_i32(a, b) as f64, dot_i32(a, a) as f64, dot_i32(b, b) as f64)
}

#[inline(always)]
pub(super) fn hamming(a: &[u8], b: &[u8]) -> f32 {
    let body = a.len() - a.len() % 8;
    let mut s = 0u32;
    for (ca, cb) in a[..body].chunks_exact(8).zip(b[..body].chunks_exact(8)) {
        let x = u64::from_le_bytes(ca.try_into().unwrap()) ^ u64::from_le_bytes(cb.try_into().unwrap());
        s += x.count_ones();
    }
    for (&x, &y) in a[body..].iter().zip(&b[body..]) {
        s += (x ^ y).count_ones();
    }
    s as f32
}

// The scalar table needs no target features; an empty feature list is not allowed, so use the
// baseline SSE2 that every x86-64 CPU has (and nothing on other architectures).
#[cfg(target_arch = "x86_64")]
many_loops_for!("sse2",
    l2sq_f32_many = l2sq_f32: f32, dot_f32_many = dot_f32: f32, cosine_f32_many = cosine_f32: f32,
    manhattan_f32_many = manhattan_f32: f32, l2sq_i8_many = l2sq_i8: i8, dot_i8_many = dot_i8: i8,
    cosine_i8_many = cosine_i8: i8, hamming_many = hamming: u8,
);

#[cfg(not(target_arch = "x86_64"))]
mod portable {
    use super::*;
    macro_rules! plain {
        ($($many:ident = $pair:ident : $t:ty),*) => {$(
            pub(in super::super) unsafe fn $many(q: &[$t], rows: &[$t], out: &mut [f32]) {
                for (o, row) in out.iter_mut().zip(rows.chunks_exact(q.len())) { *o = $pair(q, row); }
            }
        )*};
    }
    plain!(l2sq_f32_many = l2sq_f32: f32, dot_f32_many = dot_f32: f32, cosine_f32_many = cosine_f32: f32,
        manhattan_f32_many = manhattan_f32: f32, l2sq_i8_many = l2sq_i8: i8, dot_i8_many = dot_i8: i8,
        cosine_i8_many = cosine_i8: i8, hamming_many = hamming: u8);
}
#[cfg(not(target_arch = "x86_64"))]
use portable::*;

pub(super) static KERNELS: Kernels = Kernels {
    f32_pair: [l2sq_f32, dot_f32, cosine_f32, manhattan_f32],
    f32_many: [l2sq_f32_many, dot_f32_many, cosine_f32_many, manhattan_f32_many],
    i8_pair: [l2sq_i8, dot_i8, cosine_i8],
    i8_many: [l2sq_i8_many, dot_i8_many, cosine_i8_many],
    i8_code_dots: dot_i8_many,
    hamming_pair: hamming,
    hamming_many,
};
