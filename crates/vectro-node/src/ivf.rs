//! IVF index and k-means handles, as `hnsw.rs` does for HNSW: a Rust value in a tagged JS external
//! behind an `Arc<RwLock<_>>`, sync calls that throw on a busy handle, async calls on libuv's pool.

use std::sync::{Arc, RwLock};

use crate::handles::{metric_arg, read, seed_arg, storage_arg, write};
use crate::js::{Args, AsyncOutput, Env, Fail, Result};
use crate::napi::{napi_type_tag, napi_value};
use crate::{core_error, MAX_THREADS};
use vectro_core::ivf::kmeans::KMeans;
use vectro_core::ivf::{Ivf, IvfParts, MappedSections, MappedShape};
use vectro_core::mmap::Mapping;
use vectro_core::quant::MAX_DIM;

/// Marks externals that hold an `Ivf` or a `KMeans` (random, fixed for this addon).
static IVF_TAG: napi_type_tag = napi_type_tag { lower: 0x5645_4354_524f_4956, upper: 0x3b7e_91c4_d2a0_5f18 };
static KMEANS_TAG: napi_type_tag = napi_type_tag { lower: 0x5645_4354_524f_4b4d, upper: 0x6a02_d5e9_17c3_b84f };

type Handle = Arc<RwLock<Ivf>>;
type Trainer = Arc<RwLock<KMeans>>;

/// `kmeansCreate(x, dim, nlist, trainSize, metric, seedHigh, seedLow) -> handle`: samples the rows.
pub fn kmeans_create(env: Env, a: &mut Args) -> Result<napi_value> {
    let x = a.f32s(0, "x")?;
    let dim = a.index(1, "dim", MAX_DIM)?;
    let k = a.index(2, "nlist", u32::MAX as usize)?;
    let train = a.index(3, "trainSize", u32::MAX as usize)?;
    let metric = metric_arg(a, 4)?;
    let seed = seed_arg(a, 5)?;
    let km = KMeans::new(x, dim, k, train, metric, seed).map_err(core_error)?;
    env.external::<Trainer>(Arc::new(RwLock::new(km)), &KMEANS_TAG)
}

/// `kmeansStepAsync(handle, threads) -> Promise<{ objective, splits }>`: one Lloyd iteration.
pub fn kmeans_step_async(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: Trainer = a.external::<Trainer>(0, "handle", &KMEANS_TAG)?.clone();
    let threads = a.index(1, "threads", MAX_THREADS)?;
    env.run_async(
        "vectro.kmeansStep",
        move || {
            let mut km = handle.write().unwrap_or_else(|p| p.into_inner());
            Ok(Box::new(km.step(threads)) as AsyncOutput)
        },
        |env, out| {
            let step =
                out.downcast::<vectro_core::ivf::kmeans::Step>().map_err(|_| Fail::Error("internal: unexpected async result".into()))?;
            let o = env.object()?;
            env.set(o, "objective", env.number(step.objective)?)?;
            env.set(o, "splits", env.number(step.splits as f64)?)?;
            Ok(o)
        },
    )
}

/// `kmeansCentroids(handle) -> Float32Array`
pub fn kmeans_centroids(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Trainer = a.external(0, "handle", &KMEANS_TAG)?;
    let km = read(handle)?;
    env.f32_array(km.centroids())
}

/// `ivfCreate(dim, metric, storage, keepVectors (0/1), centroids, seedHigh, seedLow) -> handle`
pub fn create(env: Env, a: &mut Args) -> Result<napi_value> {
    let dim = a.index(0, "dim", MAX_DIM)?;
    let metric = metric_arg(a, 1)?;
    let storage = storage_arg(a, 2)?;
    let keep = a.index(3, "keepVectors", 1)? == 1;
    let centroids = a.f32s(4, "centroids")?;
    let seed = seed_arg(a, 5)?;
    let index = Ivf::new(dim, metric, storage, keep, centroids, seed).map_err(core_error)?;
    env.external::<Handle>(Arc::new(RwLock::new(index)), &IVF_TAG)
}

/// `ivfAdd(handle, x, threads)`
pub fn add(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Handle = a.external(0, "handle", &IVF_TAG)?;
    let x = a.f32s(1, "x")?;
    let threads = a.index(2, "threads", MAX_THREADS)?;
    write(handle)?.add(x, threads).map_err(core_error)?;
    env.undefined()
}

/// `ivfAddAsync(handle, x, threads) -> Promise<undefined>`
pub fn add_async(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: Handle = a.external::<Handle>(0, "handle", &IVF_TAG)?.clone();
    let x = a.f32s(1, "x")?.to_vec();
    let threads = a.index(2, "threads", MAX_THREADS)?;
    env.run_async(
        "vectro.ivfAdd",
        move || {
            let mut index = handle.write().unwrap_or_else(|p| p.into_inner());
            index.add(&x, threads).map_err(|e| e.to_string())?;
            Ok(Box::new(()) as AsyncOutput)
        },
        |env, _| env.undefined(),
    )
}

/// `ivfSearch(handle, queries, k, nprobe, rerank, grouped (0/1), ids, dists, threads) -> distance computations`
pub fn search(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Handle = a.external(0, "handle", &IVF_TAG)?;
    let index = read(handle)?;
    let queries = a.f32s(1, "queries")?;
    let k = a.index(2, "k", u32::MAX as usize)?;
    let nprobe = a.index(3, "nprobe", u32::MAX as usize)?;
    let rerank = a.index(4, "rerank", u32::MAX as usize)?;
    let grouped = a.index(5, "grouped", 1)? == 1;
    let ids = a.u32s_mut(6, "ids")?;
    let dists = a.f32s_mut(7, "dists")?;
    let threads = a.index(8, "threads", MAX_THREADS)?;
    let count = index.search(queries, k, nprobe, rerank, grouped, ids, dists, threads).map_err(core_error)?;
    env.number(count as f64)
}

/// `ivfInfo(handle) -> { count, dim, metric, storage, keepVectors, nlist, seedHigh, seedLow,
/// vectors, codes, params, mapped }` (vectors, codes, params: array lengths for `ivfExport`;
/// mapped: 1 when the lists are read from a mapped file).
pub fn info(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Handle = a.external(0, "handle", &IVF_TAG)?;
    let index = read(handle)?;
    let o = env.object()?;
    let fields: [(&str, f64); 12] = [
        ("count", index.len() as f64),
        ("dim", index.dim() as f64),
        ("metric", index.metric().id() as f64),
        ("storage", index.storage().id() as f64),
        ("keepVectors", index.keeps_vectors() as u8 as f64),
        ("nlist", index.nlist() as f64),
        ("seedHigh", (index.seed() >> 32) as f64),
        ("seedLow", (index.seed() & 0xffff_ffff) as f64),
        ("vectors", index.vectors().len() as f64),
        ("codes", index.codes().len() as f64),
        ("params", index.params().len() as f64),
        ("mapped", index.is_mapped() as u8 as f64),
    ];
    for (k, v) in fields {
        env.set(o, k, env.number(v)?)?;
    }
    Ok(o)
}

/// `ivfExport(handle, centroids, sizes, ids, vectors, codes, params)`: copies the arrays (sized
/// from ivfInfo: nlist x dim, nlist, count, and the last three).
pub fn export(env: Env, a: &mut Args) -> Result<napi_value> {
    let handle: &mut Handle = a.external(0, "handle", &IVF_TAG)?;
    let index = read(handle)?;
    let centroids = a.f32s_mut(1, "centroids")?;
    let sizes = a.u32s_mut(2, "sizes")?;
    let ids = a.u32s_mut(3, "ids")?;
    let vectors = a.f32s_mut(4, "vectors")?;
    let codes = a.bytes_mut(5, "codes")?;
    let params = a.f32s_mut(6, "params")?;
    let got = [centroids.len(), sizes.len(), ids.len(), vectors.len(), codes.len(), params.len()];
    let want = [index.centroids().len(), index.nlist(), index.len(), index.vectors().len(), index.codes().len(), index.params().len()];
    if got != want {
        return Err(Fail::Range("export buffers must have the sizes ivfInfo reports".into()));
    }
    centroids.copy_from_slice(index.centroids());
    sizes.copy_from_slice(&index.sizes());
    ids.copy_from_slice(index.ids());
    vectors.copy_from_slice(index.vectors());
    codes.copy_from_slice(index.codes());
    params.copy_from_slice(index.params());
    env.undefined()
}

/// `ivfImport(dim, metric, storage, keepVectors, seedHigh, seedLow, centroids, sizes, ids, vectors,
/// codes, params) -> handle`: every part is validated before use.
pub fn import(env: Env, a: &mut Args) -> Result<napi_value> {
    let dim = a.index(0, "dim", MAX_DIM)?;
    let metric = metric_arg(a, 1)?;
    let storage = storage_arg(a, 2)?;
    let keep = a.index(3, "keepVectors", 1)? == 1;
    let seed = seed_arg(a, 4)?;
    let parts = IvfParts {
        dim,
        metric,
        storage,
        keep,
        seed,
        centroids: a.f32s(6, "centroids")?,
        sizes: a.u32s(7, "sizes")?,
        ids: a.u32s(8, "ids")?,
        vectors: a.f32s(9, "vectors")?,
        codes: a.bytes(10, "codes")?,
        params: a.f32s(11, "params")?,
    };
    let index = Ivf::from_parts(parts).map_err(core_error)?;
    env.external::<Handle>(Arc::new(RwLock::new(index)), &IVF_TAG)
}

/// `ivfOpen(path (UTF-8 bytes), dim, metric, storage, keepVectors, seedHigh, seedLow, nlist, count,
/// fileBytes, sections, cold (0/1)) -> handle`: maps the file and opens the index over it.
/// `sections` holds the byte offsets of vectors, codes, params, centroids, sizes and ids (from the
/// header the caller decoded); each is checked to lie in the file, whose size must still be
/// `fileBytes`. `cold` first drops the file's pages from the page cache (`Mapping::drop_cached`).
pub fn open(env: Env, a: &mut Args) -> Result<napi_value> {
    let path = a.bytes(0, "path")?.to_vec();
    let dim = a.index(1, "dim", MAX_DIM)?;
    let metric = metric_arg(a, 2)?;
    let storage = storage_arg(a, 3)?;
    let keep = a.index(4, "keepVectors", 1)? == 1;
    let seed = seed_arg(a, 5)?;
    let nlist = a.index(7, "nlist", u32::MAX as usize)?;
    let count = a.index(8, "count", u32::MAX as usize)?;
    let file_bytes = a.index(9, "fileBytes", usize::MAX)?;
    let at = a.f64s(10, "sections")?;
    let cold = a.index(11, "cold", 1)? == 1;
    if at.len() != 6 || !at.iter().all(|&v| v >= 0.0 && v.fract() == 0.0 && v <= file_bytes as f64) {
        return Err(Fail::Range("sections must hold 6 byte offsets inside the file".into()));
    }
    let path = path_of(path)?;
    let map = Arc::new(Mapping::open(&path).map_err(core_error)?);
    if cold {
        map.drop_cached();
    }
    if map.len() != file_bytes {
        return Err(Fail::Error(format!("{}: the file changed size since its header was read", path.display())));
    }
    let shape = MappedShape { dim, metric, storage, keep, seed, nlist, count };
    let [vectors, codes, params, centroids, sizes, ids] = [0, 1, 2, 3, 4, 5].map(|i| at[i] as usize);
    let sections = MappedSections { vectors, codes, params, centroids, sizes, ids };
    let index = Ivf::open_mapped(map, shape, sections).map_err(core_error)?;
    env.external::<Handle>(Arc::new(RwLock::new(index)), &IVF_TAG)
}

#[cfg(unix)]
fn path_of(bytes: Vec<u8>) -> Result<std::path::PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    Ok(std::ffi::OsString::from_vec(bytes).into())
}

#[cfg(not(unix))]
fn path_of(bytes: Vec<u8>) -> Result<std::path::PathBuf> {
    String::from_utf8(bytes).map(Into::into).map_err(|_| Fail::Type("path must be UTF-8".into()))
}
