//! FastScan: rabitq codes packed in blocks of 32 vectors, so that a query's lookup tables over
//! 4 coordinates stay in registers and one byte shuffle (vpshufb) looks up 32 codes at once, as in
//! FAISS's FastScan indexes (André et al., "Cache locality is not enough", VLDB 2015).
//!
//! Unlike FAISS, the tables are not rounded to 8 bits: they hold the exact 16-bit sums of the
//! quantized query (`rabitq::Prepared`), split into a low-byte and a high-byte table, so a packed
//! scan gives the same integer dot products as `Prepared::code_dot`, and the same estimates, bit
//! for bit, as a scan of row-major codes.
//!
//! Layout (docs/format.md, "FastScan blocks"): rows are taken 32 at a time (the last block padded
//! with zero codes); a block holds, for each bit-plane b, P/8 registers of 32 bytes. Register r
//! covers coordinate groups 2r (bytes 0..16) and 2r + 1 (bytes 16..32), a group being 4
//! coordinates; byte j of a half holds row j's 4 bits of the group in its low nibble and row
//! j + 16's in its high nibble.
//!
//! Tables: for group g and nibble e, T[g][e] = sum of s_(4g+i) over the bits i of e, minus the
//! group's smallest such sum (the sum of its negative s), so 0 <= T <= 4 x 16383 < 2^16. A
//! plane's dot product is then sum_g T[g][nibble_g] + `offset`. Kernels sum the table bytes in
//! 16-bit lanes for at most `CHUNK` registers (256 x 255 < 2^16), then widen to 32 bits: a total
//! is at most P/4 x 65532 < 2^32 for any P up to 65,536 (the tests run that worst case).

use super::rabitq::{self, Estimate, Prepared};
use super::rotation::padded_dim;
use crate::simd::Level;

/// Rows per packed block.
pub const BLOCK: usize = 32;
/// Registers summed in 16-bit lanes before widening.
pub(super) const CHUNK: usize = 256;

/// Bytes of `rows` packed rabitqB codes of dimension `dim`.
pub fn packed_bytes(bits: usize, dim: usize, rows: usize) -> usize {
    rows.div_ceil(BLOCK) * bits * padded_dim(dim) * BLOCK / 8
}

/// Packs row-major bit-plane codes (`rabitq::code_bytes(bits, dim)` bytes a row) into blocks.
/// `out` holds `packed_bytes(bits, dim, rows)` bytes (checked by the caller).
pub fn pack(bits: usize, dim: usize, codes: &[u8], out: &mut [u8]) {
    let p = padded_dim(dim);
    let plane = p / 8;
    out.fill(0);
    for (row, code) in codes.chunks_exact(bits * plane).enumerate() {
        let (block, j) = (row / BLOCK, row % BLOCK);
        let (slot, shift) = (j % 16, if j < 16 { 0 } else { 4 });
        for b in 0..bits {
            let regs = &mut out[(block * bits + b) * plane * 32..][..plane * 32];
            for (r, &byte) in code[b * plane..(b + 1) * plane].iter().enumerate() {
                regs[r * 32 + slot] |= (byte & 15) << shift;
                regs[r * 32 + 16 + slot] |= (byte >> 4) << shift;
            }
        }
    }
}

/// A query's tables over groups of 4 coordinates.
pub struct Tables {
    /// T[g][e], 16 entries a group (the scalar kernel's).
    pub(super) full: Vec<u16>,
    /// Per register, 32 bytes: the low (`lo`) or high (`hi`) bytes of T[2r] then T[2r + 1].
    pub(super) lo: Vec<u8>,
    pub(super) hi: Vec<u8>,
    /// The sum of the groups' smallest sums: a plane's dot product is its table sum plus this.
    offset: i64,
}

impl Tables {
    /// Tables for the quantized query `s` (P values within ±16383).
    pub fn new(s: &[i32]) -> Tables {
        let groups = s.len() / 4;
        let (mut full, mut lo, mut hi) = (vec![0u16; groups * 16], vec![0u8; groups * 16], vec![0u8; groups * 16]);
        let mut offset = 0i64;
        for (g, four) in s.chunks_exact(4).enumerate() {
            let least: i32 = four.iter().map(|&x| x.min(0)).sum();
            offset += least as i64;
            let (r, half) = (g / 2, g % 2);
            // Each entry from a smaller one: T[e] = T[e without its lowest bit] + s[lowest bit].
            let mut sums = [0i32; 16];
            for e in 1..16usize {
                sums[e] = sums[e & (e - 1)] + four[e.trailing_zeros() as usize];
            }
            for (e, &sum) in sums.iter().enumerate() {
                let t = (sum - least) as u16;
                full[g * 16 + e] = t;
                lo[r * 32 + half * 16 + e] = t as u8;
                hi[r * 32 + half * 16 + e] = (t >> 8) as u8;
            }
        }
        Tables { full, lo, hi, offset }
    }
}

/// A plane's 32 table sums: the scalar kernel, and the reference for the SIMD ones.
pub(super) fn plane_sums_scalar(t: &Tables, regs: &[u8], out: &mut [u32; BLOCK]) {
    *out = [0; BLOCK];
    for (r, reg) in regs.chunks_exact(32).enumerate() {
        for half in 0..2 {
            let table = &t.full[(2 * r + half) * 16..][..16];
            for j in 0..16 {
                let c = reg[half * 16 + j] as usize;
                out[j] += table[c & 15] as u32;
                out[j + 16] += table[c >> 4] as u32;
            }
        }
    }
}

/// A plane's table sums at `level`.
fn plane_sums(level: Level, t: &Tables, regs: &[u8], out: &mut [u32; BLOCK]) {
    debug_assert!(regs.len().is_multiple_of(32) && t.lo.len() == regs.len());
    match level {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level (AVX-512 implies AVX2) is supported by this CPU; the lengths match.
        Level::Avx2 | Level::Avx512 => unsafe { super::x86_avx2::fastscan_plane_sums(&t.lo, &t.hi, regs, out) },
        _ => plane_sums_scalar(t, regs, out),
    }
}

/// The integer dot products (`Prepared::code_dot`) of one packed block's 32 rows.
pub fn block_dots(level: Level, t: &Tables, bits: usize, block: &[u8], dots: &mut [i64; BLOCK]) {
    let plane = block.len() / bits;
    let mut sums = [0u32; BLOCK];
    *dots = [0; BLOCK];
    for b in 0..bits {
        plane_sums(level, t, &block[b * plane..(b + 1) * plane], &mut sums);
        for (d, &s) in dots.iter_mut().zip(&sums) {
            *d += (s as i64 + t.offset) << b;
        }
    }
}

/// Estimates from a prepared query to every row of packed codes (`params` row-major, `FACTORS`
/// a row), written to `dists` and `bounds` (one per row). Sizes are checked by the caller.
#[allow(clippy::too_many_arguments)]
pub fn scan(
    level: Level,
    prepared: &Prepared,
    t: &Tables,
    bits: usize,
    packed: &[u8],
    params: &[f32],
    eps0: f64,
    dists: &mut [f32],
    bounds: &mut [f32],
) {
    let block_bytes = bits * t.lo.len();
    let mut dots = [0i64; BLOCK];
    let rows = dists.chunks_mut(BLOCK).zip(bounds.chunks_mut(BLOCK)).zip(params.chunks(BLOCK * rabitq::FACTORS));
    for (block, ((ds, bs), fs)) in packed.chunks_exact(block_bytes).zip(rows) {
        block_dots(level, t, bits, block, &mut dots);
        for (((dv, bv), f), &dot) in ds.iter_mut().zip(bs.iter_mut()).zip(fs.chunks_exact(rabitq::FACTORS)).zip(&dots) {
            let Estimate { distance, bound } = prepared.finish(dot, f, eps0);
            *dv = distance;
            *bv = bound;
        }
    }
}
