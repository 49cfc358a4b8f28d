//! rabitqB: RaBitQ codes of B = 1..8 bits per dimension (Gao & Long, SIGMOD 2024; Gao et al.,
//! SIGMOD 2025), with the unbiased estimator of inner products and distances and its error bound.
//! docs/quantization.md gives every formula; this is the reference implementation.
//!
//! Encode, per vector x, against the file's center c and seeded rotation R (`rotation.rs`):
//! u = R(pad(x - c)) in float64. Each coordinate gets a level k_i in 0..=m, m = 2^(B-1) - 1, and
//! the signed grid value y_i = sign(u_i) (k_i + 1/2); the code is y_i + m + 1/2 (0..2^B - 1).
//! k_i = min(floor(t |u_i|), m) for the scale t that maximises the cosine <y, u> / (|y| |u|),
//! searched on a fixed grid (40 scales, then 40 around the best). B = 1 is plain RaBitQ: the sign.
//! Per vector three float32 factors: |u|^2, f = |u|^2 / <y, u>, and the error factor
//! e = |u| sqrt(1 - a^2) / (a sqrt(P - 1)), a = <y, u> / (|y| |u|).
//!
//! For a rotated query-side vector v (v = R(pad(q - c)) for l2, R(pad(q)) for ip), the estimate of
//! <x - c, v> is f <y, v>, and |<x - c, v> - f <y, v>| <= eps0 |v| e with high probability
//! (eps0 = 1.9 gives the papers' confidence). Codes are stored as B bit-planes of P bits, plane b
//! holding bit b of every coordinate's code, so one kernel serves every B.

use super::rotation::{padded_dim, Rotation};
use super::scheme::{Codec, Coder};
use crate::simd::Level;

/// u32 words before the center in a rabitq file-parameter block.
pub const HEADER_WORDS: usize = 8;
/// float32 factors per vector: |u|^2, f, e.
pub const FACTORS: usize = 3;
/// Rotation kinds in the file-parameter block.
pub const ROTATION_HADAMARD: u32 = 1;
/// The papers' confidence multiplier for the error bound.
pub const DEFAULT_EPS0: f64 = 1.9;

const COARSE: usize = 40;
const FINE: usize = 40;
const _: () = assert!(COARSE.is_multiple_of(2) && FINE.is_multiple_of(2));
/// The scale search covers t |u|max / (m + 1) in this range.
const SCALE_LO: f64 = 0.1;
const SCALE_HI: f64 = 2.0;

pub fn code_bytes(bits: usize, dim: usize) -> usize {
    bits * padded_dim(dim) / 8
}

/// The parts of a rabitq file-parameter block: rotation and center (`check_block` validates it).
pub struct Block {
    pub rotation: Rotation,
    pub center: Vec<f32>,
}

/// The file-parameter block [`read_block`] reads: a Hadamard rotation from `seed`, then `center`.
pub fn block_words(seed: u64, metric_id: u32, center: &[f32]) -> Vec<f32> {
    let head = [ROTATION_HADAMARD, metric_id, seed as u32, (seed >> 32) as u32, padded_dim(center.len()) as u32, 0, 0, 0];
    head.iter().map(|&w| f32::from_bits(w)).chain(center.iter().copied()).collect()
}

/// Reads `[kind, metric, seed lo, seed hi, P, 0, 0, 0, center (dim f32)]`, checking every field.
pub fn read_block(words: &[f32], dim: usize) -> Result<Block, String> {
    read_block_at(crate::simd::level(), words, dim)
}

/// [`read_block`] with the rotation's kernels at `level`.
pub fn read_block_at(level: Level, words: &[f32], dim: usize) -> Result<Block, String> {
    if words.len() != HEADER_WORDS + dim {
        return Err(format!("rabitq parameters hold {} words, dim {dim} needs {}", words.len(), HEADER_WORDS + dim));
    }
    let w = |i: usize| words[i].to_bits();
    if w(0) != ROTATION_HADAMARD {
        return Err(format!("unknown rotation kind {}", w(0)));
    }
    if w(1) > 2 {
        return Err(format!("unknown metric id {}", w(1)));
    }
    if w(4) as usize != padded_dim(dim) {
        return Err(format!("padded dimension {} does not match dim {dim} (expected {})", w(4), padded_dim(dim)));
    }
    if (5..HEADER_WORDS).any(|i| w(i) != 0) {
        return Err("reserved rotation words are not zero".into());
    }
    let center = &words[HEADER_WORDS..];
    if !center.iter().all(|v| v.is_finite()) {
        return Err("the center holds NaN or infinite values".into());
    }
    let seed = (w(3) as u64) << 32 | w(2) as u64;
    Ok(Block { rotation: Rotation::at(level, seed, dim), center: center.to_vec() })
}

/// The cosine between `w` and the levels (min(floor(t w_i), m) + 1/2). `<y, w>` is summed in 8
/// interleaved lanes, combined pairwise, and `|y|^2 = sum (2k + 1)^2 / 4` from whole numbers
/// (exact in float64 in any order), so the result is fixed (the TypeScript baseline sums the same
/// way) and the loop still vectorises.
#[inline(always)]
pub(super) fn cosine_at(w: &[f64], m: usize, t: f64) -> f64 {
    let (mut ip, mut odd) = ([0f64; 8], [0f64; 8]);
    for chunk in w.chunks_exact(8) {
        for j in 0..8 {
            let k = (t * chunk[j]).floor().min(m as f64);
            ip[j] += (k + 0.5) * chunk[j];
            odd[j] += (2.0 * k + 1.0) * (2.0 * k + 1.0);
        }
    }
    let ip = ((ip[0] + ip[1]) + (ip[2] + ip[3])) + ((ip[4] + ip[5]) + (ip[6] + ip[7]));
    let odd: f64 = odd.iter().sum();
    ip / (odd / 4.0).sqrt()
}

/// The scale search's inner loop: [`cosine_at`] at two scales, or a SIMD kernel giving the same
/// bits (two scales a pass, so the kernel reads `w` once for both and has two sets of independent
/// sums in flight).
pub(super) type CosineFn = unsafe fn(&[f64], usize, [f64; 2]) -> [f64; 2];

/// [`cosine_at`] as a plain function (the scalar level's kernel).
unsafe fn cosine_at_scalar(w: &[f64], m: usize, t: [f64; 2]) -> [f64; 2] {
    [cosine_at(w, m, t[0]), cosine_at(w, m, t[1])]
}

/// Levels k_i for `w` = |u| (B >= 2): the grid scale with the best cosine (the first such, in
/// grid order). Returns the levels in `k`.
#[inline(always)]
fn best_levels(w: &[f64], m: usize, k: &mut [u8], cosine: CosineFn) {
    let wmax = w.iter().fold(0f64, |a, &b| if b > a { b } else { a });
    if wmax == 0.0 || m == 0 {
        k.fill(0);
        return;
    }
    let unit = (m + 1) as f64 / wmax;
    let step = (SCALE_HI - SCALE_LO) / (COARSE - 1) as f64;
    // (cosine, scale) of the best so far. Scales go two at a time (COARSE and FINE are even), each
    // still compared in grid order.
    let mut best = (f64::NEG_INFINITY, SCALE_LO * unit);
    let consider = |t: [f64; 2], skip: [bool; 2], best: &mut (f64, f64)| {
        // SAFETY: `cosine` is a kernel of a level this CPU supports (see `encode_rows`).
        let c = unsafe { cosine(w, m, t) };
        for j in 0..2 {
            if !skip[j] && c[j] > best.0 {
                *best = (c[j], t[j]);
            }
        }
    };
    for g in (0..COARSE).step_by(2) {
        consider([(SCALE_LO + step * g as f64) * unit, (SCALE_LO + step * (g + 1) as f64) * unit], [false; 2], &mut best);
    }
    let (lo, fine_step) = (best.1 - step * unit, 2.0 * step * unit / (FINE - 1) as f64);
    for g in (0..FINE).step_by(2) {
        let t = [lo + fine_step * g as f64, lo + fine_step * (g + 1) as f64];
        consider(t, [t[0] <= 0.0, t[1] <= 0.0], &mut best);
    }
    let best_t = best.1;
    for (ki, &wi) in k.iter_mut().zip(w) {
        *ki = (best_t * wi).floor().min(m as f64) as u8;
    }
}

/// Encodes rows of `x` into bit-plane codes and factors. Returns the first row whose factors are
/// not finite (its values overflow), if any. `block` comes from [`read_block`].
pub(super) fn encode_rows(
    level: Level,
    bits: usize,
    x: &[f32],
    dim: usize,
    block: &Block,
    codes: &mut [u8],
    params: &mut [f32],
) -> Option<usize> {
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx512 => unsafe {
            super::x86_avx512::rabitq_encode_rows(super::x86_avx2::rabitq_cosine_at, bits, x, dim, block, codes, params)
        },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx2 => unsafe {
            super::x86_avx2::rabitq_encode_rows(super::x86_avx2::rabitq_cosine_at, bits, x, dim, block, codes, params)
        },
        _ => encode_rows_generic(cosine_at_scalar, bits, x, dim, block, codes, params),
    }
}

pub(super) fn decode_rows(level: Level, bits: usize, codes: &[u8], params: &[f32], dim: usize, block: &Block, out: &mut [f32]) {
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx512 => unsafe { super::x86_avx512::rabitq_decode_rows(bits, codes, params, dim, block, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported by this CPU.
        Level::Avx2 => unsafe { super::x86_avx2::rabitq_decode_rows(bits, codes, params, dim, block, out) },
        _ => decode_rows_generic(bits, codes, params, dim, block, out),
    }
}

/// Encode body shared by every level.
#[inline(always)]
pub(super) fn encode_rows_generic(
    cosine: CosineFn,
    bits: usize,
    x: &[f32],
    dim: usize,
    block: &Block,
    codes: &mut [u8],
    params: &mut [f32],
) -> Option<usize> {
    let p = block.rotation.padded;
    let m = (1usize << (bits - 1)) - 1;
    let (mut u, mut w, mut k) = (vec![0f64; p], vec![0f64; p], vec![0u8; p]);
    let cb = code_bytes(bits, dim);
    for (r, ((xv, code), f)) in x.chunks_exact(dim).zip(codes.chunks_exact_mut(cb)).zip(params.chunks_exact_mut(FACTORS)).enumerate() {
        for ((ui, &xi), &ci) in u.iter_mut().zip(xv).zip(&block.center) {
            *ui = xi as f64 - ci as f64;
        }
        u[dim..].fill(0.0);
        block.rotation.apply(&mut u);
        for (wi, &ui) in w.iter_mut().zip(&u) {
            *wi = ui.abs();
        }
        best_levels(&w, m, &mut k, cosine);
        // The sums in coordinate order (the TypeScript baseline's order), then the code's bits.
        let (mut norm2, mut ip, mut ysq) = (0f64, 0f64, 0f64);
        for ((&ui, &wi), &ki) in u.iter().zip(&w).zip(&k) {
            let level = ki as f64 + 0.5;
            norm2 += ui * ui;
            ip += level * wi;
            ysq += level * level;
        }
        write_code(bits, m, &u, &k, code);
        let (fv, ev) = if ip > 0.0 {
            let a = ip / (ysq.sqrt() * norm2.sqrt());
            let e = norm2.sqrt() * (1.0 - a * a).max(0.0).sqrt() / (a * ((p - 1) as f64).sqrt());
            (norm2 / ip, e)
        } else {
            (0.0, 0.0)
        };
        let out = [norm2 as f32, fv as f32, ev as f32];
        if !out.iter().all(|v| v.is_finite()) {
            return Some(r);
        }
        f.copy_from_slice(&out);
    }
    None
}

/// Writes the bit-planes of the codes sign(u_i) (k_i + 1/2) + m + 1/2; for B = 1, the signs alone.
#[inline(always)]
fn write_code(bits: usize, m: usize, u: &[f64], k: &[u8], code: &mut [u8]) {
    let p = u.len();
    if bits == 1 {
        for (byte, eight) in code.iter_mut().zip(u.chunks_exact(8)) {
            *byte = eight.iter().enumerate().fold(0u8, |b, (t, &v)| b | ((v >= 0.0) as u8) << t);
        }
        return;
    }
    code.fill(0);
    for (i, (&ui, &ki)) in u.iter().zip(k).enumerate() {
        let c = if ui >= 0.0 { m + 1 + ki as usize } else { m - ki as usize };
        for b in 0..bits {
            code[b * p / 8 + i / 8] |= (((c >> b) & 1) as u8) << (i % 8);
        }
    }
}

/// The code of coordinate i (0..2^B - 1) from bit-planes.
#[inline(always)]
fn code_at(code: &[u8], bits: usize, p: usize, i: usize) -> usize {
    (0..bits).map(|b| (((code[b * p / 8 + i / 8] >> (i % 8)) & 1) as usize) << b).sum()
}

/// Decode body shared by every level: c + R^-1((<y, u> / |y|^2) y), the point on the code's
/// ray nearest x.
#[inline(always)]
pub(super) fn decode_rows_generic(bits: usize, codes: &[u8], params: &[f32], dim: usize, block: &Block, out: &mut [f32]) {
    let p = block.rotation.padded;
    let half = ((1usize << bits) - 1) as f64 / 2.0;
    let mut y = vec![0f64; p];
    let cb = code_bytes(bits, dim);
    for ((code, f), ov) in codes.chunks_exact(cb).zip(params.chunks_exact(FACTORS)).zip(out.chunks_exact_mut(dim)) {
        let mut ysq = 0f64;
        for (i, yi) in y.iter_mut().enumerate() {
            *yi = code_at(code, bits, p, i) as f64 - half;
            ysq += *yi * *yi;
        }
        let (norm2, fv) = (f[0] as f64, f[1] as f64);
        let scale = if fv > 0.0 { norm2 / fv / ysq } else { 0.0 };
        for yi in y.iter_mut() {
            *yi *= scale;
        }
        block.rotation.invert(&mut y);
        for (i, o) in ov.iter_mut().enumerate() {
            *o = (y[i] + block.center[i] as f64) as f32;
        }
    }
}

/// rabitqB's registry entry (scheme.rs), B = 1..8.
pub(super) struct Rabitq(pub u8);

impl Codec for Rabitq {
    fn name(&self) -> &'static str {
        ["rabitq1", "rabitq2", "rabitq3", "rabitq4", "rabitq5", "rabitq6", "rabitq7", "rabitq8"][self.0 as usize - 1]
    }
    /// rabitqB is 4 + B.
    fn id(&self) -> u32 {
        4 + self.0 as u32
    }
    fn family(&self) -> &'static str {
        "rabitq"
    }
    fn bits(&self) -> usize {
        self.0 as usize
    }
    /// Codes cover the padded dimension (a multiple of 64).
    fn code_bytes(&self, dim: usize) -> usize {
        code_bytes(self.bits(), dim)
    }
    fn vector_params(&self) -> usize {
        FACTORS
    }
    /// The rotation words, then the center ([`read_block`]).
    fn file_params(&self, dim: usize) -> usize {
        HEADER_WORDS + dim
    }
    fn coder<'a>(&self, level: Level, dim: usize, words: &'a [f32]) -> Result<Box<dyn Coder + 'a>, String> {
        Ok(Box::new(RabitqCoder { level, bits: self.bits(), dim, block: read_block_at(level, words, dim)? }))
    }
}

struct RabitqCoder {
    level: Level,
    bits: usize,
    dim: usize,
    block: Block,
}

impl Coder for RabitqCoder {
    fn encode_rows(&self, x: &[f32], codes: &mut [u8], params: &mut [f32]) -> Option<usize> {
        encode_rows(self.level, self.bits, x, self.dim, &self.block, codes, params)
    }
    fn decode_rows(&self, codes: &[u8], params: &[f32], out: &mut [f32]) {
        decode_rows(self.level, self.bits, codes, params, self.dim, &self.block, out)
    }
}

/// A query prepared for estimating against rabitq codes of one file (or index).
pub struct Prepared {
    bits: usize,
    padded: usize,
    /// The quantized query: v_i ~ delta * s_i.
    s: Vec<i32>,
    /// Per group of 8 coordinates, the 256 sums of the quantized query over each bit pattern.
    lut: Vec<i32>,
    /// The quantized query's step and the sum of its levels.
    delta: f64,
    sum_s: i64,
    /// l2: |q - c|^2; ip: <q, c>.
    constant: f64,
    /// |v|: scales the error bound.
    v_norm: f64,
    l2: bool,
}

/// What the estimator says of one code: the estimated distance and its error bound.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub distance: f32,
    pub bound: f32,
}

/// Quantization levels of the query: v_i ~ delta * s_i with s_i in -16383..=16383, fine enough
/// that even 8-bit codes' error dominates (at 127 levels, the query's rounding did for rabitq8),
/// and coarse enough that a sum over 4 coordinates spans under 2^16 (FastScan's tables).
pub(super) const QUERY_LEVELS: f64 = 16383.0;

impl Prepared {
    /// Prepares query `q` (`dim` values, already normalised for cosine) for `l2` (else inner product).
    pub fn new(bits: usize, q: &[f32], block: &Block, l2: bool) -> Prepared {
        let mut prepared = Prepared::without_tables(bits, q, block, l2);
        prepared.lut = vec![0i32; prepared.padded / 8 * 256];
        for (g, table) in prepared.lut.chunks_exact_mut(256).enumerate() {
            for pattern in 1..256usize {
                let low = pattern.trailing_zeros() as usize;
                table[pattern] = table[pattern & (pattern - 1)] + prepared.s[8 * g + low];
            }
        }
        prepared
    }

    /// [`Prepared::new`] without the lookup tables of [`Prepared::code_dot`] (P x 32 sums), for
    /// callers that measure with [`Prepared::nibble_query`] or FastScan's tables instead.
    pub fn without_tables(bits: usize, q: &[f32], block: &Block, l2: bool) -> Prepared {
        Prepared::around(bits, q, &block.rotation, &block.center, l2)
    }

    /// [`Prepared::without_tables`] for codes encoded around `center` with `rotation`: an IVF
    /// index's lists share one rotation, each with its centroid as center.
    pub fn around(bits: usize, q: &[f32], rotation: &Rotation, center: &[f32], l2: bool) -> Prepared {
        let (dim, p) = (rotation.dim, rotation.padded);
        let mut v = vec![0f64; p];
        let mut constant = 0f64;
        for i in 0..dim {
            let (qi, ci) = (q[i] as f64, center[i] as f64);
            if l2 {
                v[i] = qi - ci;
                constant += v[i] * v[i];
            } else {
                v[i] = qi;
                constant += qi * ci;
            }
        }
        rotation.apply(&mut v);
        Prepared::rotated(bits, &v, constant, l2)
    }

    /// A query from its rotated query-side vector `v` (P values: R(pad(q - c)) for l2, R(pad(q))
    /// for ip) and the estimator's constant (l2: |q - c|^2; ip: <q, c>), without lookup tables.
    /// An IVF index rotates a query once and forms v per list from rotated centroids.
    pub fn rotated(bits: usize, v: &[f64], constant: f64, l2: bool) -> Prepared {
        let v_norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        let vmax = v.iter().fold(0f64, |a, &b| if b.abs() > a { b.abs() } else { a });
        let delta = if vmax > 0.0 { vmax / QUERY_LEVELS } else { 1.0 };
        let s: Vec<i32> = v.iter().map(|&x| quantize_level(x / delta)).collect();
        let sum_s = s.iter().map(|&x| x as i64).sum();
        Prepared { bits, padded: v.len(), s, lut: Vec::new(), delta, sum_s, constant, v_norm, l2 }
    }

    /// Replaces the estimator's constant: for ip, one query prepared once serves codes around
    /// any center c, with <q, c> set per center.
    pub fn set_constant(&mut self, constant: f64) {
        self.constant = constant;
    }

    /// <code, s>: the integer dot product of a code's values with the quantized query: one table
    /// lookup per byte of each bit-plane, in four independent sums (each at most P/32 x 8 x 16383,
    /// under 2^31 for any P up to 65,536). P is a multiple of 64, so a plane is whole 64-bit words.
    #[inline(always)]
    pub fn code_dot(&self, code: &[u8]) -> i64 {
        let plane = self.padded / 8;
        assert!(
            code.len() >= self.bits * plane && self.lut.len() == plane * 256,
            "a code of another size, or a query prepared without tables"
        );
        let mut total = 0i64;
        for b in 0..self.bits {
            let bytes = &code[b * plane..(b + 1) * plane];
            let (mut s0, mut s1, mut s2, mut s3) = (0i32, 0i32, 0i32, 0i32);
            // Eight groups per 64-bit load; their bytes come out by shifts, not by eight loads.
            for (g, eight) in bytes.chunks_exact(8).enumerate() {
                let w = u64::from_le_bytes(eight.try_into().unwrap());
                let t = &self.lut[g * 2048..g * 2048 + 2048];
                let at = |j: usize| j * 256 + ((w >> (8 * j)) & 0xff) as usize;
                // SAFETY: `t` holds eight tables of 256 entries, and `at` stays in table j.
                unsafe {
                    s0 += *t.get_unchecked(at(0)) + *t.get_unchecked(at(4));
                    s1 += *t.get_unchecked(at(1)) + *t.get_unchecked(at(5));
                    s2 += *t.get_unchecked(at(2)) + *t.get_unchecked(at(6));
                    s3 += *t.get_unchecked(at(3)) + *t.get_unchecked(at(7));
                }
            }
            total += (s0 as i64 + s1 as i64 + s2 as i64 + s3 as i64) << b;
        }
        total
    }

    /// The estimate and bound for a code whose integer dot product is `dot`, with factors `f`.
    #[inline(always)]
    pub fn finish(&self, dot: i64, f: &[f32], eps0: f64) -> Estimate {
        let half = ((1i64 << self.bits) - 1) as f64 / 2.0;
        let ip = f[1] as f64 * self.delta * (dot as f64 - half * self.sum_s as f64);
        let bound = eps0 * self.v_norm * f[2] as f64;
        if self.l2 {
            Estimate { distance: (f[0] as f64 + self.constant - 2.0 * ip) as f32, bound: (2.0 * bound) as f32 }
        } else {
            Estimate { distance: (1.0 - (self.constant + ip)) as f32, bound: bound as f32 }
        }
    }

    /// FastScan's tables for this query (`fastscan.rs`).
    pub fn tables(&self) -> super::fastscan::Tables {
        super::fastscan::Tables::new(&self.s)
    }

    /// The query laid out for nibble codes (`nibble.rs`; 4-bit codes only), kernels at `level`.
    pub fn nibble_query(&self, level: Level) -> super::nibble::NibbleQuery {
        super::nibble::NibbleQuery::new(level, &self.s)
    }

    pub fn estimate(&self, code: &[u8], f: &[f32], eps0: f64) -> Estimate {
        self.finish(self.code_dot(code), f, eps0)
    }
}

/// Rounds half away from zero (as the TypeScript baseline does).
fn quantize_level(x: f64) -> i32 {
    let r = (x.abs() + 0.5).floor().min(QUERY_LEVELS);
    if x < 0.0 {
        -(r as i32)
    } else {
        r as i32
    }
}
