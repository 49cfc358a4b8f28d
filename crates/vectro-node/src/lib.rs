//! vectro's Node-API addon: thin wrappers that check arguments, call vectro-core, and turn
//! errors and panics into thrown JS errors. The TypeScript side declares this surface in
//! src/native/types.ts; keep the two in step.

mod handles;
mod hnsw;
mod ivf;
mod js;
mod napi;

use std::panic::{catch_unwind, AssertUnwindSafe};

use js::{Args, Env, Fail, Result};
use napi::{napi_callback_info, napi_env, napi_value};
use vectro_core::distance::{self, matrix, Metric};
use vectro_core::flat::{self, IndexMetric};
use vectro_core::quant::{self, Scheme, MAX_DIM};
use vectro_core::{parallel, simd, topk};

/// Upper bound for a `threads` argument.
pub(crate) const MAX_THREADS: usize = 1024;

/// Runs one exported function: panics and errors become JS exceptions, never a crash.
fn call(env: napi_env, info: napi_callback_info, argc: usize, body: fn(Env, &mut Args) -> Result<napi_value>) -> napi_value {
    let env = Env(env);
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut args = env.args(info, argc)?;
        body(env, &mut args)
    }));
    let fail = match outcome {
        Ok(Ok(value)) => return value,
        Ok(Err(fail)) => fail,
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            Fail::Error(format!("internal error in vectro's native code: {msg}"))
        }
    };
    env.throw(fail);
    std::ptr::null_mut()
}

pub(crate) fn core_error(e: vectro_core::Error) -> Fail {
    Fail::Range(e.to_string())
}

fn scheme_arg(args: &Args, i: usize) -> Result<Scheme> {
    let id = args.index(i, "scheme", u32::MAX as usize)?;
    Scheme::from_id(id as u32).ok_or_else(|| Fail::Range(format!("unknown scheme id {id}")))
}

/// `info() -> { version, simd, simdSupported, threads }`
fn info(env: Env, _: &mut Args) -> Result<napi_value> {
    let o = env.object()?;
    env.set(o, "version", env.string(env!("CARGO_PKG_VERSION"))?)?;
    env.set(o, "simd", env.string(simd::level().name())?)?;
    let supported: Vec<&str> = simd::supported_levels().iter().map(|l| l.name()).collect();
    env.set(o, "simdSupported", env.array_of_strings(&supported)?)?;
    env.set(o, "threads", env.number(parallel::available_threads() as f64)?)?;
    Ok(o)
}

/// `encode(scheme, x, dim, center, codes, params, threads) -> firstBadRow | -1`
fn encode(env: Env, a: &mut Args) -> Result<napi_value> {
    let scheme = scheme_arg(a, 0)?;
    let x = a.f32s(1, "x")?;
    let dim = a.index(2, "dim", MAX_DIM)?;
    let center = a.f32s(3, "center")?;
    let codes = a.bytes_mut(4, "codes")?;
    let params = a.f32s_mut(5, "params")?;
    let threads = a.index(6, "threads", MAX_THREADS)?;
    let bad = quant::encode(scheme, x, dim, center, codes, params, threads).map_err(core_error)?;
    env.number(bad.map_or(-1.0, |r| r as f64))
}

/// `decode(scheme, codes, params, center, dim, out, threads)`
fn decode(env: Env, a: &mut Args) -> Result<napi_value> {
    let scheme = scheme_arg(a, 0)?;
    let codes = a.bytes(1, "codes")?;
    let params = a.f32s(2, "params")?;
    let center = a.f32s(3, "center")?;
    let dim = a.index(4, "dim", MAX_DIM)?;
    let out = a.f32s_mut(5, "out")?;
    let threads = a.index(6, "threads", MAX_THREADS)?;
    quant::decode(scheme, codes, params, center, dim, out, threads).map_err(core_error)?;
    env.undefined()
}

/// `columnSums(x, dim, acc) -> firstBadRow | -1`
fn column_sums(env: Env, a: &mut Args) -> Result<napi_value> {
    let x = a.f32s(0, "x")?;
    let dim = a.index(1, "dim", MAX_DIM)?;
    let acc = a.f64s_mut(2, "acc")?;
    let bad = quant::column_sums(x, dim, acc).map_err(core_error)?;
    env.number(bad.map_or(-1.0, |r| r as f64))
}

/// `errorStats(x, y, dim, acc)`
fn error_stats(env: Env, a: &mut Args) -> Result<napi_value> {
    let x = a.f32s(0, "x")?;
    let y = a.f32s(1, "y")?;
    let dim = a.index(2, "dim", MAX_DIM)?;
    let acc = a.f64s_mut(3, "acc")?;
    quant::error_stats(x, y, dim, acc).map_err(core_error)?;
    env.undefined()
}

fn metric_arg(args: &Args, i: usize) -> Result<Metric> {
    let id = args.index(i, "metric", u32::MAX as usize)?;
    Metric::from_id(id as u32).ok_or_else(|| Fail::Range(format!("unknown metric id {id}")))
}

/// `distancePair(metric, a, b) -> distance` (Float32Array, Int8Array or Uint8Array bits)
fn distance_pair(env: Env, a: &mut Args) -> Result<napi_value> {
    let metric = metric_arg(a, 0)?;
    let (x, y) = (a.vectors(1, "a")?, a.vectors(2, "b")?);
    env.number(distance::pair(metric, x, y).map_err(core_error)? as f64)
}

/// `distanceMany(metric, query, rows, out, threads)`: distances from one query to every row.
fn distance_many(env: Env, a: &mut Args) -> Result<napi_value> {
    let metric = metric_arg(a, 0)?;
    let (q, rows) = (a.vectors(1, "query")?, a.vectors(2, "rows")?);
    let out = a.f32s_mut(3, "out")?;
    let threads = a.index(4, "threads", MAX_THREADS)?;
    distance::many(metric, q, rows, out, threads).map_err(core_error)?;
    env.undefined()
}

/// `distanceMatrix(metric, queries, base, dim, out, threads)`: float32, out[i * n + j].
fn distance_matrix(env: Env, a: &mut Args) -> Result<napi_value> {
    let metric = metric_arg(a, 0)?;
    let (q, b) = (a.f32s(1, "queries")?, a.f32s(2, "base")?);
    let dim = a.index(3, "dim", MAX_DIM)?;
    let out = a.f32s_mut(4, "out")?;
    let threads = a.index(5, "threads", MAX_THREADS)?;
    matrix::matrix(metric, q, b, dim, out, threads).map_err(core_error)?;
    env.undefined()
}

/// `topk(scores, k, idx: Uint32Array, dist: Float32Array)`: the k smallest, ascending.
fn top_k(env: Env, a: &mut Args) -> Result<napi_value> {
    let scores = a.f32s(0, "scores")?;
    let k = a.index(1, "k", u32::MAX as usize)?;
    let idx = a.u32s_mut(2, "idx")?;
    let dist = a.f32s_mut(3, "dist")?;
    topk::smallest(scores, k, idx, dist).map_err(core_error)?;
    env.undefined()
}

/// `copy(src, dst)`: a plain memory copy, the bandwidth yardstick of the benchmarks.
fn copy(env: Env, a: &mut Args) -> Result<napi_value> {
    let src = a.f32s(0, "src")?;
    let dst = a.f32s_mut(1, "dst")?;
    if src.len() != dst.len() {
        return Err(Fail::Range(format!("src holds {} floats, dst {}", src.len(), dst.len())));
    }
    dst.copy_from_slice(src);
    env.undefined()
}

/// `peakGflops(millis) -> GFLOP/s` of one core's float32 FMAs at the chosen SIMD level.
fn peak_gflops(env: Env, a: &mut Args) -> Result<napi_value> {
    let millis = a.index(0, "millis", 10_000)?;
    env.number(matrix::peak_gflops(simd::level(), millis as u64))
}

/// `flatSearch(metric, base, dim, queries, k, ids: Uint32Array, dists: Float32Array, threads)`:
/// exact k nearest neighbours of every query, nearest first.
fn flat_search(env: Env, a: &mut Args) -> Result<napi_value> {
    let id = a.index(0, "metric", u32::MAX as usize)?;
    let metric = IndexMetric::from_id(id as u32).ok_or_else(|| Fail::Range(format!("unknown index metric id {id}")))?;
    let base = a.f32s(1, "base")?;
    let dim = a.index(2, "dim", MAX_DIM)?;
    let queries = a.f32s(3, "queries")?;
    let k = a.index(4, "k", u32::MAX as usize)?;
    let ids = a.u32s_mut(5, "ids")?;
    let dists = a.f32s_mut(6, "dists")?;
    let threads = a.index(7, "threads", MAX_THREADS)?;
    flat::search(metric, base, dim, queries, k, ids, dists, threads).map_err(core_error)?;
    env.undefined()
}

/// `rabitqEstimate(bits, words, dim, queries, l2, codes, params, eps0, dists, bounds, threads)`
fn rabitq_estimate(env: Env, a: &mut Args) -> Result<napi_value> {
    let bits = a.index(0, "bits", 8)?;
    let words = a.f32s(1, "words")?;
    let dim = a.index(2, "dim", MAX_DIM)?;
    let queries = a.f32s(3, "queries")?;
    let l2 = a.index(4, "l2", 1)? == 1;
    let codes = a.bytes(5, "codes")?;
    let params = a.f32s(6, "params")?;
    let eps0 = a.number(7, "eps0")?;
    let dists = a.f32s_mut(8, "dists")?;
    let bounds = a.f32s_mut(9, "bounds")?;
    let threads = a.index(10, "threads", MAX_THREADS)?;
    quant::rabitq_estimate(bits, words, dim, queries, l2, codes, params, eps0, dists, bounds, threads).map_err(core_error)?;
    env.undefined()
}

/// `rabitqPack(bits, dim, codes, out)`: row-major codes into FastScan blocks.
fn rabitq_pack(env: Env, a: &mut Args) -> Result<napi_value> {
    let bits = a.index(0, "bits", 8)?;
    let dim = a.index(1, "dim", MAX_DIM)?;
    let codes = a.bytes(2, "codes")?;
    let out = a.bytes_mut(3, "out")?;
    quant::rabitq_pack(bits, dim, codes, out).map_err(core_error)?;
    env.undefined()
}

/// `rabitqScan(bits, words, dim, queries, l2, packed, params, eps0, dists, bounds, threads)`
fn rabitq_scan(env: Env, a: &mut Args) -> Result<napi_value> {
    let bits = a.index(0, "bits", 8)?;
    let words = a.f32s(1, "words")?;
    let dim = a.index(2, "dim", MAX_DIM)?;
    let queries = a.f32s(3, "queries")?;
    let l2 = a.index(4, "l2", 1)? == 1;
    let packed = a.bytes(5, "packed")?;
    let params = a.f32s(6, "params")?;
    let eps0 = a.number(7, "eps0")?;
    let dists = a.f32s_mut(8, "dists")?;
    let bounds = a.f32s_mut(9, "bounds")?;
    let threads = a.index(10, "threads", MAX_THREADS)?;
    quant::rabitq_scan(bits, words, dim, queries, l2, packed, params, eps0, dists, bounds, threads).map_err(core_error)?;
    env.undefined()
}

macro_rules! export {
    ($name:ident, $argc:expr, $body:path) => {
        unsafe extern "C" fn $name(env: napi_env, info: napi_callback_info) -> napi_value {
            call(env, info, $argc, $body)
        }
    };
}

export!(js_info, 0, info);
export!(js_encode, 7, encode);
export!(js_decode, 7, decode);
export!(js_column_sums, 3, column_sums);
export!(js_error_stats, 4, error_stats);
export!(js_distance_pair, 3, distance_pair);
export!(js_distance_many, 5, distance_many);
export!(js_distance_matrix, 6, distance_matrix);
export!(js_topk, 4, top_k);
export!(js_copy, 2, copy);
export!(js_peak_gflops, 1, peak_gflops);
export!(js_flat_search, 8, flat_search);
export!(js_rabitq_estimate, 11, rabitq_estimate);
export!(js_rabitq_pack, 4, rabitq_pack);
export!(js_rabitq_scan, 11, rabitq_scan);
export!(js_hnsw_create, 8, hnsw::create);
export!(js_hnsw_set_center, 2, hnsw::set_center);
export!(js_hnsw_set_guide_from, 2, hnsw::set_guide_from);
export!(js_hnsw_add, 3, hnsw::add);
export!(js_hnsw_add_async, 3, hnsw::add_async);
export!(js_hnsw_search_async, 6, hnsw::search_async);
export!(js_hnsw_search, 8, hnsw::search);
export!(js_hnsw_info, 1, hnsw::info);
export!(js_hnsw_export, 8, hnsw::export);
export!(js_hnsw_import, 16, hnsw::import);
export!(js_kmeans_create, 7, ivf::kmeans_create);
export!(js_kmeans_step_async, 2, ivf::kmeans_step_async);
export!(js_kmeans_centroids, 1, ivf::kmeans_centroids);
export!(js_ivf_create, 7, ivf::create);
export!(js_ivf_add, 3, ivf::add);
export!(js_ivf_add_async, 3, ivf::add_async);
export!(js_ivf_search, 9, ivf::search);
export!(js_ivf_info, 1, ivf::info);
export!(js_ivf_export, 7, ivf::export);
export!(js_ivf_import, 12, ivf::import);
export!(js_ivf_open, 12, ivf::open);

/// Module entry point, found by Node when it loads the addon.
///
/// # Safety
/// Called by Node with a valid env and exports object.
#[no_mangle]
pub unsafe extern "C" fn napi_register_module_v1(env: napi_env, exports: napi_value) -> napi_value {
    let env = Env(env);
    let functions: [(&str, napi::napi_callback); 36] = [
        ("info", js_info),
        ("encode", js_encode),
        ("decode", js_decode),
        ("columnSums", js_column_sums),
        ("errorStats", js_error_stats),
        ("distancePair", js_distance_pair),
        ("distanceMany", js_distance_many),
        ("distanceMatrix", js_distance_matrix),
        ("topk", js_topk),
        ("copy", js_copy),
        ("peakGflops", js_peak_gflops),
        ("flatSearch", js_flat_search),
        ("rabitqEstimate", js_rabitq_estimate),
        ("rabitqPack", js_rabitq_pack),
        ("rabitqScan", js_rabitq_scan),
        ("hnswCreate", js_hnsw_create),
        ("hnswSetCenter", js_hnsw_set_center),
        ("hnswSetGuideFrom", js_hnsw_set_guide_from),
        ("hnswAdd", js_hnsw_add),
        ("hnswAddAsync", js_hnsw_add_async),
        ("hnswSearchAsync", js_hnsw_search_async),
        ("hnswSearch", js_hnsw_search),
        ("hnswInfo", js_hnsw_info),
        ("hnswExport", js_hnsw_export),
        ("hnswImport", js_hnsw_import),
        ("kmeansCreate", js_kmeans_create),
        ("kmeansStepAsync", js_kmeans_step_async),
        ("kmeansCentroids", js_kmeans_centroids),
        ("ivfCreate", js_ivf_create),
        ("ivfAdd", js_ivf_add),
        ("ivfAddAsync", js_ivf_add_async),
        ("ivfSearch", js_ivf_search),
        ("ivfInfo", js_ivf_info),
        ("ivfExport", js_ivf_export),
        ("ivfImport", js_ivf_import),
        ("ivfOpen", js_ivf_open),
    ];
    for (name, cb) in functions {
        let registered = env.function(name, cb).and_then(|f| env.set(exports, name, f));
        if let Err(fail) = registered {
            env.throw(fail);
            return std::ptr::null_mut();
        }
    }
    exports
}
