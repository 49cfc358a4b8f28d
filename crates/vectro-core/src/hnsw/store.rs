//! What an HNSW index keeps per node, and the distances it measures on it.
//!
//! | storage | per node | distance between a query and a node |
//! | --- | --- | --- |
//! | `f32` | the vector | l2sq, or `1 - a.b` (ip; cosine on unit vectors) |
//! | `int8` | codes and scale of the int8 scheme (docs/quantization.md) | the same, from the exact integer dot product of the codes (VNNI where the CPU has it) |
//! | `binary` | bits of the binary scheme, against a center fixed before the first add | hamming |
//! | `rabitqB` | RaBitQ codes and factors (quant/rabitq.rs), against a rotation and center fixed before the first add; rabitq4's codes as nibbles (quant/nibble.rs) | the estimator, from the prepared query |
//!
//! rabitq graphs are built on float32 node vectors: the kept vectors, or else the codes'
//! reconstructions (held while the index is in memory, rebuilt on load; never saved). A search
//! measures the estimate; with kept vectors, its rerank re-scores a candidate only while its lower
//! bound (estimate - eps0 bound) can still beat the k-th exact distance.
//!
//! The query is encoded like the nodes. Cosine vectors are normalised before they are encoded.
//! int8 distances are finished in float64 from the scales: l2 as `na + nb - 2 sa sb (a.b)`
//! (clamped at 0) with `n = s^2 sum(c^2)`, ip and cosine as `1 - sa sb (a.b)`, rounded once to
//! float32, so the TypeScript baseline reproduces them exactly. With `keep`, int8 and binary
//! indexes also keep the (normalised) float32 vectors, to re-score candidates exactly.
//!
//! Memory layout, measured on 100,000 x 128 (int8 search went from 0.9x to about 1.4x the QPS of
//! f32 with it): codes start on a cache line, so a 128-byte row is two lines, not three; an int8
//! node's scale and `n` are one 16-byte entry of their own array (1.6 MB, mostly in L2); and a
//! search prefetches both before it measures.

use crate::distance::{f32_two_rows, kernels, prefetch, TwoRows};
use crate::error::{invalid, Error};
use crate::flat::IndexMetric;
use crate::quant::int8::{self, as_i8};
use crate::quant::nibble::{self, NibbleQuery};
use crate::quant::rabitq::{self, Estimate, Prepared, DEFAULT_EPS0};
use crate::quant::rotation::padded_dim;
use crate::quant::{decode, encode, Scheme};
use crate::simd;
pub use crate::storage::Storage;

/// A query (or a node, while inserting) encoded like the nodes.
pub(super) enum Query {
    F32(Vec<f32>),
    Int8 { codes: Vec<i8>, scale: f32, norm: f64 },
    Bits(Vec<u8>),
    Rabitq(Box<RabitqQuery>),
}

/// A query prepared for rabitq nodes; with the nibble layout of 4-bit codes beside it.
pub(super) struct RabitqQuery {
    prepared: Prepared,
    nibbles: Option<NibbleQuery>,
}

pub(super) struct Store {
    pub storage: Storage,
    pub metric: IndexMetric,
    pub dim: usize,
    /// f32: the vectors; int8 and binary: the kept vectors (empty unless `keep`).
    pub vectors: Vec<f32>,
    pub keep: bool,
    /// `storage.code_bytes(dim)`, read on every distance.
    code_bytes: usize,
    /// int8 codes, binary bits or rabitq bit-planes (rabitq4: nibbles), `code_bytes` per node, from a
    /// cache-line boundary.
    rows: Lines,
    /// int8: each node's scale and `scale^2 * sum(code^2)` (derived, not saved).
    meta: Vec<Int8Meta>,
    /// binary: the per-dimension center the bits are taken against; rabitq: its parameter words.
    pub center: Vec<f32>,
    /// rabitq: the rotation and center, each node's factors, and (without kept vectors) the codes'
    /// reconstructions the graph is built on.
    rabitq: Option<rabitq::Block>,
    factors: Vec<[f32; 3]>,
    recon: Vec<f32>,
    f32_kernel: unsafe fn(&[f32], &[f32]) -> f32,
    /// `f32_kernel` for two rows in one pass, where the level has it.
    f32_two: Option<TwoRows>,
    i8_dot: unsafe fn(&[i8], &[i8]) -> f32,
    hamming: unsafe fn(&[u8], &[u8]) -> f32,
}

#[derive(Clone, Copy)]
#[repr(C, align(16))]
struct Int8Meta {
    scale: f32,
    norm: f64,
}

#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Line([u8; 64]);

/// A growable byte buffer that starts on a 64-byte boundary.
#[derive(Default)]
struct Lines {
    lines: Vec<Line>,
    len: usize,
}

impl Lines {
    fn bytes(&self) -> &[u8] {
        // SAFETY: `lines` holds at least `len` initialised bytes; u8 has no alignment needs.
        unsafe { std::slice::from_raw_parts(self.lines.as_ptr() as *const u8, self.len) }
    }

    fn extend(&mut self, b: &[u8]) {
        let len = self.len + b.len();
        self.lines.resize(len.div_ceil(64), Line([0; 64]));
        // SAFETY: `lines` now spans at least `len` bytes, and `b` is not inside it (&mut self).
        unsafe { std::ptr::copy_nonoverlapping(b.as_ptr(), (self.lines.as_mut_ptr() as *mut u8).add(self.len), b.len()) };
        self.len = len;
    }
}

impl Store {
    pub fn new(dim: usize, metric: IndexMetric, storage: Storage, keep: bool) -> Result<Store, Error> {
        if keep && storage == Storage::F32 {
            return Err(invalid("keeping vectors applies to int8 and binary storage (f32 indexes hold their vectors already)"));
        }
        let k = kernels(simd::level());
        Ok(Store {
            storage,
            metric,
            dim,
            vectors: Vec::new(),
            keep,
            code_bytes: storage.code_bytes(dim),
            rows: Lines::default(),
            meta: Vec::new(),
            center: Vec::new(),
            rabitq: None,
            factors: Vec::new(),
            recon: Vec::new(),
            f32_kernel: k.f32_pair[if metric == IndexMetric::L2 { 0 } else { 1 }],
            f32_two: f32_two_rows(simd::level(), metric == IndexMetric::L2),
            i8_dot: k.i8_pair[1],
            hamming: k.hamming_pair,
        })
    }

    pub fn len(&self) -> usize {
        match self.storage {
            Storage::F32 => self.vectors.len() / self.dim,
            _ => self.rows.len / self.code_bytes,
        }
    }

    /// Whether exact float32 distances can be measured (f32 storage, or kept vectors).
    pub fn has_vectors(&self) -> bool {
        self.storage == Storage::F32 || self.keep
    }

    /// Sets binary's center, or rabitq's parameter words (before any node is added).
    pub fn set_center(&mut self, center: &[f32]) -> Result<(), Error> {
        if self.len() > 0 {
            return Err(invalid("the center is fixed once vectors are added"));
        }
        if let Storage::Rabitq(_) = self.storage {
            self.rabitq = Some(rabitq::read_block(center, self.dim).map_err(invalid)?);
            self.center = center.to_vec();
            return Ok(());
        }
        if self.storage != Storage::Binary {
            return Err(invalid("only binary and rabitq storage have a center"));
        }
        if center.len() != self.dim || !center.iter().all(|c| c.is_finite()) {
            return Err(invalid(format!("the center must hold {} finite values", self.dim)));
        }
        self.center = center.to_vec();
        Ok(())
    }

    /// Appends `x` to `out`, normalised for cosine (a zero vector stays zero), as it is otherwise.
    pub fn prepare(&self, x: &[f32], out: &mut Vec<f32>) {
        crate::flat::prepare_row(self.metric, x, out)
    }

    /// Prepares, encodes and appends rows (finite values, whole rows: checked by the caller).
    pub fn push(&mut self, x: &[f32]) -> Result<(), Error> {
        let mut prepared = Vec::with_capacity(x.len());
        for row in x.chunks_exact(self.dim) {
            self.prepare(row, &mut prepared);
        }
        if let Some(scheme) = self.storage.scheme() {
            if scheme.file_params(self.dim) > 0 && self.center.is_empty() {
                return Err(invalid(format!("{} storage needs its center before vectors are added", scheme.name())));
            }
            let rows = x.len() / self.dim;
            let (mut codes, mut params) = (vec![0u8; rows * scheme.code_bytes(self.dim)], vec![0f32; rows * scheme.vector_params()]);
            if let Some(r) = encode(scheme, &prepared, self.dim, &self.center, &mut codes, &mut params, 1)? {
                return Err(invalid(format!("vector {r} is too far from the center to encode (float32 overflow)")));
            }
            match self.storage {
                Storage::Int8 => self.push_int8(&codes, &params),
                Storage::Rabitq(_) => {
                    if !self.keep {
                        let mut recon = vec![0f32; prepared.len()];
                        decode(scheme, &codes, &params, &self.center, self.dim, &mut recon, 1)?;
                        self.recon.extend_from_slice(&recon);
                    }
                    self.push_rabitq(&codes, &params);
                }
                _ => self.rows.extend(&codes),
            }
        } else {
            self.vectors.extend_from_slice(&prepared);
        }
        if self.keep {
            self.vectors.extend_from_slice(&prepared);
        }
        Ok(())
    }

    /// rabitq codes (bit-planes, as saved) and factors; 4-bit codes are kept as nibbles.
    fn push_rabitq(&mut self, codes: &[u8], factors: &[f32]) {
        if self.nibble_layout() {
            let (p, cb) = (padded_dim(self.dim), self.code_bytes);
            let mut nib = vec![0u8; cb];
            for planes in codes.chunks_exact(cb) {
                nibble::from_planes(p, planes, &mut nib);
                self.rows.extend(&nib);
            }
        } else {
            self.rows.extend(codes);
        }
        self.factors.extend(factors.chunks_exact(rabitq::FACTORS).map(|c| [c[0], c[1], c[2]]));
    }

    /// Whether the codes in memory are nibbles (`quant/nibble.rs`): rabitq4, where they measure
    /// several times faster than bit-planes, in the same bytes.
    fn nibble_layout(&self) -> bool {
        self.storage == Storage::Rabitq(4)
    }

    fn push_int8(&mut self, codes: &[u8], scales: &[f32]) {
        self.rows.extend(codes);
        self.meta.extend(codes.chunks_exact(self.dim).zip(scales).map(|(c, &scale)| Int8Meta { scale, norm: int8::norm(c, scale) }));
    }

    /// Every node's codes as saved, one after another (empty for f32): int8 codes, binary bits,
    /// rabitq bit-planes.
    pub fn codes(&self) -> Vec<u8> {
        if !self.nibble_layout() {
            return self.rows.bytes().to_vec();
        }
        let (p, cb) = (padded_dim(self.dim), self.code_bytes);
        let mut out = vec![0u8; self.rows.len];
        for (nib, planes) in self.rows.bytes().chunks_exact(cb).zip(out.chunks_exact_mut(cb)) {
            nibble::to_planes(p, nib, planes);
        }
        out
    }

    /// int8: every node's scale; rabitq: its three factors (empty otherwise).
    pub fn scales(&self) -> Vec<f32> {
        match self.storage {
            Storage::Rabitq(_) => self.factors.iter().flatten().copied().collect(),
            _ => self.meta.iter().map(|m| m.scale).collect(),
        }
    }

    /// Encodes a query like the nodes.
    pub fn encode(&self, q: &[f32]) -> Query {
        let mut prepared = Vec::with_capacity(self.dim);
        self.prepare(q, &mut prepared);
        let cb = self.code_bytes;
        match self.storage {
            Storage::F32 => Query::F32(prepared),
            Storage::Int8 => {
                let (mut codes, mut scale) = (vec![0u8; cb], [0f32]);
                // Queries are checked finite by the caller, so encoding cannot fail.
                let _ = encode(Scheme::INT8, &prepared, self.dim, &[], &mut codes, &mut scale, 1);
                let norm = int8::norm(&codes, scale[0]);
                Query::Int8 { codes: as_i8(&codes).to_vec(), scale: scale[0], norm }
            }
            Storage::Binary => {
                let (mut codes, mut s) = (vec![0u8; cb], [0f32]);
                let _ = encode(Scheme::BINARY, &prepared, self.dim, &self.center, &mut codes, &mut s, 1);
                Query::Bits(codes)
            }
            Storage::Rabitq(bits) => {
                // The block is set before the first node, and a search of an empty index stops before this.
                let block = self.rabitq.as_ref().expect("rabitq block");
                let (bits, l2) = (bits as usize, self.metric == IndexMetric::L2);
                let query = if self.nibble_layout() {
                    let prepared = Prepared::without_tables(bits, &prepared, block, l2);
                    RabitqQuery { nibbles: Some(prepared.nibble_query(simd::level())), prepared }
                } else {
                    RabitqQuery { prepared: Prepared::new(bits, &prepared, block, l2), nibbles: None }
                };
                Query::Rabitq(Box::new(query))
            }
        }
    }

    /// Node `id`'s own codes, as a query (to measure from it while inserting).
    pub fn node(&self, id: u32) -> Query {
        let i = id as usize;
        match self.storage {
            Storage::F32 => Query::F32(self.vectors[i * self.dim..(i + 1) * self.dim].to_vec()),
            Storage::Int8 => {
                let Int8Meta { scale, norm } = self.meta[i];
                Query::Int8 { codes: as_i8(self.code(id)).to_vec(), scale, norm }
            }
            Storage::Binary => Query::Bits(self.code(id).to_vec()),
            Storage::Rabitq(_) => Query::F32(self.float_row(id).to_vec()),
        }
    }

    /// `(distance(q, a), distance(q, b))`, float32 queries measuring both rows in one pass.
    #[inline(always)]
    pub fn distance_two(&self, q: &Query, a: u32, b: u32) -> (f32, f32) {
        if let (Query::F32(v), Some(two)) = (q, self.f32_two) {
            // SAFETY: a kernel of the process's level; the query and both rows hold dim values.
            let (x, y) = unsafe { two(v, self.float_row(a), self.float_row(b)) };
            return (self.finish_f32(x), self.finish_f32(y));
        }
        (self.distance(q, a), self.distance(q, b))
    }

    /// The distance between nodes `a` and `b`: `distance(&node(a), b)`, without copying a's codes
    /// (the neighbour selection of every insert measures hundreds of such pairs).
    #[inline(always)]
    pub fn between(&self, a: u32, b: u32) -> f32 {
        // SAFETY (all three): the kernels belong to the process's level; every node's row holds
        // the same number of values.
        match self.storage {
            Storage::F32 | Storage::Rabitq(_) => self.finish_f32(unsafe { (self.f32_kernel)(self.float_row(a), self.float_row(b)) }),
            Storage::Int8 => {
                let dot = unsafe { (self.i8_dot)(as_i8(self.code(a)), as_i8(self.code(b))) };
                let (ma, mb) = (self.meta[a as usize], self.meta[b as usize]);
                int8::distance(self.metric == IndexMetric::L2, dot, (ma.scale, ma.norm), (mb.scale, mb.norm))
            }
            Storage::Binary => unsafe { (self.hamming)(self.code(a), self.code(b)) },
        }
    }

    /// Asks for what `between` reads of node `id`, so that a run of such reads overlaps its misses.
    #[inline(always)]
    pub fn prefetch_node(&self, id: u32) {
        match self.storage {
            Storage::F32 | Storage::Rabitq(_) => self.prefetch_float_row(id),
            _ => self.prefetch_code(id),
        }
    }

    /// The float32 vector node-to-node distances read: the vector (f32 storage, kept vectors),
    /// else rabitq's reconstruction.
    #[inline(always)]
    fn float_row(&self, id: u32) -> &[f32] {
        &self.float_rows()[id as usize * self.dim..(id as usize + 1) * self.dim]
    }

    /// Every node's `float_row`, one after another.
    #[inline(always)]
    fn float_rows(&self) -> &[f32] {
        if self.recon.is_empty() {
            &self.vectors
        } else {
            &self.recon
        }
    }

    /// The float32 rows the graph is built on (f32 and rabitq storage; see `float_row`), every
    /// node's one after another; None for int8 and binary, whose graphs are built on their codes.
    pub fn build_rows(&self) -> Option<&[f32]> {
        match self.storage {
            Storage::F32 | Storage::Rabitq(_) => Some(self.float_rows()),
            _ => None,
        }
    }

    /// rabitq: the error bound of the estimate from query `q` to node `id` (0 for the others).
    #[inline(always)]
    pub fn bound(&self, q: &Query, id: u32) -> f32 {
        match q {
            Query::Rabitq(r) => self.estimate(r, id).bound,
            _ => 0.0,
        }
    }

    /// rabitq's estimate from query `r` to node `id`, on nibbles or on bit-planes.
    #[inline(always)]
    fn estimate(&self, r: &RabitqQuery, id: u32) -> Estimate {
        let (code, f) = (self.code(id), &self.factors[id as usize]);
        match &r.nibbles {
            Some(n) => r.prepared.finish(n.dot(code), f, DEFAULT_EPS0),
            None => r.prepared.estimate(code, f, DEFAULT_EPS0),
        }
    }

    #[inline(always)]
    fn code(&self, id: u32) -> &[u8] {
        let cb = self.code_bytes;
        &self.rows.bytes()[id as usize * cb..(id as usize + 1) * cb]
    }

    #[inline(always)]
    fn vector(&self, id: u32) -> &[f32] {
        &self.vectors[id as usize * self.dim..(id as usize + 1) * self.dim]
    }

    /// Asks for everything a distance from `q` to node `id` reads. A float32 query against rabitq
    /// storage (the build's node-to-node distances) reads the node's float row, not its code.
    #[inline(always)]
    pub fn prefetch(&self, q: &Query, id: u32) {
        match (self.storage, q) {
            (Storage::F32, _) => {
                // The search's hot path: the vector's address without float_row's checks.
                let (addr, bytes) = self.vector_addr(id);
                prefetch(addr, bytes);
            }
            (Storage::Rabitq(_), Query::F32(_)) => self.prefetch_float_row(id),
            _ => {
                self.prefetch_code(id);
                if let Storage::Rabitq(_) = self.storage {
                    prefetch(self.factors.as_ptr().wrapping_add(id as usize) as *const u8, 12);
                }
            }
        }
    }

    #[inline(always)]
    fn prefetch_float_row(&self, id: u32) {
        let row = self.float_row(id);
        prefetch(row.as_ptr() as *const u8, row.len() * 4);
    }

    /// Node `id`'s codes, and for int8 its scale and norm.
    #[inline(always)]
    fn prefetch_code(&self, id: u32) {
        let cb = self.code_bytes;
        prefetch((self.rows.lines.as_ptr() as *const u8).wrapping_add(id as usize * cb), cb);
        if self.storage == Storage::Int8 {
            prefetch(self.meta.as_ptr().wrapping_add(id as usize) as *const u8, 16);
        }
    }

    /// Where node `id`'s float32 vector starts and its bytes (needs `has_vectors`).
    #[inline(always)]
    pub fn vector_addr(&self, id: u32) -> (*const u8, usize) {
        ((self.vectors.as_ptr() as *const u8).wrapping_add(id as usize * self.dim * 4), self.dim * 4)
    }

    /// The distance from an encoded query to node `id`.
    #[inline(always)]
    pub fn distance(&self, q: &Query, id: u32) -> f32 {
        // SAFETY (all three): the kernels belong to the process's supported level, and a query is
        // encoded with the same length as every node's codes.
        match q {
            Query::F32(v) => self.finish_f32(unsafe { (self.f32_kernel)(v, self.float_row(id)) }),
            Query::Rabitq(r) => self.estimate(r, id).distance,
            Query::Int8 { codes, scale, norm } => {
                let dot = unsafe { (self.i8_dot)(codes, as_i8(self.code(id))) };
                let Int8Meta { scale: node_scale, norm: node_norm } = self.meta[id as usize];
                int8::distance(self.metric == IndexMetric::L2, dot, (*scale, *norm), (node_scale, node_norm))
            }
            Query::Bits(b) => unsafe { (self.hamming)(b, self.code(id)) },
        }
    }

    /// The exact float32 distance from a prepared query to node `id` (needs `has_vectors`).
    #[inline(always)]
    pub fn exact(&self, q: &[f32], id: u32) -> f32 {
        // SAFETY: as in `distance`; the prepared query has `dim` values.
        self.finish_f32(unsafe { (self.f32_kernel)(q, self.vector(id)) })
    }

    #[inline(always)]
    fn finish_f32(&self, d: f32) -> f32 {
        if self.metric == IndexMetric::L2 {
            d
        } else {
            1.0 - d
        }
    }

    /// Rebuilds the store from saved parts, checking their sizes and values.
    pub fn load_parts(&mut self, n: usize, vectors: &[f32], codes: &[u8], scales: &[f32], center: &[f32]) -> Result<(), Error> {
        let cb = self.code_bytes;
        let want = |what: &str, got: usize, need: usize| {
            if got == need {
                Ok(())
            } else {
                Err(invalid(format!("{what} hold {got} values, {n} nodes need {need}")))
            }
        };
        want("vectors", vectors.len(), if self.has_vectors() { n * self.dim } else { 0 })?;
        want("codes", codes.len(), if self.storage == Storage::F32 { 0 } else { n * cb })?;
        want("scales", scales.len(), n * self.storage.node_params())?;
        want("center values", center.len(), self.storage.file_params(self.dim))?;
        let is_rabitq = matches!(self.storage, Storage::Rabitq(_));
        // rabitq's words hold a seed, not floats; read_block checks them and its center.
        let floats = if is_rabitq { &[][..] } else { center };
        if !vectors.iter().chain(floats).all(|v| v.is_finite()) {
            return Err(invalid("vectors hold NaN or infinite values"));
        }
        if !scales.iter().all(|s| s.is_finite() && *s >= 0.0) {
            return Err(invalid(if is_rabitq {
                "rabitq factors must be finite and not negative"
            } else {
                "int8 scales must be finite and not negative"
            }));
        }
        self.rabitq = if is_rabitq { Some(rabitq::read_block(center, self.dim).map_err(invalid)?) } else { None };
        self.vectors = vectors.to_vec();
        self.center = center.to_vec();
        self.rows = Lines::default();
        self.meta.clear();
        self.factors.clear();
        self.recon.clear();
        match self.storage {
            Storage::Int8 => self.push_int8(codes, scales),
            Storage::Rabitq(bits) => {
                self.push_rabitq(codes, scales);
                if !self.keep && n > 0 {
                    self.recon = vec![0f32; n * self.dim];
                    decode(Scheme::rabitq(bits as usize), codes, scales, center, self.dim, &mut self.recon, 0)?;
                }
            }
            _ => self.rows.extend(codes),
        }
        Ok(())
    }
}
