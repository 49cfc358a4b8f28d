//! IVF: an inverted-file index. k-means (`kmeans.rs`) splits the space into `nlist` cells; each
//! vector is stored in the list of its nearest centroid, and a query scans the `nprobe` lists whose
//! centroids are nearest to it (Jégou et al., "Product quantization for nearest neighbor search",
//! 2011; FAISS's `IndexIVF`).
//!
//! Lists are stored back to back, in list order: the ids, the float32 vectors (f32 storage, or the
//! kept ones) and, for rabitqB storage, the codes and their three factors per vector. A vector's
//! place in that order is its *position*. RaBitQ codes are of the residual to the list's centroid
//! (codes around the centroid, one rotation shared by all lists), as in the RaBitQ papers and
//! FAISS's `IndexIVFRaBitQ`; each list's codes are also held packed in FastScan blocks
//! (`quant::fastscan`), which is what a search scans.
//!
//! Distances are the index metric's (`IndexMetric`; cosine vectors are normalised on the way in).
//! The coarse quantizer ranks centroids by squared l2 for l2 and by inner product for ip and cosine,
//! as FAISS does for an inner-product IVF: on the hard preset (100k x 100, cosine, nlist 1024),
//! nprobe 16 found recall@10 0.885 ranking and training by inner product, 0.786 by l2.

pub mod kmeans;
#[cfg(test)]
mod tests;

use crate::distance::matrix::{matrix, Panels};
use crate::distance::{f32_two_rows, Metric, TwoRows};
use crate::error::{invalid, Error};
use crate::flat::{distance_at, prepare_row, IndexMetric};
use crate::mmap::{Mapping, Region};
use crate::parallel::{available_threads, rows_per_block, run_blocks};
use crate::quant::fastscan::{self, Tables};
use crate::quant::int8::{self, as_i8};
use crate::quant::rabitq::{self, Prepared, DEFAULT_EPS0, FACTORS};
use crate::quant::rotation::Rotation;
use crate::quant::{Scheme, MAX_DIM};
use crate::simd::{self, Level};
use std::sync::{Arc, OnceLock};

pub use crate::storage::Storage;

/// An IVF index: centroids, and the lists of the vectors added so far.
pub struct Ivf {
    dim: usize,
    metric: IndexMetric,
    storage: Storage,
    keep: bool,
    /// Seeds the rabitq rotation.
    seed: u64,
    level: Level,
    centroids: Vec<f32>,
    /// The centroids packed for the matrix kernel: a query's coarse step is one row of the
    /// centroid matrix, the values the batch path's matrix gives.
    coarse: Panels,
    rotation: Option<Rotation>,
    /// rabitq over l2: each centroid rotated (R(pad(c)), P values a list), so that a query is
    /// rotated once and v = R(q) - R(c) per list.
    rotated_centroids: Vec<f64>,
    /// Per list, its first position (`nlist + 1` entries).
    offsets: Vec<usize>,
    ids: Region<u32>,
    vectors: Region<f32>,
    /// rabitq: row-major bit-plane codes and factors; int8: codes and scales; in position order.
    codes: Region<u8>,
    params: Region<f32>,
    /// Per list, what its scan reads beside the codes, derived from them (`ListAux`): made when
    /// the lists are built or loaded, or on a list's first scan when they are mapped.
    aux: Vec<OnceLock<ListAux>>,
    /// int8: the dot products of one code row with many (`Kernels::i8_code_dots`).
    i8_dots: unsafe fn(&[i8], &[i8], &mut [f32]),
    /// f32: one query against two rows a pass, where the level has it (`exact_rows`).
    f32_two: Option<TwoRows>,
    /// The file the lists are read from, when the index was opened mapped (`Ivf::open_mapped`).
    file: Option<Arc<Mapping>>,
}

/// The parts an index is saved as and rebuilt from (`Ivf::from_parts` checks them).
pub struct IvfParts<'a> {
    pub dim: usize,
    pub metric: IndexMetric,
    pub storage: Storage,
    pub keep: bool,
    pub seed: u64,
    pub centroids: &'a [f32],
    /// Per list, its length.
    pub sizes: &'a [u32],
    pub ids: &'a [u32],
    pub vectors: &'a [f32],
    pub codes: &'a [u8],
    pub params: &'a [f32],
}

/// The nearest `k` found for one query, as (distance, id), nearest first, and the distance
/// computations made (centroids, scanned vectors or codes, exact re-scores).
type Found = (Vec<(f32, u32)>, u64);

impl Ivf {
    /// An empty index over `centroids` (`nlist` rows of `dim`, from [`kmeans::KMeans`]; cosine
    /// centroids are of normalised vectors). `keep` keeps the float32 vectors beside codes.
    pub fn new(dim: usize, metric: IndexMetric, storage: Storage, keep: bool, centroids: &[f32], seed: u64) -> Result<Ivf, Error> {
        if dim == 0 || dim > MAX_DIM {
            return Err(invalid(format!("dim must be between 1 and {MAX_DIM}, got {dim}")));
        }
        if centroids.is_empty() || !centroids.len().is_multiple_of(dim) || !centroids.iter().all(|v| v.is_finite()) {
            return Err(invalid(format!("the centroids hold {} values, not whole finite vectors of dim {dim}", centroids.len())));
        }
        let rotation = match storage {
            Storage::F32 => None,
            Storage::Rabitq(_) => Some(Rotation::new(seed, dim)),
            Storage::Int8 => None,
            _ => return Err(invalid("an IVF index stores f32 vectors, int8 codes or rabitq1..rabitq8 codes")),
        };
        let nlist = centroids.len() / dim;
        let mut rotated_centroids = Vec::new();
        if let (Some(r), IndexMetric::L2) = (&rotation, metric) {
            rotated_centroids = vec![0f64; nlist * r.padded];
            for (out, c) in rotated_centroids.chunks_exact_mut(r.padded).zip(centroids.chunks_exact(dim)) {
                out.iter_mut().zip(c).for_each(|(o, &v)| *o = v as f64);
                r.apply(out);
            }
        }
        let level = simd::level();
        Ok(Ivf {
            dim,
            metric,
            storage,
            keep: keep && storage != Storage::F32,
            seed,
            level,
            centroids: centroids.to_vec(),
            coarse: Panels::new(level, centroids, dim),
            rotation,
            rotated_centroids,
            offsets: vec![0; nlist + 1],
            ids: Region::default(),
            vectors: Region::default(),
            codes: Region::default(),
            params: Region::default(),
            aux: (0..nlist).map(|_| OnceLock::new()).collect(),
            i8_dots: crate::distance::kernels(level).i8_code_dots,
            f32_two: f32_two_rows(level, metric == IndexMetric::L2),
            file: None,
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }
    pub fn metric(&self) -> IndexMetric {
        self.metric
    }
    pub fn storage(&self) -> Storage {
        self.storage
    }
    pub fn keeps_vectors(&self) -> bool {
        self.keep
    }
    pub fn seed(&self) -> u64 {
        self.seed
    }
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    pub fn nlist(&self) -> usize {
        self.offsets.len() - 1
    }
    pub fn centroids(&self) -> &[f32] {
        &self.centroids
    }
    /// Ids in position order.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }
    /// Float32 vectors in position order (f32 storage, or kept ones; else empty).
    pub fn vectors(&self) -> &[f32] {
        &self.vectors
    }
    /// rabitq codes (row-major bit-planes) and factors in position order (else empty).
    pub fn codes(&self) -> &[u8] {
        &self.codes
    }
    pub fn params(&self) -> &[f32] {
        &self.params
    }
    /// Each list's length.
    pub fn sizes(&self) -> Vec<u32> {
        self.offsets.windows(2).map(|w| (w[1] - w[0]) as u32).collect()
    }

    fn has_vectors(&self) -> bool {
        self.storage == Storage::F32 || self.keep
    }

    /// The coarse quantizer ranks by inner product (ip and cosine), else by squared l2.
    fn coarse_ip(&self) -> bool {
        self.metric != IndexMetric::L2
    }

    /// The exact distance between prepared vectors: cosine ones are normalised, so theirs is ip's.
    fn exact(&self, a: &[f32], b: &[f32]) -> f32 {
        let metric = if self.metric == IndexMetric::Cosine { IndexMetric::Ip } else { self.metric };
        distance_at(self.level, metric, a, b)
    }

    /// `exact(q, row)` for every row of `rows` into `out`: the same values, two rows a pass where
    /// the level has a kernel for it (the query is read once for both).
    fn exact_rows(&self, q: &[f32], rows: &[f32], out: &mut [f32]) {
        let dim = self.dim;
        let Some(two) = self.f32_two else {
            out.iter_mut().zip(rows.chunks_exact(dim)).for_each(|(o, v)| *o = self.exact(q, v));
            return;
        };
        let (l2, n) = (self.metric == IndexMetric::L2, out.len());
        let mut pairs = out.chunks_exact_mut(2);
        for (o, ab) in (&mut pairs).zip(rows.chunks_exact(2 * dim)) {
            // SAFETY: a kernel of the index's level; the query and both rows hold dim values.
            let (x, y) = unsafe { two(q, &ab[..dim], &ab[dim..]) };
            (o[0], o[1]) = if l2 { (x, y) } else { (1.0 - x, 1.0 - y) };
        }
        if let [last] = pairs.into_remainder() {
            *last = self.exact(q, &rows[(n - 1) * dim..n * dim]);
        }
    }

    /// Asks for the first KiB of list `l`'s rows (int8 codes, f32 vectors) while the list before
    /// it is scanned: the hardware prefetcher follows a list only after missing on its first
    /// lines. Alternating runs on the hard 100k set (int8 + rerank 20, nprobe 16): 1.02-1.11x.
    fn prefetch_head(&self, l: usize) {
        const HEAD_BYTES: usize = 1024;
        let (a, b) = (self.offsets[l], self.offsets[l + 1]);
        let (rows, row_bytes) = match self.storage {
            Storage::Int8 => (self.codes[a * self.dim..].as_ptr(), self.dim),
            Storage::F32 => (self.vectors[a * self.dim..].as_ptr() as *const u8, 4 * self.dim),
            Storage::Rabitq(_) | Storage::Binary => return,
        };
        crate::distance::prefetch(rows, ((b - a) * row_bytes).min(HEAD_BYTES));
    }

    fn bits(&self) -> usize {
        match self.storage {
            Storage::Rabitq(b) => b as usize,
            _ => 0,
        }
    }

    fn centroid(&self, list: usize) -> &[f32] {
        &self.centroids[list * self.dim..(list + 1) * self.dim]
    }

    /// The file-parameter words of list `list`'s codes: the shared rotation, its centroid as center.
    fn list_words(&self, list: usize) -> Vec<f32> {
        rabitq::block_words(self.seed, self.metric.id(), self.centroid(list))
    }

    /// Adds the rows of `x` with ids `len()`, `len() + 1`, ...: each goes to its nearest centroid's
    /// list, after the vectors already there. `threads` (0 = all) assign and encode; the result
    /// does not depend on it.
    pub fn add(&mut self, x: &[f32], threads: usize) -> Result<(), Error> {
        let dim = self.dim;
        if !x.len().is_multiple_of(dim) {
            return Err(invalid(format!("x holds {} values, not whole vectors of dim {dim}", x.len())));
        }
        if let Some(bad) = x.iter().position(|v| !v.is_finite()) {
            return Err(invalid(format!("vector {} holds NaN or infinite values", bad / dim)));
        }
        let rows = x.len() / dim;
        if self.len() + rows > u32::MAX as usize {
            return Err(invalid("an index holds at most 4,294,967,295 vectors"));
        }
        if rows == 0 {
            return Ok(());
        }
        let mut prepared = Vec::with_capacity(x.len());
        for row in x.chunks_exact(dim) {
            prepare_row(self.metric, row, &mut prepared);
        }
        let (mut lists, mut unused) = (vec![0u32; rows], vec![0f32; rows]);
        kmeans::assign(&prepared, dim, &self.centroids, self.coarse_ip(), threads, &mut lists, &mut unused);

        // The new rows of each list, in input order.
        let nlist = self.nlist();
        let mut starts = vec![0usize; nlist + 1];
        for &l in &lists {
            starts[l as usize + 1] += 1;
        }
        for l in 0..nlist {
            starts[l + 1] += starts[l];
        }
        let mut order = vec![0u32; rows];
        let mut fill = starts.clone();
        for (r, &l) in lists.iter().enumerate() {
            order[fill[l as usize]] = r as u32;
            fill[l as usize] += 1;
        }
        let encoded = self.encode_lists(&prepared, &starts, &order, threads)?;

        // Rebuild the arrays list by list: old positions, then the new rows.
        let base = self.len() as u32;
        let (cb, wants_vectors) = (self.code_bytes(), self.has_vectors());
        let total = self.len() + rows;
        let mut ids = Vec::with_capacity(total);
        let mut vectors = Vec::with_capacity(if wants_vectors { total * dim } else { 0 });
        let mut codes = Vec::with_capacity(total * cb);
        let mut params = Vec::with_capacity(total * self.factors());
        let mut offsets = vec![0usize; nlist + 1];
        for l in 0..nlist {
            let (a, b) = (self.offsets[l], self.offsets[l + 1]);
            ids.extend_from_slice(&self.ids[a..b]);
            if wants_vectors {
                vectors.extend_from_slice(&self.vectors[a * dim..b * dim]);
            }
            codes.extend_from_slice(&self.codes[a * cb..b * cb]);
            params.extend_from_slice(&self.params[a * self.factors()..b * self.factors()]);
            for &r in &order[starts[l]..starts[l + 1]] {
                ids.push(base + r);
                if wants_vectors {
                    vectors.extend_from_slice(&prepared[r as usize * dim..(r as usize + 1) * dim]);
                }
            }
            let (c, p) = &encoded[l];
            codes.extend_from_slice(c);
            params.extend_from_slice(p);
            offsets[l + 1] = ids.len();
        }
        (self.ids, self.vectors, self.codes, self.params) = (ids.into(), vectors.into(), codes.into(), params.into());
        self.offsets = offsets;
        self.file = None;
        self.derive_all();
        Ok(())
    }

    /// Code bytes per vector (0 for f32, whose vectors are stored as such).
    fn code_bytes(&self) -> usize {
        self.storage.scheme().map_or(0, |s| s.code_bytes(self.dim))
    }

    /// float32 factors per vector (rabitq's three; 0 for f32).
    fn factors(&self) -> usize {
        self.storage.node_params()
    }

    /// The codes and factors of each list's new rows (`order[starts[l]..starts[l + 1]]`), lists
    /// spread over threads: rabitq's encoded around the list's centroid, int8's of the vectors
    /// themselves (as HNSW stores them). f32: empty.
    #[allow(clippy::type_complexity)]
    fn encode_lists(&self, x: &[f32], starts: &[usize], order: &[u32], threads: usize) -> Result<Vec<(Vec<u8>, Vec<f32>)>, Error> {
        let nlist = self.nlist();
        let Some(scheme) = self.storage.scheme() else {
            return Ok(vec![(Vec::new(), Vec::new()); nlist]);
        };
        let (dim, cb, pp) = (self.dim, self.code_bytes(), self.factors());
        let threads = if threads == 0 { available_threads() } else { threads }.min(nlist);
        let per = rows_per_block(nlist, threads);
        let ranges: Vec<_> = (0..nlist).step_by(per).map(|a| a..(a + per).min(nlist)).collect();
        let results = run_blocks(ranges, |range| {
            let mut out = Vec::with_capacity(range.len());
            for l in range {
                let rows = &order[starts[l]..starts[l + 1]];
                let (mut codes, mut params) = (vec![0u8; rows.len() * cb], vec![0f32; rows.len() * pp]);
                if !rows.is_empty() {
                    let words = if self.bits() > 0 { self.list_words(l) } else { Vec::new() };
                    let coder = scheme.coder(self.level, dim, &words).map_err(invalid)?;
                    let mut gathered = Vec::with_capacity(rows.len() * dim);
                    for &r in rows {
                        gathered.extend_from_slice(&x[r as usize * dim..(r as usize + 1) * dim]);
                    }
                    if let Some(bad) = coder.encode_rows(&gathered, &mut codes, &mut params) {
                        return Err(invalid(format!("vector {} is too far from its centroid to encode (float32 overflow)", rows[bad])));
                    }
                }
                out.push((codes, params));
            }
            Ok(out)
        });
        let mut all = Vec::with_capacity(nlist);
        for r in results {
            all.extend(r?);
        }
        Ok(all)
    }

    /// Derives every list's `ListAux` now (built or loaded lists; mapped ones derive on first scan).
    fn derive_all(&mut self) {
        self.aux = (0..self.nlist()).map(|_| OnceLock::new()).collect();
        for l in 0..self.nlist() {
            self.aux(l);
        }
    }

    /// List `l`'s `ListAux`, derived on first use.
    fn aux(&self, l: usize) -> &ListAux {
        self.aux[l].get_or_init(|| {
            let (a, b, cb, dim) = (self.offsets[l], self.offsets[l + 1], self.code_bytes(), self.dim);
            let codes = &self.codes[a * cb..b * cb];
            match self.storage {
                Storage::Rabitq(bits) => {
                    let bits = bits as usize;
                    let mut out = vec![0u8; (b - a).div_ceil(fastscan::BLOCK) * fastscan::packed_bytes(bits, dim, fastscan::BLOCK)];
                    if a < b {
                        fastscan::pack(bits, dim, codes, &mut out);
                    }
                    ListAux::Packed(out)
                }
                Storage::Int8 => ListAux::Norms(codes.chunks_exact(dim).zip(&self.params[a..b]).map(|(c, &s)| int8::norm(c, s)).collect()),
                _ => ListAux::None,
            }
        })
    }

    /// The coarse step's scores of one prepared query against every centroid, smaller nearer:
    /// squared l2, or 1 - <q, c> for ip and cosine.
    fn coarse_scores(&self, q: &[f32], scores: &mut Vec<f32>) {
        scores.resize(self.nlist(), 0.0);
        self.coarse.row(q, !self.coarse_ip(), scores);
        if self.coarse_ip() {
            scores.iter_mut().for_each(|v| *v = 1.0 - *v);
        }
    }

    /// The `nprobe` lists of least coarse score, nearest first (ties to the lower list), selected
    /// by the top-k kernel of the index's level.
    fn probes(&self, scores: &[f32], nprobe: usize) -> Vec<u32> {
        let (mut lists, mut best) = (vec![0u32; nprobe], vec![0f32; nprobe]);
        crate::topk::smallest_at(self.level, scores, nprobe, &mut lists, &mut best).expect("1 <= nprobe <= nlist, checked by search");
        lists
    }

    /// What every list's scan of one prepared query shares: int8, its codes; rabitq, the rotated
    /// query and, for ip and cosine (whose v = R(q) does not depend on the list), the prepared
    /// query and its tables. f32: nothing.
    fn encode_query(&self, q: &[f32]) -> Option<Encoded> {
        if self.storage == Storage::Int8 {
            let (mut codes, mut scale) = (vec![0u8; self.dim], [0f32]);
            // Queries are checked finite before a search, so encoding cannot fail.
            let _ = crate::quant::encode(Scheme::INT8, q, self.dim, &[], &mut codes, &mut scale, 1);
            let norm = int8::norm(&codes, scale[0]);
            return Some(Encoded::Int8 { codes: as_i8(&codes).to_vec(), scale: scale[0], norm });
        }
        let (Storage::Rabitq(bits), Some(rotation)) = (self.storage, &self.rotation) else {
            return None;
        };
        let mut rq = vec![0f64; rotation.padded];
        rq.iter_mut().zip(q).for_each(|(o, &v)| *o = v as f64);
        rotation.apply(&mut rq);
        let shared = (self.metric != IndexMetric::L2).then(|| {
            let prepared = Prepared::rotated(bits as usize, &rq, 0.0, false);
            let tables = prepared.tables();
            (prepared, tables)
        });
        Some(Encoded::Rabitq(Rotated { rq, shared, v: Vec::new() }))
    }

    /// Scans list `l` for a prepared query, offering each position's distance (f32) or estimate
    /// (rabitq) to the shortlist, with its error bound (0 for f32).
    fn scan_list(&self, q: &[f32], encoded: Option<&mut Encoded>, l: usize, short: &mut Shortlist, scratch: &mut Scan) {
        let (a, b) = (self.offsets[l], self.offsets[l + 1]);
        if a == b {
            return;
        }
        scratch.dists.resize(b - a, 0.0);
        match (self.storage, encoded) {
            (Storage::Int8, Some(Encoded::Int8 { codes, scale, norm })) => {
                let ListAux::Norms(norms) = self.aux(l) else { unreachable!("int8 lists have norms") };
                let (dim, l2) = (self.dim, self.metric == IndexMetric::L2);
                // SAFETY: the kernel belongs to the process's level; the query holds dim codes, the
                // list (b - a) rows of dim, and `dists` one slot a row.
                unsafe { (self.i8_dots)(codes, as_i8(&self.codes[a * dim..b * dim]), &mut scratch.dists) };
                int8::distances(self.level, l2, (*scale, *norm), &self.params[a..b], norms, &mut scratch.dists);
                // No error bound: a rerank re-scores every candidate it is given.
                short.offer(&scratch.dists, a as u32, |_| f32::INFINITY);
            }
            (Storage::Rabitq(bits), Some(Encoded::Rabitq(r))) => {
                let bits = bits as usize;
                let centroid = self.centroid(l);
                let own;
                let (prepared, tables) = match &mut r.shared {
                    // ip: <x, q> = <c, q> + <x - c, q>, the second estimated from the codes.
                    Some((prepared, tables)) => {
                        prepared.set_constant(q.iter().zip(centroid).map(|(&x, &c)| x as f64 * c as f64).sum());
                        (&*prepared, &*tables)
                    }
                    // l2: v = R(q) - R(c) = R(q - c), and |q - c|^2 = |v|^2.
                    None => {
                        let p = r.rq.len();
                        r.v.clear();
                        r.v.extend(r.rq.iter().zip(&self.rotated_centroids[l * p..(l + 1) * p]).map(|(x, c)| x - c));
                        let constant = r.v.iter().map(|x| x * x).sum();
                        let prepared = Prepared::rotated(bits, &r.v, constant, true);
                        let tables = prepared.tables();
                        own = (prepared, tables);
                        (&own.0, &own.1)
                    }
                };
                scratch.bounds.resize(b - a, 0.0);
                let ListAux::Packed(packed) = self.aux(l) else { unreachable!("rabitq lists are packed") };
                let params = &self.params[a * FACTORS..b * FACTORS];
                fastscan::scan(self.level, prepared, tables, bits, packed, params, DEFAULT_EPS0, &mut scratch.dists, &mut scratch.bounds);
                let bounds = &scratch.bounds;
                short.offer(&scratch.dists, a as u32, |i| bounds[i]);
            }
            _ => {
                self.exact_rows(q, &self.vectors[a * self.dim..b * self.dim], &mut scratch.dists);
                short.offer(&scratch.dists, a as u32, |_| 0.0);
            }
        }
    }

    /// Turns the shortlist into the k nearest (distance, id): with `rerank` > 0, RaBitQ's rule
    /// re-scores candidates in order of estimate, each only while its lower bound (estimate -
    /// bound) can still beat the k-th exact distance found so far.
    fn finish(&self, q: &[f32], short: Shortlist, k: usize, rerank: usize, count: &mut u64) -> Vec<(f32, u32)> {
        let approximate = short.approximate;
        let found = short.into_sorted();
        if approximate {
            // The batch path's f32 scores come from the matrix kernel: measure the shortlist
            // (k + MARGIN) exactly, so the k returned and their distances are exact.
            let mut exact: Vec<(f32, u32)> = found
                .iter()
                .map(|c| (self.exact(q, &self.vectors[c.pos as usize * self.dim..(c.pos as usize + 1) * self.dim]), c.pos))
                .collect();
            *count += exact.len() as u64;
            exact.sort_unstable_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal).then(a.1.cmp(&b.1)));
            return exact.into_iter().take(k).map(|(d, pos)| (d, self.ids[pos as usize])).collect();
        }
        if rerank == 0 {
            return found.into_iter().take(k).map(|c| (c.d, self.ids[c.pos as usize])).collect();
        }
        // The kept vectors are cold: ask for all of them before measuring any.
        for c in &found {
            let v = &self.vectors[c.pos as usize * self.dim..];
            crate::distance::prefetch(v.as_ptr() as *const u8, self.dim * 4);
        }
        let mut best: Vec<(f32, u32)> = Vec::with_capacity(k + 1);
        let mut worst = f32::INFINITY;
        for c in found {
            let pos = c.pos as usize;
            if best.len() == k && c.d - c.bound >= worst {
                continue;
            }
            let exact = self.exact(q, &self.vectors[pos * self.dim..(pos + 1) * self.dim]);
            *count += 1;
            let at = best.partition_point(|b| (b.0, b.1) <= (exact, c.pos));
            best.insert(at, (exact, c.pos));
            best.truncate(k);
            if best.len() == k {
                worst = best[k - 1].0;
            }
        }
        best.into_iter().map(|(d, pos)| (d, self.ids[pos as usize])).collect()
    }

    /// One query (prepared), its lists scanned one after the other.
    fn search_one(&self, q: &[f32], k: usize, nprobe: usize, rerank: usize, scratch: &mut Scan) -> Found {
        self.coarse_scores(q, &mut scratch.coarse);
        let probes = self.probes(&scratch.coarse, nprobe);
        let mut short = Shortlist::new(k.max(rerank));
        let mut count = self.nlist() as u64;
        let mut encoded = self.encode_query(q);
        for (i, &l) in probes.iter().enumerate() {
            if let Some(&next) = probes.get(i + 1) {
                self.prefetch_head(next as usize);
            }
            self.scan_list(q, encoded.as_mut(), l as usize, &mut short, scratch);
            count += (self.offsets[l as usize + 1] - self.offsets[l as usize]) as u64;
        }
        let found = self.finish(q, short, k, rerank, &mut count);
        (found, count)
    }

    /// Queries grouped by list: the coarse step for all of them through the matrix kernel, then
    /// each list is scanned for every query that probes it while it is in cache.
    fn search_grouped(&self, queries: &[f32], k: usize, nprobe: usize, rerank: usize, out: &mut [Found]) {
        let (dim, nlist, m) = (self.dim, self.nlist(), out.len());
        // The coarse step, queries a block at a time on the packed centroids: the values one row
        // at a time gives, with the block's scores still in cache when its probes are picked.
        let metric = if self.coarse_ip() { Metric::Dot } else { Metric::L2sq };
        let mut by_list: Vec<Vec<u32>> = vec![Vec::new(); nlist];
        let mut coarse = vec![0f32; COARSE_BLOCK.min(m) * nlist];
        for (b, block) in queries.chunks(COARSE_BLOCK * dim).enumerate() {
            let scores = &mut coarse[..block.len() / dim * nlist];
            self.coarse.rows(block, !self.coarse_ip(), scores);
            for (r, row) in scores.chunks_exact_mut(nlist).enumerate() {
                if self.coarse_ip() {
                    row.iter_mut().for_each(|v| *v = 1.0 - *v);
                }
                for l in self.probes(row, nprobe) {
                    by_list[l as usize].push((b * COARSE_BLOCK + r) as u32);
                }
            }
        }
        // f32 lists: each list against all its queries at once through the matrix kernel, a
        // shortlist of k + MARGIN by those scores, then exact distances for the shortlist.
        let gemm = self.storage == Storage::F32;
        let cap = if gemm { k + MARGIN } else { k.max(rerank) };
        let mut shorts: Vec<Shortlist> = (0..m).map(|_| Shortlist::new(cap)).collect();
        shorts.iter_mut().for_each(|s| s.approximate = gemm);
        let mut counts = vec![nlist as u64; m];
        let mut scratch = Scan::default();
        let mut encoded: Vec<Option<Encoded>> = queries.chunks_exact(dim).map(|q| self.encode_query(q)).collect();
        let (mut block, mut scores) = (Vec::new(), Vec::new());
        for (l, qs) in by_list.iter().enumerate() {
            let (a, b) = (self.offsets[l], self.offsets[l + 1]);
            let len = (b - a) as u64;
            if gemm && !qs.is_empty() && a < b {
                block.clear();
                qs.iter().for_each(|&qi| block.extend_from_slice(&queries[qi as usize * dim..(qi as usize + 1) * dim]));
                scores.resize(qs.len() * (b - a), 0.0);
                matrix(metric, &block, &self.vectors[a * dim..b * dim], dim, &mut scores, 1).expect("whole rows");
                for (row, &qi) in scores.chunks_exact_mut(b - a).zip(qs) {
                    if self.coarse_ip() {
                        row.iter_mut().for_each(|v| *v = 1.0 - *v);
                    }
                    shorts[qi as usize].offer(row, a as u32, |_| 0.0);
                    counts[qi as usize] += len;
                }
                continue;
            }
            for &qi in qs {
                let qi = qi as usize;
                self.scan_list(&queries[qi * dim..(qi + 1) * dim], encoded[qi].as_mut(), l, &mut shorts[qi], &mut scratch);
                counts[qi] += len;
            }
        }
        for (qi, (short, o)) in shorts.into_iter().zip(out.iter_mut()).enumerate() {
            let mut count = counts[qi];
            let found = self.finish(&queries[qi * dim..(qi + 1) * dim], short, k, rerank, &mut count);
            *o = (found, count);
        }
    }

    /// Searches every query (row-major) for its k nearest, scanning the `nprobe` nearest lists,
    /// queries spread over `threads` threads (0 = all). `grouped` scans each list once for all
    /// the queries of a thread that probe it (the batch path); otherwise each query runs alone.
    /// `rerank` > 0 (rabitq with kept vectors) re-scores up to that many candidates exactly.
    /// Writes k ids and distances per query, nearest first (fewer found: id u32::MAX, distance
    /// +inf); returns the distance computations made.
    #[allow(clippy::too_many_arguments)]
    pub fn search(
        &self,
        queries: &[f32],
        k: usize,
        nprobe: usize,
        rerank: usize,
        grouped: bool,
        ids: &mut [u32],
        dists: &mut [f32],
        threads: usize,
    ) -> Result<u64, Error> {
        let dim = self.dim;
        if !queries.len().is_multiple_of(dim) {
            return Err(invalid(format!("queries hold {} values, not whole vectors of dim {dim}", queries.len())));
        }
        if let Some(file) = &self.file {
            file.check_unchanged()?;
        }
        if !queries.iter().all(|v| v.is_finite()) {
            return Err(invalid("queries hold NaN or infinite values"));
        }
        let m = queries.len() / dim;
        if k == 0 || ids.len() != m * k || dists.len() != m * k {
            return Err(invalid(format!("k must be at least 1 and the outputs hold queries x k = {} entries", m * k)));
        }
        if nprobe == 0 || nprobe > self.nlist() {
            return Err(invalid(format!("nprobe must lie between 1 and nlist ({}), got {nprobe}", self.nlist())));
        }
        if rerank > 0 && (rerank < k || self.storage == Storage::F32 || !self.keep) {
            return Err(invalid("rerank needs at least k candidates and a rabitq index that keeps its float32 vectors"));
        }
        if m == 0 {
            return Ok(0);
        }
        let mut prepared = Vec::with_capacity(queries.len());
        for row in queries.chunks_exact(dim) {
            prepare_row(self.metric, row, &mut prepared);
        }
        let threads = if threads == 0 { available_threads() } else { threads };
        let per = rows_per_block(m, threads.min(m));
        let blocks: Vec<_> = ids.chunks_mut(per * k).zip(dists.chunks_mut(per * k)).enumerate().collect();
        let counts = run_blocks(blocks, |(b, (ids, dists))| {
            let rows = ids.len() / k;
            let qs = &prepared[b * per * dim..(b * per + rows) * dim];
            let mut found: Vec<Found> = vec![(Vec::new(), 0); rows];
            if grouped {
                self.search_grouped(qs, k, nprobe, rerank, &mut found);
            } else {
                let mut scratch = Scan::default();
                for (q, f) in qs.chunks_exact(dim).zip(found.iter_mut()) {
                    *f = self.search_one(q, k, nprobe, rerank, &mut scratch);
                }
            }
            let mut total = 0;
            for (r, (near, count)) in found.into_iter().enumerate() {
                total += count;
                for j in 0..k {
                    let (d, id) = near.get(j).copied().unwrap_or((f32::INFINITY, u32::MAX));
                    ids[r * k + j] = id;
                    dists[r * k + j] = d;
                }
            }
            total
        });
        // A file cut short while it was read: what the scan read past its end was zeros, not the index.
        if let Some(file) = &self.file {
            file.check_unchanged()?;
        }
        Ok(counts.into_iter().sum())
    }

    /// Rebuilds an index from saved parts, checking every size, id and value.
    pub fn from_parts(p: IvfParts) -> Result<Ivf, Error> {
        let index = Ivf::new(p.dim, p.metric, p.storage, p.keep, p.centroids, p.seed)?;
        if !p.vectors.iter().chain(p.params).all(|v| v.is_finite()) {
            return Err(invalid("the vectors or factors hold NaN or infinite values"));
        }
        let lists = Lists {
            ids: p.ids.to_vec().into(),
            vectors: p.vectors.to_vec().into(),
            codes: p.codes.to_vec().into(),
            params: p.params.to_vec().into(),
        };
        index.with_lists(p.sizes, lists, None)
    }

    /// Opens an index over a mapped `.vidx` file whose sections start at `at` (byte offsets; the
    /// caller decoded the header and checked the list directory's checksum). The centroids are
    /// copied and the directory (sizes, ids) is checked now; the lists are read from the map
    /// when scanned, rabitq lists packed in FastScan blocks on their first scan. Their values are
    /// not checked here (`index verify` does): a NaN in a list makes a distance NaN, never a crash.
    pub fn open_mapped(map: Arc<Mapping>, shape: MappedShape, at: MappedSections) -> Result<Ivf, Error> {
        let MappedShape { dim, metric, storage, keep, seed, nlist, count } = shape;
        if dim == 0 || dim > MAX_DIM || nlist == 0 {
            return Err(invalid(format!("dim {dim} or nlist {nlist} is out of range")));
        }
        let centroids = map.region::<f32>(at.centroids, nlist.checked_mul(dim).ok_or_else(|| invalid("nlist x dim overflows"))?)?;
        let index = Ivf::new(dim, metric, storage, keep, &centroids, seed)?;
        let sizes = map.region::<u32>(at.sizes, nlist)?;
        let wants_vectors = if index.has_vectors() { count.checked_mul(dim) } else { Some(0) };
        let (codes, params) = (count.checked_mul(index.code_bytes()), count.checked_mul(index.factors()));
        let (Some(wants_vectors), Some(codes), Some(params)) = (wants_vectors, codes, params) else {
            return Err(invalid(format!("{count} vectors overflow the address space")));
        };
        let lists = Lists {
            ids: map.region(at.ids, count)?,
            vectors: map.region(at.vectors, wants_vectors)?,
            codes: map.region(at.codes, codes)?,
            params: map.region(at.params, params)?,
        };
        index.with_lists(&sizes, lists, Some(Arc::clone(&map)))
    }

    /// Takes the lists of an empty index: checks that `sizes` add up to what `lists` hold and that
    /// the ids are 0..n each once, then derives each list's `ListAux` (now, or on first use when
    /// `file` maps the lists).
    fn with_lists(mut self, sizes: &[u32], lists: Lists, file: Option<Arc<Mapping>>) -> Result<Ivf, Error> {
        let nlist = self.nlist();
        if sizes.len() != nlist {
            return Err(invalid(format!("the list directory holds {} lists, the centroids {nlist}", sizes.len())));
        }
        let n: usize = sizes.iter().map(|&s| s as usize).sum();
        let want_vectors = if self.has_vectors() { n * self.dim } else { 0 };
        if lists.ids.len() != n
            || lists.vectors.len() != want_vectors
            || lists.codes.len() != n * self.code_bytes()
            || lists.params.len() != n * self.factors()
        {
            return Err(invalid(format!(
                "the lists' sizes add up to {n} vectors, but the ids, vectors, codes or factors hold another number"
            )));
        }
        let mut seen = vec![false; n];
        for &id in lists.ids.iter() {
            if id as usize >= n || std::mem::replace(&mut seen[id as usize], true) {
                return Err(invalid(format!("list ids must be 0..{n}, each once; found {id} out of range or twice")));
            }
        }
        for (l, &size) in sizes.iter().enumerate().take(nlist) {
            self.offsets[l + 1] = self.offsets[l] + size as usize;
        }
        (self.ids, self.vectors, self.codes, self.params) = (lists.ids, lists.vectors, lists.codes, lists.params);
        if file.is_some() {
            self.file = file;
        } else {
            self.derive_all();
        }
        Ok(self)
    }

    /// Whether the lists are read from a mapped file.
    pub fn is_mapped(&self) -> bool {
        self.file.is_some()
    }
}

/// The arrays an index's lists are made of, in position order.
struct Lists {
    ids: Region<u32>,
    vectors: Region<f32>,
    codes: Region<u8>,
    params: Region<f32>,
}

/// What `Ivf::open_mapped` needs from a file's header.
pub struct MappedShape {
    pub dim: usize,
    pub metric: IndexMetric,
    pub storage: Storage,
    pub keep: bool,
    pub seed: u64,
    pub nlist: usize,
    /// Vectors in the lists.
    pub count: usize,
}

/// Byte offsets of a `.vidx` IVF file's sections (docs/format.md).
pub struct MappedSections {
    pub vectors: usize,
    pub codes: usize,
    pub params: usize,
    pub centroids: usize,
    pub sizes: usize,
    pub ids: usize,
}

/// What a list's scan reads beside its codes, derived from them.
enum ListAux {
    None,
    /// rabitq: the codes in FastScan blocks.
    Packed(Vec<u8>),
    /// int8: each row's `int8::norm`.
    Norms(Vec<f64>),
}

/// One query encoded for the lists (`Ivf::encode_query`).
enum Encoded {
    Int8 { codes: Vec<i8>, scale: f32, norm: f64 },
    Rabitq(Rotated),
}

/// One query rotated for rabitq lists (`Ivf::encode_query`), with scratch for each list's v.
struct Rotated {
    rq: Vec<f64>,
    shared: Option<(Prepared, Tables)>,
    v: Vec<f64>,
}

/// Queries whose coarse scores the batch path holds at once.
const COARSE_BLOCK: usize = 96;

/// Candidates beyond k that the batch path over f32 lists measures exactly (its scores come from
/// the matrix kernel, whose rounding differs from the pair kernel's), as exact search does.
const MARGIN: usize = 16;

/// One candidate: its estimate (or distance), its position, and the estimate's error bound.
#[derive(Clone, Copy)]
struct Candidate {
    d: f32,
    pos: u32,
    bound: f32,
}

/// Offers tested together by `Shortlist::offer`.
const GROUP: usize = 8;

/// A shortlist is cut back to its `cap` when it holds `SLACK` times that.
const SLACK: usize = 4;

/// The `cap` candidates of least (estimate, position) among all those offered. Offers are appended while they can still make it (at most the
/// `cap`-th estimate so far), and cut back to `cap` when they reach `SLACK` times that: linear time,
/// where a heap paid a sift for each of the many early offers.
struct Shortlist {
    cap: usize,
    /// The scores are the matrix kernel's (the batch path over f32 lists), to be measured again.
    approximate: bool,
    items: Vec<Candidate>,
    /// The `cap`-th least estimate after the last cut (+inf before).
    bar: f32,
}

impl Shortlist {
    fn new(cap: usize) -> Shortlist {
        Shortlist { cap, approximate: false, items: Vec::with_capacity(SLACK * cap), bar: f32::INFINITY }
    }

    /// Offers `dists[i]` at position `first + i`, with its error bound `bound(i)`.
    #[inline(always)]
    fn offer(&mut self, dists: &[f32], first: u32, bound: impl Fn(usize) -> f32) {
        // Once the bar has come down most offers miss it: eight at a time are tested in one
        // branch-free step (vectorized), and only a group that holds a candidate is looked at.
        let rest = dists.len() / GROUP * GROUP;
        for (g, ds) in dists.chunks_exact(GROUP).enumerate() {
            let ds: &[f32; GROUP] = ds.try_into().expect("chunks_exact gives whole groups");
            // `!(d > bar)`, not `d <= bar`: a NaN estimate is offered too, and the exact pass decides.
            #[allow(clippy::neg_cmp_op_on_partial_ord)]
            let any = ds.iter().fold(false, |any, &d| any | !(d > self.bar));
            if any {
                self.offer_each(ds, first, g * GROUP, &bound);
            }
        }
        self.offer_each(&dists[rest..], first, rest, &bound);
    }

    /// Offers `dists[i]` at position `first + at + i`, with its bound `bound(at + i)`.
    #[inline(always)]
    fn offer_each(&mut self, dists: &[f32], first: u32, at: usize, bound: &impl Fn(usize) -> f32) {
        for (i, &d) in dists.iter().enumerate() {
            let d = if d.is_nan() { f32::INFINITY } else { d };
            if d <= self.bar {
                self.items.push(Candidate { d, pos: first + (at + i) as u32, bound: bound(at + i) });
                if self.items.len() >= SLACK * self.cap {
                    self.cut();
                }
            }
        }
    }

    /// The sort key: by estimate, then position (no NaN here; -0 and +0 count as equal, as in the
    /// js baseline). One integer, so selection compares without branching on float order.
    #[inline(always)]
    fn key(c: &Candidate) -> u64 {
        // +0 for -0; then the float's bits in an order that integers keep (negatives flipped).
        let bits = (c.d + 0.0).to_bits();
        let ordered = if bits >> 31 == 1 { !bits } else { bits | 1 << 31 };
        (ordered as u64) << 32 | c.pos as u64
    }

    fn cut(&mut self) {
        if self.items.len() > self.cap {
            self.items.select_nth_unstable_by_key(self.cap - 1, Shortlist::key);
            self.items.truncate(self.cap);
            self.bar = self.items.iter().fold(f32::NEG_INFINITY, |m, c| m.max(c.d));
        }
    }

    /// The candidates in order.
    fn into_sorted(mut self) -> Vec<Candidate> {
        self.cut();
        self.items.sort_unstable_by_key(Shortlist::key);
        self.items
    }
}

/// Per-thread scratch for scanning lists.
#[derive(Default)]
struct Scan {
    coarse: Vec<f32>,
    dists: Vec<f32>,
    bounds: Vec<f32>,
}
