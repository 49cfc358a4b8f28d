//! rabitq4 codes with one coordinate per nibble, for measuring one code at a time (HNSW search).
//!
//! Files keep rabitq codes as bit-planes (rabitq.rs), where a 4-bit code's dot product with the
//! quantized query takes a table lookup per byte of each plane: 64 lookups at P = 128. Here byte j
//! holds coordinate 2j in its low nibble and 2j + 1 in its high one: the same P / 2 bytes, and the
//! AVX2 kernel takes 64 coordinates per 32-byte load with `vpmaddubsw` (code bytes times signed
//! query bytes). The query's levels s_i (|s_i| <= 16383) are split as s_i = 128 h_i + l_i with
//! l_i in 0..=127 and h_i in -128..=127, so both parts are bytes; a product pair sums to at most
//! 2 x 15 x 128 in 16 bits. The dot product is exact integer arithmetic, so it equals
//! `Prepared::code_dot` on the bit-planes, at every level.

use super::rabitq::QUERY_LEVELS;
use crate::simd::Level;

/// Coordinates per 32-byte chunk of nibbles.
const CHUNK: usize = 64;
const _: () = assert!(QUERY_LEVELS <= 16383.0, "s = 128 h + l needs h in -128..=127");

/// One 4-bit code, from its 4 bit-planes of `p` bits (`p` a multiple of 64) to `p / 2` bytes.
pub fn from_planes(p: usize, planes: &[u8], out: &mut [u8]) {
    let plane = p / 8;
    debug_assert!(planes.len() == 4 * plane && out.len() == p / 2);
    // Eight coordinates at a time: one byte of each plane gives four output bytes.
    for (g, four) in out.chunks_exact_mut(4).enumerate() {
        let bytes = [planes[g], planes[plane + g], planes[2 * plane + g], planes[3 * plane + g]];
        let value = |i: usize| (0..4).fold(0u8, |v, b| v | ((bytes[b] >> i) & 1) << b);
        for (j, o) in four.iter_mut().enumerate() {
            *o = value(2 * j) | value(2 * j + 1) << 4;
        }
    }
}

/// The inverse of [`from_planes`].
pub fn to_planes(p: usize, nibbles: &[u8], out: &mut [u8]) {
    let plane = p / 8;
    debug_assert!(nibbles.len() == p / 2 && out.len() == 4 * plane);
    out.fill(0);
    for i in 0..p {
        let value = (nibbles[i / 2] >> (4 * (i % 2))) & 15;
        for b in 0..4 {
            out[b * plane + i / 8] |= ((value >> b) & 1) << (i % 8);
        }
    }
}

/// A quantized query laid out for nibble codes: per chunk of 64 coordinates, 32 bytes each of
/// the even coordinates' l, the odd ones' l, the even ones' h and the odd ones' h.
pub struct NibbleQuery {
    parts: Vec<i8>,
    kernel: unsafe fn(&[i8], &[u8]) -> i64,
}

impl NibbleQuery {
    /// From the query's levels (`Prepared`'s s: P values, P a multiple of 64, |s_i| <= 16383).
    pub fn new(level: Level, s: &[i32]) -> NibbleQuery {
        let mut parts = vec![0i8; 2 * s.len()];
        for (chunk, out) in s.chunks_exact(CHUNK).zip(parts.chunks_exact_mut(2 * CHUNK)) {
            for (i, &v) in chunk.iter().enumerate() {
                let (at, h, l) = (i / 2 + 32 * (i % 2), v >> 7, v & 127);
                out[at] = l as i8;
                out[at + 64] = h as i8;
            }
        }
        NibbleQuery { parts, kernel: kernel(level) }
    }

    /// <code, s> for one nibble code of this query's P coordinates.
    #[inline(always)]
    pub fn dot(&self, code: &[u8]) -> i64 {
        assert_eq!(code.len() * 4, self.parts.len(), "a nibble code of another dimension");
        // SAFETY: the kernel belongs to a level this CPU supports (`kernel`), and the lengths
        // match: P / 2 code bytes against 2 P query bytes, in whole chunks.
        unsafe { (self.kernel)(&self.parts, code) }
    }
}

fn kernel(level: Level) -> unsafe fn(&[i8], &[u8]) -> i64 {
    match crate::simd::best_level(level) {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 | Level::Avx2 => super::x86_avx2::nibble_dot,
        _ => dot_scalar,
    }
}

/// The reference: sum over coordinates of code value times (128 h + l).
///
/// # Safety
/// None needed; `unsafe` only to share the kernels' signature.
unsafe fn dot_scalar(parts: &[i8], code: &[u8]) -> i64 {
    let mut total = 0i64;
    for (q, c) in parts.chunks_exact(2 * CHUNK).zip(code.chunks_exact(CHUNK / 2)) {
        for (j, &byte) in c.iter().enumerate() {
            let (even, odd) = ((byte & 15) as i64, (byte >> 4) as i64);
            total += even * (128 * q[j + 64] as i64 + q[j] as i64);
            total += odd * (128 * q[j + 96] as i64 + q[j + 32] as i64);
        }
    }
    total
}

#[cfg(test)]
pub(super) fn dot_at(level: Level, q: &NibbleQuery, code: &[u8]) -> i64 {
    assert_eq!(code.len() * 4, q.parts.len());
    // SAFETY: `kernel` picks a supported level; lengths checked above.
    unsafe { kernel(level)(&q.parts, code) }
}
