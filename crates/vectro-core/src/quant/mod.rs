//! Quantization schemes: int8 (per-vector symmetric), int4/int2 (per-vector affine), binary
//! (sign against a per-dimension center) and rabitq1..8. docs/quantization.md gives each formula
//! exactly; scheme.rs lists them, each implemented in its family's file.
//!
//! Encoders never fail on data: they return `Some(row)` for the first vector they could not encode
//! (a NaN or infinite value, or a derived parameter that overflows float32), and the caller
//! describes it. Every SIMD level gives bit-identical codes and parameters to the scalar one.

/// Instantiates the schemes' generic loops under an ISA's target features, so the compiler
/// vectorises them for that ISA. Used by each `x86_*` module, next to its hand-written kernels.
#[cfg(target_arch = "x86_64")]
macro_rules! generic_kernels_for {
    ($features:literal) => {
        #[target_feature(enable = $features)]
        pub(super) unsafe fn int8_decode_rows(codes: &[u8], scales: &[f32], dim: usize, out: &mut [f32]) {
            super::int8::decode_rows_generic(codes, scales, dim, out)
        }

        #[target_feature(enable = $features)]
        pub(super) unsafe fn affine_encode_rows<const BITS: u32>(
            x: &[f32],
            dim: usize,
            codes: &mut [u8],
            params: &mut [f32],
        ) -> Option<usize> {
            super::affine::encode_rows_generic::<BITS>(x, dim, codes, params)
        }

        #[target_feature(enable = $features)]
        pub(super) unsafe fn affine_decode_rows<const BITS: u32>(codes: &[u8], params: &[f32], dim: usize, out: &mut [f32]) {
            super::affine::decode_rows_generic::<BITS>(codes, params, dim, out)
        }

        #[target_feature(enable = $features)]
        pub(super) unsafe fn binary_encode_rows(x: &[f32], dim: usize, center: &[f32], codes: &mut [u8], s: &mut [f32]) -> Option<usize> {
            super::binary::encode_rows_generic(x, dim, center, codes, s)
        }

        #[target_feature(enable = $features)]
        pub(super) unsafe fn rabitq_encode_rows(
            cosine: super::rabitq::CosineFn,
            bits: usize,
            x: &[f32],
            dim: usize,
            block: &super::rabitq::Block,
            codes: &mut [u8],
            params: &mut [f32],
        ) -> Option<usize> {
            super::rabitq::encode_rows_generic(cosine, bits, x, dim, block, codes, params)
        }

        #[target_feature(enable = $features)]
        pub(super) unsafe fn rabitq_decode_rows(
            bits: usize,
            codes: &[u8],
            params: &[f32],
            dim: usize,
            block: &super::rabitq::Block,
            out: &mut [f32],
        ) {
            super::rabitq::decode_rows_generic(bits, codes, params, dim, block, out)
        }

        #[target_feature(enable = $features)]
        pub(super) unsafe fn binary_decode_rows(codes: &[u8], s: &[f32], center: &[f32], dim: usize, out: &mut [f32]) {
            super::binary::decode_rows_generic(codes, s, center, dim, out)
        }
    };
}

mod affine;
mod binary;
pub mod fastscan;
pub mod int8;
pub mod nibble;
pub mod rabitq;
pub mod rotation;
mod scheme;
#[cfg(target_arch = "x86_64")]
mod x86_avx2;
#[cfg(target_arch = "x86_64")]
mod x86_avx512;

use crate::error::{invalid, Error};
use crate::parallel::{rows_per_block, run_blocks, threads_for};
use crate::simd::{self, Level};
pub use scheme::{Codec, Coder, Scheme};

/// Largest supported dimension.
pub const MAX_DIM: usize = 65_536;

/// Checks that the buffers of an encode or decode call fit `dim`; returns the row count.
fn check_shapes(scheme: Scheme, dim: usize, values: usize, codes: usize, params: usize, center: usize) -> Result<usize, Error> {
    if dim == 0 || dim > MAX_DIM {
        return Err(invalid(format!("dim must be between 1 and {MAX_DIM}, got {dim}")));
    }
    if !values.is_multiple_of(dim) {
        return Err(invalid(format!("vector buffer length {values} is not a multiple of dim {dim}")));
    }
    let rows = values / dim;
    let want_codes = rows * scheme.code_bytes(dim);
    if codes != want_codes {
        return Err(invalid(format!("codes buffer holds {codes} bytes, {rows} {} vectors need {want_codes}", scheme.name())));
    }
    let want_params = rows * scheme.vector_params();
    if params != want_params {
        return Err(invalid(format!("params buffer holds {params} floats, {rows} vectors need {want_params}")));
    }
    let want_center = scheme.file_params(dim);
    if center != want_center {
        return Err(invalid(format!("center holds {center} floats, {} needs {want_center}", scheme.name())));
    }
    Ok(rows)
}

/// Encodes the rows of `x` (row-major, `dim` wide) into `codes` and `params`, spreading rows over
/// `threads` threads (0 = all). `center` is binary's per-dimension center (empty otherwise).
/// Returns the first row that could not be encoded, if any.
pub fn encode(
    scheme: Scheme,
    x: &[f32],
    dim: usize,
    center: &[f32],
    codes: &mut [u8],
    params: &mut [f32],
    threads: usize,
) -> Result<Option<usize>, Error> {
    encode_at(simd::level(), scheme, x, dim, center, codes, params, threads)
}

/// [`encode`] at a given SIMD level (for tests and benchmarks); unsupported levels fall back.
#[allow(clippy::too_many_arguments)]
pub fn encode_at(
    level: Level,
    scheme: Scheme,
    x: &[f32],
    dim: usize,
    center: &[f32],
    codes: &mut [u8],
    params: &mut [f32],
    threads: usize,
) -> Result<Option<usize>, Error> {
    let rows = check_shapes(scheme, dim, x.len(), codes.len(), params.len(), center.len())?;
    if rows == 0 {
        return Ok(None);
    }
    let coder = scheme.coder(simd::best_level(level), dim, center).map_err(invalid)?;
    let per = rows_per_block(rows, threads_for(rows, dim, threads));
    let (cb, pp) = (scheme.code_bytes(dim), scheme.vector_params());
    let blocks: Vec<_> = x.chunks(per * dim).zip(codes.chunks_mut(per * cb)).zip(params.chunks_mut(per * pp)).enumerate().collect();
    let bad = run_blocks(blocks, |(b, ((xb, cb), pb))| coder.encode_rows(xb, cb, pb).map(|r| b * per + r));
    Ok(bad.into_iter().flatten().min())
}

/// Decodes `codes` and `params` back into float32 rows in `out`.
pub fn decode(
    scheme: Scheme,
    codes: &[u8],
    params: &[f32],
    center: &[f32],
    dim: usize,
    out: &mut [f32],
    threads: usize,
) -> Result<(), Error> {
    decode_at(simd::level(), scheme, codes, params, center, dim, out, threads)
}

/// [`decode`] at a given SIMD level (for tests and benchmarks).
#[allow(clippy::too_many_arguments)]
pub fn decode_at(
    level: Level,
    scheme: Scheme,
    codes: &[u8],
    params: &[f32],
    center: &[f32],
    dim: usize,
    out: &mut [f32],
    threads: usize,
) -> Result<(), Error> {
    let rows = check_shapes(scheme, dim, out.len(), codes.len(), params.len(), center.len())?;
    if rows == 0 {
        return Ok(());
    }
    let coder = scheme.coder(simd::best_level(level), dim, center).map_err(invalid)?;
    let per = rows_per_block(rows, threads_for(rows, dim, threads));
    let (cb, pp) = (scheme.code_bytes(dim), scheme.vector_params());
    let blocks: Vec<_> = out.chunks_mut(per * dim).zip(codes.chunks(per * cb)).zip(params.chunks(per * pp)).collect();
    run_blocks(blocks, |((ob, cb), pb)| coder.decode_rows(cb, pb, ob));
    Ok(())
}

/// Adds each row of `x` to `acc` (float64, one slot per dimension), rows in order, so that the
/// sums are reproducible anywhere: the first pass of the binary scheme's center. Returns the first
/// row holding a NaN or infinite value, if any (rows before it have been added).
pub fn column_sums(x: &[f32], dim: usize, acc: &mut [f64]) -> Result<Option<usize>, Error> {
    if dim == 0 || dim > MAX_DIM || !x.len().is_multiple_of(dim) || acc.len() != dim {
        return Err(invalid(format!(
            "column_sums needs 1 <= dim <= {MAX_DIM}, a whole number of rows and dim sums; got dim {dim}, {} values, {} sums",
            x.len(),
            acc.len()
        )));
    }
    for (r, row) in x.chunks_exact(dim).enumerate() {
        if !row.iter().all(|v| v.is_finite()) {
            return Ok(Some(r));
        }
        for (a, &v) in acc.iter_mut().zip(row) {
            *a += v as f64;
        }
    }
    Ok(None)
}

/// Slots of the accumulator filled by [`error_stats`].
pub const ERROR_STATS_LEN: usize = 5;

/// Accumulates the reconstruction error of `y` against `x` into `acc`, in float64 and in row
/// order so that any implementation reproduces it exactly:
/// `[sum |e|, max |e|, sum e^2, sum of ||e|| / ||x|| over rows with ||x|| > 0, count of those rows]`
/// where `e = x - y` per element.
pub fn error_stats(x: &[f32], y: &[f32], dim: usize, acc: &mut [f64]) -> Result<(), Error> {
    if dim == 0 || x.len() != y.len() || !x.len().is_multiple_of(dim) || acc.len() != ERROR_STATS_LEN {
        return Err(invalid(format!(
            "error_stats needs two equal buffers of whole rows and {ERROR_STATS_LEN} slots; got dim {dim}, {} and {} values, {} slots",
            x.len(),
            y.len(),
            acc.len()
        )));
    }
    for (xr, yr) in x.chunks_exact(dim).zip(y.chunks_exact(dim)) {
        let (mut err2, mut norm2) = (0f64, 0f64);
        for (&a, &b) in xr.iter().zip(yr) {
            let xa = a as f64;
            let e = xa - b as f64;
            let ae = e.abs();
            acc[0] += ae;
            if ae > acc[1] {
                acc[1] = ae;
            }
            acc[2] += e * e;
            err2 += e * e;
            norm2 += xa * xa;
        }
        if norm2 > 0.0 {
            acc[3] += err2.sqrt() / norm2.sqrt();
            acc[4] += 1.0;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;

/// What a rabitq estimate over many rows needs, checked: the block, and the rows and queries.
struct EstimateArgs {
    block: rabitq::Block,
    rows: usize,
    queries: usize,
}

/// Checks an estimate's arguments; `code_len` is the codes' expected length for `rows` rows.
#[allow(clippy::too_many_arguments)]
fn check_estimate(
    bits: usize,
    words: &[f32],
    dim: usize,
    queries: &[f32],
    codes: usize,
    code_len: impl Fn(usize) -> usize,
    params: usize,
    outputs: (usize, usize),
    eps0: f64,
) -> Result<EstimateArgs, Error> {
    if dim == 0 || dim > MAX_DIM {
        return Err(invalid(format!("dim must be 1 to {MAX_DIM}, got {dim}")));
    }
    if !(1..=8).contains(&bits) {
        return Err(invalid(format!("rabitq bits must be 1 to 8, got {bits}")));
    }
    let block = rabitq::read_block(words, dim).map_err(invalid)?;
    if !queries.len().is_multiple_of(dim) {
        return Err(invalid(format!("queries hold {} floats, not whole vectors of dim {dim}", queries.len())));
    }
    let rows = params / rabitq::FACTORS;
    if !params.is_multiple_of(rabitq::FACTORS) || codes != code_len(rows) {
        return Err(invalid(format!(
            "{codes} code bytes and {params} factors are not whole rows of {} factors and their codes ({} bytes for {rows} rows)",
            rabitq::FACTORS,
            code_len(rows)
        )));
    }
    let nq = queries.len() / dim;
    if outputs.0 != nq * rows || outputs.1 != nq * rows {
        return Err(invalid(format!("dists and bounds must hold queries x rows = {} values", nq * rows)));
    }
    if !eps0.is_finite() || eps0 < 0.0 {
        return Err(invalid("eps0 must be finite and not negative"));
    }
    Ok(EstimateArgs { block, rows, queries: nq })
}

/// rabitq's estimated distances (and their error bounds at `eps0`) from each query to each coded
/// row: `dists[q * rows + j]`. `words` is the file-parameter block, `l2` picks the l2 estimate
/// (else `1 - <x, q>`); queries are prepared as they are (normalise them first for cosine).
#[allow(clippy::too_many_arguments)]
pub fn rabitq_estimate(
    bits: usize,
    words: &[f32],
    dim: usize,
    queries: &[f32],
    l2: bool,
    codes: &[u8],
    params: &[f32],
    eps0: f64,
    dists: &mut [f32],
    bounds: &mut [f32],
    threads: usize,
) -> Result<(), Error> {
    let cb = rabitq::code_bytes(bits, dim.max(1));
    let args = check_estimate(bits, words, dim, queries, codes.len(), |rows| rows * cb, params.len(), (dists.len(), bounds.len()), eps0)?;
    let rows = args.rows;
    if rows == 0 {
        return Ok(());
    }
    let per = rows_per_block(rows, threads_for(rows, cb, threads));
    for ((q, d), b) in queries.chunks_exact(dim).zip(dists.chunks_exact_mut(rows)).zip(bounds.chunks_exact_mut(rows)) {
        let prepared = rabitq::Prepared::new(bits, q, &args.block, l2);
        let blocks: Vec<_> =
            codes.chunks(per * cb).zip(params.chunks(per * rabitq::FACTORS)).zip(d.chunks_mut(per).zip(b.chunks_mut(per))).collect();
        run_blocks(blocks, |((cs, fs), (ds, bs))| {
            for (((code, f), dv), bv) in cs.chunks_exact(cb).zip(fs.chunks_exact(rabitq::FACTORS)).zip(ds.iter_mut()).zip(bs.iter_mut()) {
                let e = prepared.estimate(code, f, eps0);
                *dv = e.distance;
                *bv = e.bound;
            }
        });
    }
    Ok(())
}

/// Packs row-major rabitqB codes into FastScan blocks of 32 rows (`fastscan.rs`); `out` holds
/// `fastscan::packed_bytes(bits, dim, rows)` bytes.
pub fn rabitq_pack(bits: usize, dim: usize, codes: &[u8], out: &mut [u8]) -> Result<(), Error> {
    if !(1..=8).contains(&bits) {
        return Err(invalid(format!("rabitq bits must be 1 to 8, got {bits}")));
    }
    if dim == 0 || dim > MAX_DIM {
        return Err(invalid(format!("dim must be 1 to {MAX_DIM}, got {dim}")));
    }
    let cb = rabitq::code_bytes(bits, dim);
    if !codes.len().is_multiple_of(cb) {
        return Err(invalid(format!("{} code bytes are not whole rows of {cb} bytes", codes.len())));
    }
    let need = fastscan::packed_bytes(bits, dim, codes.len() / cb);
    if out.len() != need {
        return Err(invalid(format!("the packed output holds {} bytes, {} rows need {need}", out.len(), codes.len() / cb)));
    }
    fastscan::pack(bits, dim, codes, out);
    Ok(())
}

/// [`rabitq_estimate`] over FastScan-packed codes ([`rabitq_pack`]): the same estimates, bit for
/// bit, several times faster. The rows are `params.len() / 3`.
#[allow(clippy::too_many_arguments)]
pub fn rabitq_scan(
    bits: usize,
    words: &[f32],
    dim: usize,
    queries: &[f32],
    l2: bool,
    packed: &[u8],
    params: &[f32],
    eps0: f64,
    dists: &mut [f32],
    bounds: &mut [f32],
    threads: usize,
) -> Result<(), Error> {
    rabitq_scan_at(simd::level(), bits, words, dim, queries, l2, packed, params, eps0, dists, bounds, threads)
}

#[allow(clippy::too_many_arguments)]
pub fn rabitq_scan_at(
    level: Level,
    bits: usize,
    words: &[f32],
    dim: usize,
    queries: &[f32],
    l2: bool,
    packed: &[u8],
    params: &[f32],
    eps0: f64,
    dists: &mut [f32],
    bounds: &mut [f32],
    threads: usize,
) -> Result<(), Error> {
    let size = |rows| fastscan::packed_bytes(bits, dim.max(1), rows);
    let args = check_estimate(bits, words, dim, queries, packed.len(), size, params.len(), (dists.len(), bounds.len()), eps0)?;
    let (rows, level) = (args.rows, simd::best_level(level));
    if rows == 0 || args.queries == 0 {
        return Ok(());
    }
    // Threads take whole blocks of 32 rows.
    let block_bytes = size(1);
    let blocks = rows.div_ceil(fastscan::BLOCK);
    let per = rows_per_block(blocks, threads_for(rows, rabitq::code_bytes(bits, dim), threads)) * fastscan::BLOCK;
    for ((q, d), b) in queries.chunks_exact(dim).zip(dists.chunks_exact_mut(rows)).zip(bounds.chunks_exact_mut(rows)) {
        let prepared = rabitq::Prepared::without_tables(bits, q, &args.block, l2);
        let tables = prepared.tables();
        let parts: Vec<_> = packed
            .chunks(per / fastscan::BLOCK * block_bytes)
            .zip(params.chunks(per * rabitq::FACTORS))
            .zip(d.chunks_mut(per).zip(b.chunks_mut(per)))
            .collect();
        run_blocks(parts, |((ps, fs), (ds, bs))| fastscan::scan(level, &prepared, &tables, bits, ps, fs, eps0, ds, bs));
    }
    Ok(())
}
