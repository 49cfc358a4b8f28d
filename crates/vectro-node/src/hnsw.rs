//! HNSW index handles: a Rust `Hnsw` in a tagged JS external, and the calls that use it.
//!
//! The handle holds an `Arc<RwLock<Hnsw>>`. Async calls copy their inputs into Rust and clone the
//! Arc, so the index outlives its JS handle while they run on libuv's pool; searches share the
//! lock, adds take it alone. Sync calls never wait on it: on a busy index they throw.

use std::sync::{Arc, RwLock};

use crate::handles::{metric_arg, read, seed_arg, storage_arg, write};
use crate::js::{Args, AsyncOutput, Env, Fail, Result};
use crate::napi::{napi_type_tag, napi_value};
use crate::{core_error, MAX_THREADS};
use vectro_core::flat::IndexMetric;
use vectro_core::hnsw::{Hnsw, HnswParts, Storage};
use vectro_core::quant::MAX_DIM;

/// Marks externals that hold an `Hnsw` (random, fixed for this addon).
static HNSW_TAG: napi_type_tag = napi_type_tag { lower: 0x5645_4354_524f_484e, upper: 0x9d1c_57a2_e0b3_4f61 };

type Handle = Arc<RwLock<Hnsw>>;

/// The parameters `hnswCreate` and `hnswImport` both take first:
/// `dim, metric, storage, keepVectors (0/1), m, efConstruction, seedHigh, seedLow`.
struct Params {
    dim: usize,
    metric: IndexMetric,
    storage: Storage,
    keep: bool,
    m: usize,
    efc: usize,
    rng: u64,
}

fn params_arg(a: &Args) -> Result<Params> {
    Ok(Params {
        dim: a.index(0, "dim", MAX_DIM)?,
        metric: metric_arg(a, 1)?,
        storage: storage_arg(a, 2)?,
        keep: a.index(3, "keepVectors", 1)? == 1,
        m: a.index(4, "m", 1 << 16)?,
        efc: a.index(5, "efConstruction", u32::MAX as usize)?,
        rng: seed_arg(a, 6)?,
    })
}

/// `hnswCreate(dim, metric, storage, keepVectors (0/1), m, efConstruction, seedHigh, seedLow) -> handle`
pub fn create(env: Env, a: &mut Args) -> Result<napi_value> {
    let p = params_arg(a)?;
    let index = Hnsw::new(p.dim, p.metric, p.storage, p.keep, p.m, p.efc, p.rng).map_err(core_error)?;
    env.external::<Handle>(Arc::new(RwLock::new(index)), &HNSW_TAG)
}

/// `hnswAdd(handle, x, threads)`: inserts the rows of x (one thread: in order, reproducibly).
pub fn add(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Handle = a.external(0, "handle", &HNSW_TAG)?;
    let x = a.f32s(1, "x")?;
    let threads = a.index(2, "threads", MAX_THREADS)?;
    write(handle)?.add(x, threads).map_err(core_error)?;
    env.undefined()
}

/// `hnswSetCenter(handle, center)`: binary storage's center, before the first add.
pub fn set_center(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Handle = a.external(0, "handle", &HNSW_TAG)?;
    let center = a.f32s(1, "center")?;
    write(handle)?.set_center(center).map_err(core_error)?;
    env.undefined()
}

/// `hnswSetGuideFrom(handle, bytes)`: the float32 row bytes from which inserts search the int8
/// guide (core's `Hnsw::set_guide_from`); up to 2^53 (JS's safe integers: never, in practice).
pub fn set_guide_from(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Handle = a.external(0, "handle", &HNSW_TAG)?;
    let bytes = a.index(1, "bytes", 1 << 53)?;
    write(handle)?.set_guide_from(bytes);
    env.undefined()
}

/// `hnswAddAsync(handle, x, threads) -> Promise<undefined>`: `hnswAdd` on libuv's thread pool.
pub fn add_async(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: Handle = a.external::<Handle>(0, "handle", &HNSW_TAG)?.clone();
    let x = a.f32s(1, "x")?.to_vec();
    let threads = a.index(2, "threads", MAX_THREADS)?;
    env.run_async(
        "vectro.hnswAdd",
        move || {
            let mut index = handle.write().unwrap_or_else(|p| p.into_inner());
            index.add(&x, threads).map_err(|e| e.to_string())?;
            Ok(Box::new(()) as AsyncOutput)
        },
        |env, _| env.undefined(),
    )
}

/// Ids, distances and distance computations of a batch search, handed from the pool thread.
struct Found {
    ids: Vec<u32>,
    dists: Vec<f32>,
    count: u64,
}

/// `hnswSearchAsync(handle, queries, k, ef, rerank, threads) -> Promise<{ ids, dists, count }>`.
pub fn search_async(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: Handle = a.external::<Handle>(0, "handle", &HNSW_TAG)?.clone();
    let queries = a.f32s(1, "queries")?.to_vec();
    let k = a.index(2, "k", u32::MAX as usize)?;
    let ef = a.index(3, "ef", u32::MAX as usize)?;
    let rerank = a.index(4, "rerank", u32::MAX as usize)?;
    let threads = a.index(5, "threads", MAX_THREADS)?;
    env.run_async(
        "vectro.hnswSearch",
        move || {
            let index = handle.read().unwrap_or_else(|p| p.into_inner());
            let m = queries.len() / index.dim().max(1);
            let (mut ids, mut dists) = (vec![0u32; m * k], vec![0f32; m * k]);
            let count = index.search(&queries, k, ef, rerank, &mut ids, &mut dists, threads).map_err(|e| e.to_string())?;
            Ok(Box::new(Found { ids, dists, count }) as AsyncOutput)
        },
        |env, out| {
            let found = out.downcast::<Found>().map_err(|_| Fail::Error("internal: unexpected async result".into()))?;
            let o = env.object()?;
            env.set(o, "ids", env.u32_array(&found.ids)?)?;
            env.set(o, "dists", env.f32_array(&found.dists)?)?;
            env.set(o, "count", env.number(found.count as f64)?)?;
            Ok(o)
        },
    )
}

/// `hnswSearch(handle, queries, k, ef, rerank, ids, dists, threads) -> distance computations`
pub fn search(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Handle = a.external(0, "handle", &HNSW_TAG)?;
    let index = read(handle)?;
    let queries = a.f32s(1, "queries")?;
    let k = a.index(2, "k", u32::MAX as usize)?;
    let ef = a.index(3, "ef", u32::MAX as usize)?;
    let rerank = a.index(4, "rerank", u32::MAX as usize)?;
    let ids = a.u32s_mut(5, "ids")?;
    let dists = a.f32s_mut(6, "dists")?;
    let threads = a.index(7, "threads", MAX_THREADS)?;
    let count = index.search(queries, k, ef, rerank, ids, dists, threads).map_err(core_error)?;
    env.number(count as f64)
}

/// `hnswInfo(handle) -> { count, dim, metric, storage, keepVectors, m, efConstruction, maxLevel, entry,
/// seedHigh, seedLow, vectors, codes, scales, center, links0, upper }` (the last six: array lengths
/// for `hnswExport`).
pub fn info(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Handle = a.external(0, "handle", &HNSW_TAG)?;
    let index = read(handle)?;
    let (m, efc, rng) = index.params();
    let o = env.object()?;
    let fields: [(&str, f64); 17] = [
        ("count", index.len() as f64),
        ("dim", index.dim() as f64),
        ("metric", index.metric().id() as f64),
        ("storage", index.storage().id() as f64),
        ("keepVectors", index.keeps_vectors() as u8 as f64),
        ("m", m as f64),
        ("efConstruction", efc as f64),
        ("maxLevel", index.max_level() as f64),
        ("entry", index.entry().map_or(-1.0, |e| e as f64)),
        ("seedHigh", (rng >> 32) as f64),
        ("seedLow", (rng & 0xffff_ffff) as f64),
        ("vectors", index.vectors().len() as f64),
        ("codes", index.codes_len() as f64),
        ("scales", (index.len() * index.storage().node_params()) as f64),
        ("center", index.center().len() as f64),
        ("links0", index.links0().len() as f64),
        ("upper", index.upper_len() as f64),
    ];
    for (k, v) in fields {
        env.set(o, k, env.number(v)?)?;
    }
    Ok(o)
}

/// `hnswExport(handle, vectors, codes, scales, center, levels, links0, upper)`: copies the arrays
/// (sized from hnswInfo). An empty array skips that part, so the graph alone can be exported
/// without copying the vectors.
pub fn export(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Handle = a.external(0, "handle", &HNSW_TAG)?;
    let index = read(handle)?;
    let vectors = a.f32s_mut(1, "vectors")?;
    let codes = a.bytes_mut(2, "codes")?;
    let scales = a.f32s_mut(3, "scales")?;
    let center = a.f32s_mut(4, "center")?;
    let levels = a.bytes_mut(5, "levels")?;
    let links0 = a.u32s_mut(6, "links0")?;
    let upper = a.u32s_mut(7, "upper")?;
    let sizes = [vectors.len(), codes.len(), scales.len(), center.len(), levels.len(), links0.len(), upper.len()];
    let want = [
        index.vectors().len(),
        index.codes_len(),
        index.len() * index.storage().node_params(),
        index.center().len(),
        index.len(),
        index.links0().len(),
        index.upper_len(),
    ];
    if sizes.iter().zip(want).any(|(&got, want)| got != 0 && got != want) {
        return Err(Fail::Range("export buffers must be empty or the sizes hnswInfo reports".into()));
    }
    if !vectors.is_empty() {
        vectors.copy_from_slice(index.vectors());
    }
    if !codes.is_empty() {
        codes.copy_from_slice(&index.codes());
    }
    if !scales.is_empty() {
        scales.copy_from_slice(&index.scales());
    }
    if !center.is_empty() {
        center.copy_from_slice(index.center());
    }
    if !levels.is_empty() {
        levels.copy_from_slice(index.levels());
    }
    if !links0.is_empty() {
        links0.copy_from_slice(index.links0());
    }
    if !upper.is_empty() {
        upper.copy_from_slice(&index.upper_links());
    }
    env.undefined()
}

/// `hnswImport(dim, metric, storage, keepVectors, m, efConstruction, seedHigh, seedLow, vectors, codes,
/// scales, center, levels, links0, upper, entry) -> handle` (entry -1 for an empty index). Every part
/// is validated before use.
pub fn import(env: Env, a: &mut Args) -> Result<napi_value> {
    let Params { dim, metric, storage, keep, m, efc, rng } = params_arg(a)?;
    let vectors = a.f32s(8, "vectors")?;
    let codes = a.bytes(9, "codes")?;
    let scales = a.f32s(10, "scales")?;
    let center = a.f32s(11, "center")?;
    let levels = a.bytes(12, "levels")?;
    let links0 = a.u32s(13, "links0")?;
    let upper = a.u32s(14, "upper")?;
    let entry = a.number(15, "entry")?;
    let entry = if entry < 0.0 { None } else { Some(entry as u32) };
    let parts = HnswParts {
        dim,
        metric,
        storage,
        keep,
        m,
        ef_construction: efc,
        rng,
        vectors,
        codes,
        scales,
        center,
        levels,
        links0,
        upper,
        entry,
    };
    let index = Hnsw::from_parts(parts).map_err(core_error)?;
    env.external::<Handle>(Arc::new(RwLock::new(index)), &HNSW_TAG)
}
