//! Distance kernels: one pair, one query against many rows, and (in `matrix`) many against many.
//!
//! | type | metrics | accumulator | exact across SIMD levels? |
//! | --- | --- | --- | --- |
//! | float32 | l2sq, dot, cosine, manhattan | float32, several lanes, FMA where the ISA has it | no: the sum order differs, results agree to a few ulps per term |
//! | int8 | l2sq, dot, cosine | 32-bit integers (l2sq as u32: up to 65,536 x 255^2 fits) | yes |
//! | binary | hamming | 64-bit popcounts | yes |
//!
//! cosine is the distance `1 - a.b / (|a| |b|)`, finished in float64; it is 1 when either vector is
//! zero. int8 results are exact integers rounded once to float32.

pub mod matrix;
mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86_avx2;
#[cfg(target_arch = "x86_64")]
mod x86_avx512;

use crate::error::{invalid, Error};
use crate::parallel::{rows_per_block, run_blocks, threads_for};
use crate::quant::MAX_DIM;
use crate::simd::{self, Level};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    L2sq,
    Dot,
    Cosine,
    Manhattan,
    Hamming,
}

impl Metric {
    pub const ALL: [Metric; 5] = [Metric::L2sq, Metric::Dot, Metric::Cosine, Metric::Manhattan, Metric::Hamming];

    /// The metric's number in native calls.
    pub fn id(self) -> u32 {
        self as u32
    }

    pub fn from_id(id: u32) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.id() == id)
    }

    pub fn name(self) -> &'static str {
        match self {
            Metric::L2sq => "l2sq",
            Metric::Dot => "dot",
            Metric::Cosine => "cosine",
            Metric::Manhattan => "manhattan",
            Metric::Hamming => "hamming",
        }
    }
}

/// Element type of the vectors a kernel reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ElemType {
    F32,
    I8,
    /// Packed bits (hamming only); `dim` counts bytes.
    Bits,
}

impl ElemType {
    pub fn from_id(id: u32) -> Option<ElemType> {
        match id {
            0 => Some(ElemType::F32),
            1 => Some(ElemType::I8),
            2 => Some(ElemType::Bits),
            _ => None,
        }
    }

    fn supports(self, metric: Metric) -> bool {
        match self {
            ElemType::F32 => metric != Metric::Hamming,
            ElemType::I8 => matches!(metric, Metric::L2sq | Metric::Dot | Metric::Cosine),
            ElemType::Bits => metric == Metric::Hamming,
        }
    }
}

/// `1 - dot / sqrt(na * nb)` in float64; 1 when either norm is zero.
#[inline(always)]
pub(crate) fn cosine_from(dot: f64, na: f64, nb: f64) -> f32 {
    if na == 0.0 || nb == 0.0 {
        1.0
    } else {
        (1.0 - dot / (na * nb).sqrt()) as f32
    }
}

/// A kernel that measures one pair of rows.
pub(crate) type PairKernel<T> = unsafe fn(&[T], &[T]) -> f32;
/// A kernel that measures one query against many rows, into `out`.
pub(crate) type ManyKernel<T> = unsafe fn(&[T], &[T], &mut [f32]);

/// One kernel per (type, metric): `pair(a, b)` and `many(q, rows, out)`, both for one ISA.
/// The `many` loops are compiled per ISA with the pair kernel inlined (see `many_loops_for!`).
pub(crate) struct Kernels {
    pub f32_pair: [PairKernel<f32>; 4],
    pub f32_many: [ManyKernel<f32>; 4],
    pub i8_pair: [PairKernel<i8>; 3],
    pub i8_many: [ManyKernel<i8>; 3],
    /// `dot_i8_many` for codes in -127..=127 (the int8 scheme's range), which lets AVX2 go faster.
    pub i8_code_dots: unsafe fn(&[i8], &[i8], &mut [f32]),
    pub hamming_pair: unsafe fn(&[u8], &[u8]) -> f32,
    pub hamming_many: unsafe fn(&[u8], &[u8], &mut [f32]),
}

/// How far ahead (in bytes) the one-to-many loops ask for rows: enough to keep more memory
/// requests in flight than the hardware prefetcher does alone, little enough to stay within L1.
/// Measured on this project's AVX-512 machine: 12 KiB ahead lifts one thread streaming 768-d rows
/// from DRAM from about 30 to 37 GB/s and in-cache 128-d rows by about a third; 48 KiB into L1
/// hurt, and prefetching farther into L2 (T1) gained nothing.
pub(crate) const PREFETCH_BYTES: usize = 12288;

/// Asks for the `bytes` from `p` into cache, one request per 64-byte line they touch (a hint;
/// never faults). Counting lines from `p`'s own line matters: a 128-byte row that does not start
/// on a line boundary spans three lines, and asking for two left the third to stall the kernel.
#[inline(always)]
pub(crate) fn prefetch(p: *const u8, bytes: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use core::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let end = (p as usize).wrapping_add(bytes);
        let mut line = p as usize & !63;
        while line < end {
            // SAFETY: prefetch is only a hint and does not fault, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(line as *const i8) };
            line += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, bytes);
}

/// Builds the `many` loops of one ISA from its pair kernels, each compiled with the ISA's features.
macro_rules! many_loops_for {
    ($features:literal, $($many:ident = $pair:ident : $t:ty),* $(,)?) => {
        $(
            #[target_feature(enable = $features)]
            pub(super) unsafe fn $many(q: &[$t], rows: &[$t], out: &mut [f32]) {
                let dim = q.len();
                let row_bytes = dim * std::mem::size_of::<$t>();
                let rows_ahead = super::PREFETCH_BYTES.div_ceil(row_bytes);
                for (j, (o, row)) in out.iter_mut().zip(rows.chunks_exact(dim)).enumerate() {
                    if let Some(ahead) = rows.get((j + rows_ahead) * dim..) {
                        super::prefetch(ahead.as_ptr() as *const u8, row_bytes);
                    }
                    *o = $pair(q, row);
                }
            }
        )*
    };
}
pub(crate) use many_loops_for;

/// Every AVX-512 table this CPU can run (with and without VNNI and VPOPCNTDQ), so that tests check
/// each against the scalar one, not only the table `kernels` picks.
#[cfg(test)]
pub(crate) fn all_tables() -> Vec<(&'static str, &'static Kernels)> {
    let mut out: Vec<(&'static str, &'static Kernels)> = vec![("scalar", &scalar::KERNELS)];
    #[cfg(target_arch = "x86_64")]
    {
        if Level::Avx2.is_supported() {
            out.push(("avx2", &x86_avx2::KERNELS));
        }
        if Level::Avx512.is_supported() {
            let vnni = std::arch::is_x86_feature_detected!("avx512vnni");
            let popcnt = std::arch::is_x86_feature_detected!("avx512vpopcntdq");
            for (name, v, p) in [
                ("avx512", false, false),
                ("avx512+vnni", true, false),
                ("avx512+vpopcntdq", false, true),
                ("avx512+vnni+vpopcntdq", true, true),
            ] {
                if (!v || vnni) && (!p || popcnt) {
                    out.push((name, x86_avx512::table(v, p)));
                }
            }
        }
    }
    out
}

/// The kernel table of a supported level.
pub(crate) fn kernels(level: Level) -> &'static Kernels {
    match simd::best_level(level) {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 => {
            x86_avx512::table(std::arch::is_x86_feature_detected!("avx512vnni"), std::arch::is_x86_feature_detected!("avx512vpopcntdq"))
        }
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => &x86_avx2::KERNELS,
        _ => &scalar::KERNELS,
    }
}

/// A kernel measuring one float32 query against two rows in one pass, bit for bit what the pair
/// kernel of `kernels(level)` gives for each: squared l2 (`l2`) or the dot product. None where the
/// level has no such kernel (callers then call the pair kernel twice).
pub(crate) type TwoRows = unsafe fn(&[f32], &[f32], &[f32]) -> (f32, f32);

pub(crate) fn f32_two_rows(level: Level, l2: bool) -> Option<TwoRows> {
    match simd::best_level(level) {
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 => Some(if l2 { x86_avx2::l2sq_f32_two } else { x86_avx2::dot_f32_two }),
        _ => None,
    }
}

fn metric_slot(elem: ElemType, metric: Metric) -> Result<usize, Error> {
    if !elem.supports(metric) {
        return Err(invalid(format!("metric {} does not apply to {elem:?} vectors", metric.name())));
    }
    Ok(match metric {
        Metric::L2sq => 0,
        Metric::Dot => 1,
        Metric::Cosine => 2,
        Metric::Manhattan => 3,
        Metric::Hamming => 0,
    })
}

fn check_dim(dim: usize, max: usize) -> Result<(), Error> {
    if dim == 0 || dim > max {
        return Err(invalid(format!("dim must be between 1 and {max}, got {dim}")));
    }
    Ok(())
}

/// Vectors passed to the distance functions, borrowed with their element type.
#[derive(Clone, Copy)]
pub enum Vectors<'a> {
    F32(&'a [f32]),
    I8(&'a [i8]),
    Bits(&'a [u8]),
}

impl Vectors<'_> {
    fn elem(&self) -> ElemType {
        match self {
            Vectors::F32(_) => ElemType::F32,
            Vectors::I8(_) => ElemType::I8,
            Vectors::Bits(_) => ElemType::Bits,
        }
    }

    fn len(&self) -> usize {
        match self {
            Vectors::F32(v) => v.len(),
            Vectors::I8(v) => v.len(),
            Vectors::Bits(v) => v.len(),
        }
    }
}

/// The distance between `a` and `b` (same type and length).
pub fn pair(metric: Metric, a: Vectors, b: Vectors) -> Result<f32, Error> {
    pair_at(simd::level(), metric, a, b)
}

pub fn pair_at(level: Level, metric: Metric, a: Vectors, b: Vectors) -> Result<f32, Error> {
    if a.elem() != b.elem() || a.len() != b.len() {
        return Err(invalid(format!("vectors differ: {} {:?} values vs {} {:?}", a.len(), a.elem(), b.len(), b.elem())));
    }
    check_dim(a.len(), MAX_DIM)?;
    let slot = metric_slot(a.elem(), metric)?;
    let k = kernels(level);
    // SAFETY: `kernels` only returns tables of levels this CPU supports; lengths are equal.
    Ok(unsafe {
        match (a, b) {
            (Vectors::F32(a), Vectors::F32(b)) => k.f32_pair[slot](a, b),
            (Vectors::I8(a), Vectors::I8(b)) => k.i8_pair[slot](a, b),
            (Vectors::Bits(a), Vectors::Bits(b)) => (k.hamming_pair)(a, b),
            _ => unreachable!("types checked above"),
        }
    })
}

/// Distances from `query` to every row of `rows` (row-major, `query.len()` wide) into `out`,
/// spreading rows over `threads` threads (0 = all).
pub fn many(metric: Metric, query: Vectors, rows: Vectors, out: &mut [f32], threads: usize) -> Result<(), Error> {
    many_at(simd::level(), metric, query, rows, out, threads)
}

pub fn many_at(level: Level, metric: Metric, query: Vectors, rows: Vectors, out: &mut [f32], threads: usize) -> Result<(), Error> {
    let dim = query.len();
    if query.elem() != rows.elem() {
        return Err(invalid("query and rows have different element types"));
    }
    check_dim(dim, MAX_DIM)?;
    if rows.len() != out.len() * dim {
        return Err(invalid(format!("rows hold {} values, {} distances of dim {dim} need {}", rows.len(), out.len(), out.len() * dim)));
    }
    let slot = metric_slot(query.elem(), metric)?;
    let k = kernels(level);
    let n = out.len();
    if n == 0 {
        return Ok(());
    }
    let per = rows_per_block(n, threads_for(n, dim, threads));
    let blocks: Vec<_> = out.chunks_mut(per).enumerate().collect();
    run_blocks(blocks, |(b, ob)| {
        let range = b * per * dim..(b * per + ob.len()) * dim;
        // SAFETY: supported level; every block's rows are exactly `ob.len()` rows of `dim`.
        unsafe {
            match (query, rows) {
                (Vectors::F32(q), Vectors::F32(r)) => k.f32_many[slot](q, &r[range], ob),
                (Vectors::I8(q), Vectors::I8(r)) => k.i8_many[slot](q, &r[range], ob),
                (Vectors::Bits(q), Vectors::Bits(r)) => (k.hamming_many)(q, &r[range], ob),
                _ => unreachable!("types checked above"),
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests;
