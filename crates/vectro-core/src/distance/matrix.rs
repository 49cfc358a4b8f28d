//! Distance matrices: every query against every base row, as a blocked, register-tiled
//! matrix product (the structure of a GEMM).
//!
//! Base rows are packed, 32 at a time, into panels laid out `[dim][32]`; a micro-kernel then
//! computes a tile of up to 8 queries x 32 rows, keeping the tile's sums in registers while it
//! walks the dimension, and finishes them into distances before storing. l2sq and cosine come
//! from dot products and norms: `l2sq = |q|^2 + |b|^2 - 2 q.b` (clamped at 0; cancellation makes it
//! less precise than the pair kernel for near-identical vectors) and
//! `cosine = 1 - q.b * (1/|q|) * (1/|b|)` in float32. manhattan sums |q - b| directly.
//! Query rows are spread over threads; each thread packs the panels it needs.

use super::{kernels, Metric};
use crate::error::{invalid, Error};
use crate::parallel::{rows_per_block, run_blocks, threads_for};
use crate::quant::MAX_DIM;
use crate::simd::{self, Level};

/// Base rows per panel (tile width).
pub(crate) const NR: usize = 32;
/// Query rows per tile, at most.
pub(crate) const MR: usize = 8;

/// How a tile turns its sums into distances, with per-row and per-column factors:
/// - `Raw`: the sum itself (dot products, manhattan sums);
/// - `L2sq`: `max(row + col - 2 sum, 0)` with squared norms;
/// - `Cosine`: `1 - sum * row * col` with inverse norms (0 for a zero vector, giving 1).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finish {
    Raw,
    L2sq,
    Cosine,
}

/// One tile's work: up to MR query rows against one packed panel, written to `out` rows.
pub(crate) struct Tile {
    /// Sum |q - b| instead of q.b.
    pub l1: bool,
    pub finish: Finish,
    /// `rows` query rows of `dim` floats.
    pub q: *const f32,
    pub rows: usize,
    pub dim: usize,
    /// The packed `[dim][NR]` panel.
    pub panel: *const f32,
    /// Per-row factors (`rows` of them) and per-column factors (NR, zero-padded).
    pub row_factor: *const f32,
    pub col_factor: *const f32,
    /// First output element, the distance between output rows, and valid columns (<= NR).
    pub out: *mut f32,
    pub out_stride: usize,
    pub cols: usize,
}

/// Computes and stores one tile. Unsafe: every pointer must be valid for the sizes in `Tile`.
pub(crate) type TileFn = unsafe fn(&Tile);

/// The finishing step for one value (shared by every level's tile).
#[inline(always)]
pub(crate) fn finish_one(finish: Finish, sum: f32, row: f32, col: f32) -> f32 {
    match finish {
        Finish::Raw => sum,
        Finish::L2sq => (row + col - 2.0 * sum).max(0.0),
        Finish::Cosine => 1.0 - sum * row * col,
    }
}

/// Portable tile: the reference for the SIMD tiles.
pub(crate) unsafe fn tile_scalar(t: &Tile) {
    for r in 0..t.rows {
        let mut acc = [0f32; NR];
        for k in 0..t.dim {
            let a = *t.q.add(r * t.dim + k);
            let p = std::slice::from_raw_parts(t.panel.add(k * NR), NR);
            for c in 0..NR {
                acc[c] += if t.l1 { (a - p[c]).abs() } else { a * p[c] };
            }
        }
        for (c, &sum) in acc.iter().enumerate().take(t.cols) {
            *t.out.add(r * t.out_stride + c) = finish_one(t.finish, sum, *t.row_factor.add(r), *t.col_factor.add(c));
        }
    }
}

fn tile_fn(level: Level) -> TileFn {
    match level {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => super::x86_avx512::tile,
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => super::x86_avx2::tile,
        _ => tile_scalar,
    }
}

/// Packs base rows `[first, first + NR)` (zeros past the end) into `panel` as `[dim][NR]`.
fn pack(base: &[f32], dim: usize, first: usize, panel: &mut [f32]) {
    let rows = (base.len() / dim - first).min(NR);
    panel.fill(0.0);
    for c in 0..rows {
        let row = &base[(first + c) * dim..(first + c + 1) * dim];
        for (k, &v) in row.iter().enumerate() {
            panel[k * NR + c] = v;
        }
    }
}

/// Per-row factors for `finish`: squared norms (l2sq) or inverse norms (cosine).
fn factors(level: Level, finish: Finish, x: &[f32], dim: usize) -> Vec<f32> {
    let dot = kernels(level).f32_pair[1];
    // SAFETY: a supported level's kernel, on two equal slices.
    let norm2 = x.chunks_exact(dim).map(|r| unsafe { dot(r, r) });
    match finish {
        Finish::L2sq => norm2.collect(),
        Finish::Cosine => norm2.map(|n| if n > 0.0 { 1.0 / n.sqrt() } else { 0.0 }).collect(),
        Finish::Raw => Vec::new(),
    }
}

/// Base rows packed once into the tile kernel's panels, for products with one query at a time (an
/// IVF index's centroids). A row's values are those `matrix` gives for the same query and row: the
/// same tile, factors and order of sums.
pub struct Panels {
    level: Level,
    dim: usize,
    rows: usize,
    /// `ceil(rows / NR)` panels of `[dim][NR]`.
    panels: Vec<f32>,
    /// Squared norms of the rows (l2sq's column factors), zero-padded to whole panels.
    norms: Vec<f32>,
}

impl Panels {
    /// Packs `base` (whole rows of `dim`, checked by the caller) for the kernels at `level`.
    pub fn new(level: Level, base: &[f32], dim: usize) -> Panels {
        let level = simd::best_level(level);
        let rows = base.len() / dim;
        let count = rows.div_ceil(NR);
        let mut panels = vec![0f32; count * dim * NR];
        for (p, panel) in panels.chunks_exact_mut(dim * NR).enumerate() {
            pack(base, dim, p * NR, panel);
        }
        let mut norms = factors(level, Finish::L2sq, base, dim);
        norms.resize(count * NR, 0.0);
        Panels { level, dim, rows, panels, norms }
    }

    /// `out[j]`: squared l2 (`l2`) or the dot product from `q` to row `j`, as `matrix` computes
    /// them with `Metric::L2sq` or `Metric::Dot`.
    pub fn row(&self, q: &[f32], l2: bool, out: &mut [f32]) {
        assert!(q.len() == self.dim && out.len() == self.rows, "a query of dim {} and {} outputs", self.dim, self.rows);
        let tile = tile_fn(self.level);
        let (finish, q_factor) = if l2 { (Finish::L2sq, factors(self.level, Finish::L2sq, q, self.dim)[0]) } else { (Finish::Raw, 0.0) };
        for (p, panel) in self.panels.chunks_exact(self.dim * NR).enumerate() {
            let t = Tile {
                l1: false,
                finish,
                q: q.as_ptr(),
                rows: 1,
                dim: self.dim,
                panel: panel.as_ptr(),
                row_factor: &q_factor,
                col_factor: self.norms[p * NR..].as_ptr(),
                out: out[p * NR..].as_mut_ptr(),
                out_stride: 0,
                cols: (self.rows - p * NR).min(NR),
            };
            // SAFETY: one query row of `dim`, a `[dim][NR]` panel, NR column factors from p * NR
            // (norms are padded to whole panels), and `cols` outputs left from p * NR.
            unsafe { tile(&t) };
        }
    }
}

impl Panels {
    /// `out[i * n + j]` for every query `i` (row-major, whole rows) and row `j`: what `row` gives for
    /// each query, computed MR queries a tile. Queries go in blocks of `ROWS_BLOCK`, each block over
    /// every panel, so the block's outputs stay in cache while they are written (a 10,000 x 4,096
    /// `matrix` writes 164 MB in column strips, which made an IVF batch's coarse step a third of it).
    pub fn rows(&self, queries: &[f32], l2: bool, out: &mut [f32]) {
        let (dim, n) = (self.dim, self.rows);
        let m = queries.len() / dim;
        assert!(queries.len() == m * dim && out.len() == m * n, "whole queries of dim {dim} and {n} outputs each");
        let tile = tile_fn(self.level);
        let (finish, q_factors) =
            if l2 { (Finish::L2sq, factors(self.level, Finish::L2sq, queries, dim)) } else { (Finish::Raw, vec![0f32; m]) };
        for i0 in (0..m).step_by(ROWS_BLOCK) {
            let block = (m - i0).min(ROWS_BLOCK);
            for (p, panel) in self.panels.chunks_exact(dim * NR).enumerate() {
                for t0 in (0..block).step_by(MR) {
                    let i = i0 + t0;
                    let t = Tile {
                        l1: false,
                        finish,
                        q: queries[i * dim..].as_ptr(),
                        rows: (block - t0).min(MR),
                        dim,
                        panel: panel.as_ptr(),
                        row_factor: q_factors[i..].as_ptr(),
                        col_factor: self.norms[p * NR..].as_ptr(),
                        out: out[i * n + p * NR..].as_mut_ptr(),
                        out_stride: n,
                        cols: (n - p * NR).min(NR),
                    };
                    // SAFETY: `rows` query rows of `dim` and as many row factors from `i`, a
                    // `[dim][NR]` panel, NR column factors from p * NR (padded), and `rows` output
                    // rows of stride n holding `cols` columns from p * NR.
                    unsafe { tile(&t) };
                }
            }
        }
    }
}

/// Queries a block of `Panels::rows` takes over all the panels: 24 rows of 4,096 outputs are 384 KiB.
const ROWS_BLOCK: usize = 24;

/// `out[i * n + j]` = distance between query `i` and base row `j` (n = base rows).
pub fn matrix(metric: Metric, queries: &[f32], base: &[f32], dim: usize, out: &mut [f32], threads: usize) -> Result<(), Error> {
    matrix_at(simd::level(), metric, queries, base, dim, out, threads)
}

pub fn matrix_at(
    level: Level,
    metric: Metric,
    queries: &[f32],
    base: &[f32],
    dim: usize,
    out: &mut [f32],
    threads: usize,
) -> Result<(), Error> {
    if dim == 0 || dim > MAX_DIM || !queries.len().is_multiple_of(dim) || !base.len().is_multiple_of(dim) {
        return Err(invalid(format!(
            "queries ({}) and base ({}) must be whole rows of dim {dim} (1 to {MAX_DIM})",
            queries.len(),
            base.len()
        )));
    }
    let (m, n) = (queries.len() / dim, base.len() / dim);
    if out.len() != m * n {
        return Err(invalid(format!("out holds {} floats, a {m} x {n} matrix needs {}", out.len(), m * n)));
    }
    let (l1, finish) = match metric {
        Metric::L2sq => (false, Finish::L2sq),
        Metric::Dot => (false, Finish::Raw),
        Metric::Cosine => (false, Finish::Cosine),
        Metric::Manhattan => (true, Finish::Raw),
        Metric::Hamming => return Err(invalid("hamming is not a float32 matrix metric")),
    };
    if m == 0 || n == 0 {
        return Ok(());
    }
    let level = simd::best_level(level);
    let tile = tile_fn(level);
    let (q_factor, b_factor) = (factors(level, finish, queries, dim), factors(level, finish, base, dim));

    // Each thread takes a band of query rows and all base panels.
    let per = rows_per_block(m, threads_for(m, n * dim, threads));
    let blocks: Vec<_> = out.chunks_mut(per * n).enumerate().collect();
    run_blocks(blocks, |(b, band)| {
        let first_query = b * per;
        let band_rows = band.len() / n;
        let mut panel = vec![0f32; dim * NR];
        let mut col_factor = [0f32; NR];
        let unused_row_factors = [0f32; MR]; // Raw sums take no factors
        for j0 in (0..n).step_by(NR) {
            pack(base, dim, j0, &mut panel);
            let cols = (n - j0).min(NR);
            if finish != Finish::Raw {
                col_factor[..cols].copy_from_slice(&b_factor[j0..j0 + cols]);
            }
            for i0 in (0..band_rows).step_by(MR) {
                let i = first_query + i0;
                let t = Tile {
                    l1,
                    finish,
                    q: queries[i * dim..].as_ptr(),
                    rows: (band_rows - i0).min(MR),
                    dim,
                    panel: panel.as_ptr(),
                    row_factor: if finish == Finish::Raw { unused_row_factors.as_ptr() } else { q_factor[i..].as_ptr() },
                    col_factor: col_factor.as_ptr(),
                    out: band[i0 * n + j0..].as_mut_ptr(),
                    out_stride: n,
                    cols,
                };
                // SAFETY: `q` has `rows` rows left, the panel is dim x NR, the factors cover the
                // rows and NR columns, and the output rows hold `cols` columns from `out`.
                unsafe { tile(&t) };
            }
        }
    });
    Ok(())
}

/// One core's float32 throughput at `level`, measured: independent FMA chains for about
/// `millis` milliseconds. The yardstick for the matrix suite's "share of peak".
pub fn peak_gflops(level: Level, millis: u64) -> f64 {
    let level = simd::best_level(level);
    let started = std::time::Instant::now();
    let mut flops = 0f64;
    while started.elapsed().as_millis() < millis as u128 {
        flops += match level {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the level is supported.
            Level::Avx512 => unsafe { super::x86_avx512::fma_loop(1 << 20) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the level is supported.
            Level::Avx2 => unsafe { super::x86_avx2::fma_loop(1 << 20) },
            _ => scalar_fma_loop(1 << 18),
        };
    }
    flops / started.elapsed().as_secs_f64() / 1e9
}

fn scalar_fma_loop(iterations: usize) -> f64 {
    let mut acc = [1f32; 8];
    for _ in 0..iterations {
        for a in acc.iter_mut() {
            *a = *a * 0.999_999 + 1e-7;
        }
    }
    std::hint::black_box(acc);
    (iterations * 8 * 2) as f64
}
