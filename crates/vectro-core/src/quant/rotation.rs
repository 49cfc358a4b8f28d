//! RaBitQ's seeded random rotation: a randomized Hadamard transform with Kac mixing, O(P log P)
//! per vector (docs/quantization.md, "rabitqB").
//!
//! A vector of dimension D is zero-padded to P = D rounded up to a multiple of 64. With L the
//! largest power of two not above P, each of four rounds flips the signs of a seeded set of the P
//! coordinates, applies the orthonormal Walsh-Hadamard transform H/sqrt(L) to the first L
//! coordinates (even rounds) or the last L (odd rounds), then, when P != L, mixes each coordinate i
//! of the first half with coordinate i + P/2: (a, b) -> ((a + b)/sqrt(2), (a - b)/sqrt(2)). Every
//! step is orthogonal and its own inverse, so the inverse applies them in reverse order.
//!
//! All arithmetic is float64 in a fixed order, so the TypeScript baseline gives the same bits. The
//! Walsh-Hadamard stages have an AVX2 kernel (x86_avx2.rs) that makes each butterfly's sum and
//! difference as the scalar loop does, so it gives the same bits too; the kernel is chosen when the
//! rotation is made, from the process's SIMD level.

use crate::simd::{self, Level};

/// Rounds of sign flip, Hadamard and mix.
pub const ROUNDS: usize = 4;

/// P: the dimension rounded up to a multiple of 64.
pub fn padded_dim(dim: usize) -> usize {
    dim.div_ceil(64) * 64
}

pub struct Rotation {
    pub dim: usize,
    pub padded: usize,
    /// L: the largest power of two not above `padded`.
    pow2: usize,
    /// ROUNDS x padded sign bits (1 = negate), 64 per word.
    signs: Vec<u64>,
    /// The Walsh-Hadamard transform of a power-of-two slice, times a scale.
    fwht: Fwht,
}

/// A Walsh-Hadamard kernel; unsafe because a SIMD one needs its CPU features.
type Fwht = unsafe fn(&mut [f64], f64);

/// SplitMix64, the generator every seeded vectro component uses (src/random.ts mirrors it).
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Rotation {
    pub fn new(seed: u64, dim: usize) -> Rotation {
        Rotation::at(simd::level(), seed, dim)
    }

    /// A rotation whose transforms use `level`'s kernel (the tests compare them).
    pub fn at(level: Level, seed: u64, dim: usize) -> Rotation {
        let padded = padded_dim(dim);
        let pow2 = 1usize << (usize::BITS - 1 - padded.leading_zeros());
        let mut rng = SplitMix64(seed);
        let signs = (0..ROUNDS * padded / 64).map(|_| rng.next_u64()).collect();
        let fwht: Fwht = match simd::best_level(level) {
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 | Level::Avx512 => super::x86_avx2::fwht,
            _ => fwht_scalar,
        };
        Rotation { dim, padded, pow2, signs, fwht }
    }

    #[inline(always)]
    fn flip(&self, round: usize, x: &mut [f64]) {
        let words = &self.signs[round * self.padded / 64..(round + 1) * self.padded / 64];
        for (chunk, &w) in x.chunks_exact_mut(64).zip(words) {
            for (j, v) in chunk.iter_mut().enumerate() {
                // Negation is a flip of the sign bit; written so, the loop has no branch.
                *v = f64::from_bits(v.to_bits() ^ (((w >> j) & 1) << 63));
            }
        }
    }

    #[inline(always)]
    fn hadamard(&self, round: usize, x: &mut [f64]) {
        let start = if round.is_multiple_of(2) { 0 } else { self.padded - self.pow2 };
        let x = &mut x[start..start + self.pow2];
        // SAFETY: `fwht` is a kernel of a level this CPU supports (`Rotation::at`); x.len() is a
        // power of two of at least 64.
        unsafe { (self.fwht)(x, 1.0 / (self.pow2 as f64).sqrt()) };
    }

    #[inline(always)]
    fn mix(&self, x: &mut [f64]) {
        if self.pow2 == self.padded {
            return;
        }
        let r = 0.5f64.sqrt();
        let (lo, hi) = x.split_at_mut(self.padded / 2);
        for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
            let (s, d) = ((*a + *b) * r, (*a - *b) * r);
            *a = s;
            *b = d;
        }
    }

    #[inline(always)]
    /// Rotates `x` (`padded` values) in place.
    pub fn apply(&self, x: &mut [f64]) {
        for round in 0..ROUNDS {
            self.flip(round, x);
            self.hadamard(round, x);
            self.mix(x);
        }
    }

    /// Undoes [`Rotation::apply`] in place.
    #[inline(always)]
    pub fn invert(&self, x: &mut [f64]) {
        for round in (0..ROUNDS).rev() {
            self.mix(x);
            self.hadamard(round, x);
            self.flip(round, x);
        }
    }
}

/// The Walsh-Hadamard stages, h = 1, 2, 4, ...: each pair (a, b) = (x[i], x[i + h]) becomes
/// (a + b, a - b); then every value is multiplied by `scale`. The reference every kernel must
/// match bit for bit.
///
/// # Safety
/// None needed; unsafe only to share the kernels' type.
pub(super) unsafe fn fwht_scalar(x: &mut [f64], scale: f64) {
    let mut h = 1;
    while h < x.len() {
        for block in x.chunks_exact_mut(2 * h) {
            let (lo, hi) = block.split_at_mut(h);
            for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                let (s, d) = (*a + *b, *a - *b);
                *a = s;
                *b = d;
            }
        }
        h *= 2;
    }
    for v in x.iter_mut() {
        *v *= scale;
    }
}
