//! HNSW (Malkov & Yashunin, 2018): a layered proximity graph searched greedily from the top layer.
//!
//! Parameters, with the paper's names: `m` (M) links per node on the upper layers and `2 * m` (Mmax0)
//! on the bottom one; `ef_construction` (efConstruction), the candidate list while inserting;
//! `ef` at search time; level multiplier mL = 1 / ln(M). hnswlib's defaults are M = 16 and
//! efConstruction = 200. Neighbours are chosen with the paper's heuristic (Algorithm 4, without
//! extending candidates or keeping pruned ones, as hnswlib does). Levels come from a seeded
//! generator, so a one-thread build is deterministic: same input and seed, same graph.
//!
//! Vectors live in one contiguous arena, as float32, int8 codes or bits (see `store`; cosine
//! vectors are normalised and compared by `1 - a.b`). The bottom layer's links are one flat array of
//! `count` slots of `1 + 2m` u32 each (length, then ids); upper layers hold `level * (1 + m)` u32 per
//! node that has them. Every link list is kept in increasing id order, so a graph does not depend on
//! how its inserts were batched, and a saved index searches exactly like the one that wrote it.
//!
//! The int8 guide. An insert's search (efConstruction candidates, about 2,000 distances at 100-d)
//! is bound by memory once the float32 rows outgrow the caches. So once they pass `guide_from`
//! bytes (`GUIDE_FROM_BYTES` by default), inserts search a copy of the rows as int8 codes (the int8
//! scheme's, about a quarter of the bytes) a little wider than efConstruction (`GUIDE_SLACK`), measure
//! the candidates found exactly, and choose and prune neighbours on exact distances among the
//! efConstruction nearest, as before. Measured (docs/index.md): builds 1.46-1.75x faster at 1M x 128
//! on two threads and 1.1-1.2x at 100,000 x 100 on one, with recall at equal ef at or above the
//! unguided graph's; at 20,000 x 96 (7.7 MB of rows, in cache) the guide cost 5-15%, hence the
//! threshold. Which nodes are inserted this way depends only on their position, so a build does not
//! depend on how its adds were batched. The guide stays in memory while the index does (dim + 16
//! bytes per node) and is not saved; a loaded index makes it again on its next add.

mod store;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use crate::distance::prefetch;
use crate::error::{invalid, Error};
use crate::flat::IndexMetric;
use crate::parallel::{rows_per_block, run_blocks};
use crate::quant::MAX_DIM;
pub use store::Storage;
use store::{Query, Store};

/// Float32 row bytes from which inserts search the int8 guide (see the module comment): past
/// the L2 caches and a good part of an L3, where the rows stop fitting.
pub const GUIDE_FROM_BYTES: usize = 16 << 20;

/// A guided insert searches `efConstruction * (1 + 1 / GUIDE_SLACK)` candidates, to make up for the
/// codes' ranking errors: at 1M x 128 (l2) without it, recall at ef 64 fell by 0.0025; with it,
/// recall at equal ef is at or above the unguided build's (docs/index.md).
const GUIDE_SLACK: usize = 8;

/// Highest level a node can get (about 1 in M^16 nodes would pass it).
pub const MAX_LEVEL: usize = 15;

/// Largest efConstruction (and search ef) vectro takes: far above any useful setting, low enough
/// that a corrupt file or a typo cannot ask for an absurd amount of work.
pub const MAX_EF: usize = 100_000;

/// A distance with a total order, for heaps.
#[derive(Clone, Copy, PartialEq)]
struct Near(f32, u32);
impl Eq for Near {}
impl PartialOrd for Near {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Near {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0).then(self.1.cmp(&other.1))
    }
}

/// Buffers one search (or insert) reuses: visited marks, the two heaps, unvisited neighbours.
pub struct Scratch {
    visited: Visited,
    candidates: BinaryHeap<Reverse<Near>>,
    found: BinaryHeap<Near>,
    fresh: Vec<u32>,
    links: Vec<u32>,
}

impl Scratch {
    pub fn new(n: usize) -> Scratch {
        Scratch { visited: Visited::new(n), candidates: BinaryHeap::new(), found: BinaryHeap::new(), fresh: Vec::new(), links: Vec::new() }
    }
}

/// Read access to the link lists: the index itself (searches), or `RawGraph` while inserting.
trait Graph {
    /// Copies the links of `id` on `layer` into `buf`.
    fn read(&self, id: u32, layer: usize, buf: &mut Vec<u32>);
    /// Where `id`'s bottom-layer slot starts, to prefetch it.
    fn slot0_addr(&self, id: u32) -> *const u8;
}

/// Link storage while inserting, through raw pointers so that threads can write the slots of
/// different nodes at once. With `LOCKED`, every read and update of a node's slot holds that node's
/// lock (parallel builds); without, nothing is locked (one thread, which owns the index).
struct RawGraph<'a, const LOCKED: bool> {
    links0: *mut u32,
    upper: Vec<*mut u32>,
    slot0: usize,
    slot: usize,
    locks: &'a [Mutex<()>],
}

// SAFETY: slots are only touched under their node's lock (LOCKED) or by one thread (!LOCKED).
unsafe impl<const LOCKED: bool> Sync for RawGraph<'_, LOCKED> {}

impl<const LOCKED: bool> RawGraph<'_, LOCKED> {
    /// The slot (count, then ids) of `id` on `layer`.
    ///
    /// # Safety
    /// The caller holds `id`'s lock (LOCKED) or is the only thread; no other reference to the slot lives.
    #[allow(clippy::mut_from_ref)]
    unsafe fn slot(&self, id: u32, layer: usize) -> &mut [u32] {
        if layer == 0 {
            std::slice::from_raw_parts_mut(self.links0.add(id as usize * self.slot0), self.slot0)
        } else {
            std::slice::from_raw_parts_mut(self.upper[id as usize].add((layer - 1) * self.slot), self.slot)
        }
    }

    fn lock(&self, id: u32) -> Option<MutexGuard<'_, ()>> {
        LOCKED.then(|| self.locks[id as usize].lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Runs `f` on the slot of `id` on `layer`, exclusively.
    fn update<R>(&self, id: u32, layer: usize, f: impl FnOnce(&mut [u32]) -> R) -> R {
        let _guard = self.lock(id);
        // SAFETY: exclusive under the guard (or one thread).
        f(unsafe { self.slot(id, layer) })
    }
}

impl<const LOCKED: bool> Graph for RawGraph<'_, LOCKED> {
    fn read(&self, id: u32, layer: usize, buf: &mut Vec<u32>) {
        self.update(id, layer, |slot| {
            buf.clear();
            buf.extend_from_slice(&slot[1..1 + slot[0] as usize]);
        })
    }

    fn slot0_addr(&self, id: u32) -> *const u8 {
        self.links0.wrapping_add(id as usize * self.slot0) as *const u8
    }
}

impl Graph for Hnsw {
    fn read(&self, id: u32, layer: usize, buf: &mut Vec<u32>) {
        buf.clear();
        buf.extend_from_slice(self.links(id, layer));
    }

    fn slot0_addr(&self, id: u32) -> *const u8 {
        self.links0[id as usize * (1 + self.m0())..].as_ptr() as *const u8
    }
}

/// The entry point and the top level, shared by inserting threads.
type Top = Mutex<(Option<u32>, usize)>;

/// Marks of visited nodes for one search, cleared in O(1) by bumping a generation. The marks are
/// u16 (as hnswlib's): at 100,000 nodes that is 200 KB, which stays in L2 where u32 marks did not.
pub struct Visited {
    marks: Vec<u16>,
    generation: u16,
}

impl Visited {
    pub fn new(n: usize) -> Visited {
        Visited { marks: vec![0; n], generation: 0 }
    }

    fn reset(&mut self, n: usize) {
        if self.marks.len() < n {
            self.marks.resize(n, 0);
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.marks.fill(0);
            self.generation = 1;
        }
    }

    /// Marks `id`; true if it was not marked yet.
    #[inline(always)]
    fn first_visit(&mut self, id: u32) -> bool {
        let m = &mut self.marks[id as usize];
        let fresh = *m != self.generation;
        *m = self.generation;
        fresh
    }
}

pub struct Hnsw {
    store: Store,
    m: usize,
    ef_construction: usize,
    level_mult: f64,
    rng: u64,
    levels: Vec<u8>,
    links0: Vec<u32>,
    upper: Vec<Vec<u32>>,
    entry: Option<u32>,
    max_level: usize,
    /// f32 and rabitq storage: int8 codes of every node, which inserts past `guide_from` bytes of
    /// rows search (the module comment's int8 guide).
    guide: Option<Store>,
    guide_from: usize,
    /// Scratch buffers of finished searches, reused by the next ones: a search's visited marks
    /// span every node, and allocating them per query cost more than the search itself on small
    /// queries (one query per call at 100,000 nodes: 400 KB zeroed each time).
    pool: Mutex<Vec<Scratch>>,
}

/// The parts of an index, as saved in a file: what the accessors (`vectors`, `levels`, `links0`,
/// `upper_links`, `entry`, `params`) return and what `Hnsw::from_parts` checks and reads back.
pub struct HnswParts<'a> {
    pub dim: usize,
    pub metric: IndexMetric,
    pub storage: Storage,
    pub keep: bool,
    pub m: usize,
    pub ef_construction: usize,
    pub rng: u64,
    /// f32 storage: the vectors; int8 and binary: the kept vectors (empty without `keep`).
    pub vectors: &'a [f32],
    /// int8 codes or binary bits (empty for f32).
    pub codes: &'a [u8],
    /// int8 scales (empty otherwise).
    pub scales: &'a [f32],
    /// binary center (empty otherwise).
    pub center: &'a [f32],
    pub levels: &'a [u8],
    pub links0: &'a [u32],
    /// Upper layers of every node with level > 0, in node order, `level * (1 + m)` each.
    pub upper: &'a [u32],
    pub entry: Option<u32>,
}

impl Hnsw {
    /// An empty index. `keep` (int8 and binary only) also stores the float32 vectors, so that
    /// searches can re-score their candidates exactly.
    pub fn new(
        dim: usize,
        metric: IndexMetric,
        storage: Storage,
        keep: bool,
        m: usize,
        ef_construction: usize,
        seed: u64,
    ) -> Result<Hnsw, Error> {
        if dim == 0 || dim > MAX_DIM {
            return Err(invalid(format!("dim must be between 1 and {MAX_DIM}, got {dim}")));
        }
        if !(2..=256).contains(&m) {
            return Err(invalid(format!(
                "M must be between 2 and 256 (with fewer than 2 links the graph degenerates into chains), got {m}"
            )));
        }
        if !(1..=MAX_EF).contains(&ef_construction) {
            return Err(invalid(format!("efConstruction must be between 1 and {MAX_EF}, got {ef_construction}")));
        }
        Ok(Hnsw {
            store: Store::new(dim, metric, storage, keep)?,
            m,
            ef_construction,
            level_mult: 1.0 / (m as f64).ln(),
            rng: seed,
            levels: Vec::new(),
            links0: Vec::new(),
            upper: Vec::new(),
            entry: None,
            max_level: 0,
            guide: None,
            guide_from: GUIDE_FROM_BYTES,
            pool: Mutex::new(Vec::new()),
        })
    }

    pub fn len(&self) -> usize {
        self.levels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    pub fn dim(&self) -> usize {
        self.store.dim
    }

    pub fn storage(&self) -> Storage {
        self.store.storage
    }

    /// Whether float32 vectors are kept beside int8 or binary codes.
    pub fn keeps_vectors(&self) -> bool {
        self.store.keep
    }

    /// Fixes binary storage's per-dimension center (before the first add). vectro passes the mean
    /// of the vectors it is about to add, as the binary quantization scheme does.
    pub fn set_center(&mut self, center: &[f32]) -> Result<(), Error> {
        self.store.set_center(center)
    }

    /// Sets the row bytes from which inserts search the int8 guide (0: every insert; usize::MAX:
    /// none). Not saved: a loaded index uses `GUIDE_FROM_BYTES`.
    pub fn set_guide_from(&mut self, bytes: usize) {
        self.guide_from = bytes;
    }

    /// Whether node `id` is inserted by searching the int8 guide: its storage builds on float32
    /// rows, and the rows up to its own pass `guide_from` bytes.
    fn guided(&self, id: u32) -> bool {
        self.store.build_rows().is_some() && (id as usize + 1).saturating_mul(self.dim() * 4) > self.guide_from
    }

    /// Brings the guide up to every node stored. Cosine rows are unit vectors already: the guide
    /// measures them by `1 - a.b` as they are.
    fn extend_guide(&mut self) -> Result<(), Error> {
        let (dim, metric) = (self.dim(), self.store.metric);
        let rows = self.store.build_rows().expect("guided storage builds on float rows");
        let guide = match &mut self.guide {
            Some(guide) => guide,
            None => self.guide.insert(Store::new(
                dim,
                if metric == IndexMetric::Cosine { IndexMetric::Ip } else { metric },
                Storage::Int8,
                false,
            )?),
        };
        // In blocks: `push` copies what it is given before encoding it.
        for block in rows[guide.len() * dim..].chunks(4096 * dim) {
            guide.push(block)?;
        }
        Ok(())
    }

    fn m0(&self) -> usize {
        2 * self.m
    }

    /// SplitMix64 step, then a level with P(level >= l) = M^-l.
    fn random_level(&mut self) -> usize {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let uniform = ((z >> 11) + 1) as f64 / (1u64 << 53) as f64; // (0, 1]
        ((-uniform.ln() * self.level_mult) as usize).min(MAX_LEVEL)
    }

    fn links(&self, id: u32, layer: usize) -> &[u32] {
        let slot = if layer == 0 {
            &self.links0[id as usize * (1 + self.m0())..(id as usize + 1) * (1 + self.m0())]
        } else {
            &self.upper[id as usize][(layer - 1) * (1 + self.m)..layer * (1 + self.m)]
        };
        &slot[1..1 + slot[0] as usize]
    }

    /// Greedy walk on one layer from `entry` to a local minimum.
    #[allow(clippy::too_many_arguments)] // the walk's state, passed apart so the hot loop borrows each once
    fn greedy<G: Graph>(
        &self,
        store: &Store,
        g: &G,
        q: &Query,
        mut best: Near,
        layer: usize,
        links: &mut Vec<u32>,
        count: &mut u64,
    ) -> Near {
        loop {
            let mut moved = false;
            g.read(best.1, layer, links);
            for &n in links.iter() {
                let d = store.distance(q, n);
                *count += 1;
                if d < best.0 {
                    best = Near(d, n);
                    moved = true;
                }
            }
            if !moved {
                return best;
            }
        }
    }

    /// Best-first search of one layer with a candidate list of `ef`; leaves the `ef` nearest found
    /// in `scratch.found`.
    #[allow(clippy::too_many_arguments)] // the walk's state, passed apart so the hot loop borrows each once
    fn search_layer<G: Graph>(
        &self,
        store: &Store,
        g: &G,
        q: &Query,
        entry: Near,
        ef: usize,
        layer: usize,
        scratch: &mut Scratch,
        count: &mut u64,
    ) {
        let Scratch { visited, candidates, found, fresh, links } = scratch;
        visited.reset(self.len());
        visited.first_visit(entry.1);
        candidates.clear();
        found.clear();
        candidates.push(Reverse(entry));
        found.push(entry);
        while let Some(Reverse(c)) = candidates.pop() {
            if c.0 > found.peek().unwrap().0 && found.len() >= ef {
                break;
            }
            if let (0, Some(Reverse(next))) = (layer, candidates.peek()) {
                // The next candidate's link list is the next miss on this path: ask for it now.
                prefetch(g.slot0_addr(next.1), (1 + self.m0()) * 4);
            }
            // Unvisited neighbours: their vectors are all requested before any is measured, so
            // the cache misses overlap instead of following one another.
            fresh.clear();
            g.read(c.1, layer, links);
            for &n in links.iter() {
                if visited.first_visit(n) {
                    store.prefetch(q, n);
                    fresh.push(n);
                }
            }
            // Two rows a kernel call where the store can (float32 rows, each query value loaded
            // once for both); the same values, taken in the same order.
            for two in fresh.chunks(2) {
                let ds = match *two {
                    [a, b] => <[f32; 2]>::from(store.distance_two(q, a, b)),
                    _ => [store.distance(q, two[0]), 0.0],
                };
                for (&n, &d) in two.iter().zip(&ds) {
                    *count += 1;
                    if found.len() < ef || d < found.peek().unwrap().0 {
                        candidates.push(Reverse(Near(d, n)));
                        found.push(Near(d, n));
                        if found.len() > ef {
                            found.pop();
                        }
                    }
                }
            }
        }
    }

    /// The paper's heuristic: keep a candidate (nearest first) unless it is nearer to an already
    /// kept neighbour than to the base point, up to `limit`. Returns the kept ids in increasing order.
    fn select(&self, mut candidates: Vec<Near>, limit: usize) -> Vec<u32> {
        candidates.sort_unstable();
        let mut kept: Vec<u32> = if candidates.len() <= limit {
            candidates.into_iter().map(|c| c.1).collect()
        } else {
            let mut kept: Vec<u32> = Vec::with_capacity(limit);
            for c in candidates {
                if kept.len() >= limit {
                    break;
                }
                if kept.iter().all(|&k| self.store.between(c.1, k) >= c.0) {
                    kept.push(c.1);
                }
            }
            kept
        };
        kept.sort_unstable();
        kept
    }

    /// Inserts rows of `x` (row-major, `dim` wide) on `threads` threads (0 = all). With one thread
    /// the result depends only on the input and the seed; with more, nodes are inserted
    /// concurrently (per-node locks, as hnswlib does), which changes the graph but not its quality.
    /// Every node's level is drawn up front, in order, so levels never depend on the thread count.
    pub fn add(&mut self, x: &[f32], threads: usize) -> Result<(), Error> {
        let dim = self.dim();
        if !x.len().is_multiple_of(dim) {
            return Err(invalid(format!("{} values are not whole vectors of dim {dim}", x.len())));
        }
        if !x.iter().all(|v| v.is_finite()) {
            return Err(invalid("vectors hold NaN or infinite values"));
        }
        if self.len() + x.len() / dim > u32::MAX as usize {
            return Err(invalid("an index holds at most 2^32 - 1 vectors"));
        }
        let first = self.len();
        self.store.push(x)?;
        if self.guided(self.store.len().saturating_sub(1) as u32) {
            self.extend_guide()?;
        }
        for _ in 0..x.len() / dim {
            let level = self.random_level();
            self.levels.push(level as u8);
            self.links0.resize(self.links0.len() + 1 + self.m0(), 0);
            self.upper.push(vec![0; level * (1 + self.m)]);
        }
        let n = self.len();
        let threads = if threads == 0 { crate::parallel::available_threads() } else { threads };
        let threads = threads.min((n - first) / 64).max(1);
        let top: Top = Mutex::new((self.entry, self.max_level));
        let locks: Vec<Mutex<()>> = if threads > 1 { (0..n).map(|_| Mutex::new(())).collect() } else { Vec::new() };
        let (links0, upper) = (self.links0.as_mut_ptr(), self.upper.iter_mut().map(|u| u.as_mut_ptr()).collect::<Vec<_>>());
        let (slot0, slot) = (1 + self.m0(), 1 + self.m);
        let this = &*self;
        if threads == 1 {
            let g = RawGraph::<false> { links0, upper, slot0, slot, locks: &locks };
            let mut scratch = Scratch::new(n);
            for id in first..n {
                this.insert(&g, &top, id as u32, &mut scratch);
            }
        } else {
            let g = RawGraph::<true> { links0, upper, slot0, slot, locks: &locks };
            let next = AtomicUsize::new(first);
            std::thread::scope(|scope| {
                for _ in 0..threads {
                    scope.spawn(|| {
                        let mut scratch = Scratch::new(n);
                        loop {
                            let id = next.fetch_add(1, Ordering::Relaxed);
                            if id >= n {
                                break;
                            }
                            this.insert(&g, &top, id as u32, &mut scratch);
                        }
                    });
                }
            });
        }
        let (entry, max_level) = top.into_inner().unwrap_or_else(|p| p.into_inner());
        self.entry = entry;
        self.max_level = max_level;
        Ok(())
    }

    /// Links node `id` (its vector and level already stored) into the graph.
    fn insert<const LOCKED: bool>(&self, g: &RawGraph<'_, LOCKED>, top: &Top, id: u32, scratch: &mut Scratch) {
        let level = self.levels[id as usize] as usize;
        let guided = self.guided(id);
        let steer = if guided { self.guide.as_ref().expect("guide made by add") } else { &self.store };
        let q = &steer.node(id);
        // A node that raises the top level holds the top lock for its whole insertion (as hnswlib).
        let mut top_guard = Some(top.lock().unwrap_or_else(|p| p.into_inner()));
        let (entry, max_level) = **top_guard.as_ref().unwrap();
        let Some(entry) = entry else {
            *top_guard.unwrap() = (Some(id), level);
            return;
        };
        if level <= max_level {
            top_guard = None;
        }
        let mut count = 0u64;
        let mut links = std::mem::take(&mut scratch.links);
        let mut ep = Near(steer.distance(q, entry), entry);
        for layer in (level + 1..=max_level).rev() {
            ep = self.greedy(steer, g, q, ep, layer, &mut links, &mut count);
        }
        scratch.links = links;
        for layer in (0..=level.min(max_level)).rev() {
            let efc = self.ef_construction;
            let width = if guided { efc + efc / GUIDE_SLACK } else { efc };
            self.search_layer(steer, g, q, ep, width, layer, scratch, &mut count);
            let mut found: Vec<Near> = scratch.found.drain().collect();
            ep = *found.iter().min().unwrap();
            if guided {
                // Neighbours are chosen on exact distances, among the efConstruction candidates
                // nearest by exact distance of those the guide found.
                for c in &found {
                    self.store.prefetch_node(c.1);
                }
                for c in &mut found {
                    c.0 = self.store.between(id, c.1);
                }
                found.sort_unstable();
                found.truncate(efc);
            }
            let neighbours = self.select(found, self.m);
            g.update(id, layer, |slot| {
                slot[0] = neighbours.len() as u32;
                slot[1..1 + neighbours.len()].copy_from_slice(&neighbours);
            });
            let cap = if layer == 0 { self.m0() } else { self.m };
            for &n in &neighbours {
                g.update(n, layer, |slot| {
                    let len = slot[0] as usize;
                    if slot[1..1 + len].contains(&id) {
                        return;
                    }
                    if len < cap {
                        // Into its place in increasing order.
                        let at = slot[1..1 + len].partition_point(|&l| l < id);
                        slot.copy_within(1 + at..1 + len, 2 + at);
                        slot[1 + at] = id;
                        slot[0] += 1;
                        return;
                    }
                    let scored = slot[1..1 + len].iter().chain([&id]).map(|&l| Near(self.store.between(n, l), l)).collect();
                    let kept = self.select(scored, cap);
                    slot[0] = kept.len() as u32;
                    slot[1..1 + kept.len()].copy_from_slice(&kept);
                });
            }
        }
        if let Some(mut guard) = top_guard {
            *guard = (Some(id), level);
        }
    }

    /// The k nearest of one query, nearest first, and the distance computations made. With
    /// `rerank` > 0, the `rerank` nearest candidates by stored codes are re-scored with the float32
    /// vectors, and the k nearest by exact distance are returned.
    fn search_one(&self, row: &[f32], k: usize, ef: usize, rerank: usize, scratch: &mut Scratch) -> (Vec<Near>, u64) {
        let Some(entry) = self.entry else {
            return (Vec::new(), 0);
        };
        let q = self.store.encode(row);
        let mut count = 1u64;
        let mut ep = Near(self.store.distance(&q, entry), entry);
        let mut links = std::mem::take(&mut scratch.links);
        for layer in (1..=self.max_level).rev() {
            ep = self.greedy(&self.store, self, &q, ep, layer, &mut links, &mut count);
        }
        scratch.links = links;
        self.search_layer(&self.store, self, &q, ep, ef.max(k).max(rerank), 0, scratch, &mut count);
        let mut found: Vec<Near> = scratch.found.drain().collect();
        found.sort_unstable();
        if rerank > 0 {
            found.truncate(rerank);
            let mut prepared = Vec::with_capacity(self.dim());
            self.store.prepare(row, &mut prepared);
            // The kept vectors are cold: ask for all of them before measuring any.
            for c in found.iter() {
                let (addr, bytes) = self.store.vector_addr(c.1);
                prefetch(addr, bytes);
            }
            if let Storage::Rabitq(_) = self.storage() {
                found = self.rerank_within_bounds(&q, &prepared, &found, k, &mut count);
            } else {
                for c in found.iter_mut() {
                    c.0 = self.store.exact(&prepared, c.1);
                }
                count += found.len() as u64;
                found.sort_unstable();
            }
        }
        found.truncate(k);
        (found, count)
    }

    /// RaBitQ's re-ranking rule: candidates in order of estimate, each re-scored exactly only while
    /// its lower bound (estimate - bound) can still beat the k-th exact distance found so far.
    fn rerank_within_bounds(&self, q: &Query, prepared: &[f32], found: &[Near], k: usize, count: &mut u64) -> Vec<Near> {
        let mut best: BinaryHeap<Near> = BinaryHeap::with_capacity(k + 1);
        for c in found {
            if best.len() == k && c.0 - self.store.bound(q, c.1) >= best.peek().map_or(f32::INFINITY, |b| b.0) {
                continue;
            }
            best.push(Near(self.store.exact(prepared, c.1), c.1));
            *count += 1;
            if best.len() > k {
                best.pop();
            }
        }
        best.into_sorted_vec()
    }

    /// Searches every query (row-major), spreading them over `threads` threads (0 = all). Writes
    /// k ids and distances per query, nearest first (fewer found: id u32::MAX, distance +inf).
    /// The search width is `max(ef, k, rerank)`; `rerank` > 0 needs float32 vectors (f32 storage
    /// or kept ones) and re-scores that many candidates exactly. Returns the distance computations
    /// made in all.
    #[allow(clippy::too_many_arguments)]
    pub fn search(
        &self,
        queries: &[f32],
        k: usize,
        ef: usize,
        rerank: usize,
        ids: &mut [u32],
        dists: &mut [f32],
        threads: usize,
    ) -> Result<u64, Error> {
        let dim = self.dim();
        if !queries.len().is_multiple_of(dim) {
            return Err(invalid(format!("queries hold {} values, not whole vectors of dim {dim}", queries.len())));
        }
        if !queries.iter().all(|v| v.is_finite()) {
            return Err(invalid("queries hold NaN or infinite values"));
        }
        let m = queries.len() / dim;
        if k == 0 || ids.len() != m * k || dists.len() != m * k {
            return Err(invalid(format!("k must be at least 1 and the outputs hold queries x k = {} entries", m * k)));
        }
        if rerank > 0 && (rerank < k || !self.store.has_vectors()) {
            return Err(invalid("rerank needs at least k candidates and an index that keeps its float32 vectors"));
        }
        if m == 0 {
            return Ok(0);
        }
        let threads = if threads == 0 { crate::parallel::available_threads() } else { threads };
        let per = rows_per_block(m, threads.min(m.div_ceil(64)).max(1));
        let blocks: Vec<_> = ids.chunks_mut(per * k).zip(dists.chunks_mut(per * k)).enumerate().collect();
        let counts = run_blocks(blocks, |(b, (ids, dists))| {
            let mut scratch = self.pool.lock().unwrap_or_else(|p| p.into_inner()).pop().unwrap_or_else(|| Scratch::new(self.len()));
            let mut total = 0;
            for r in 0..ids.len() / k {
                let row = &queries[(b * per + r) * dim..(b * per + r + 1) * dim];
                let (found, count) = self.search_one(row, k, ef, rerank, &mut scratch);
                total += count;
                for j in 0..k {
                    let (d, id) = found.get(j).map_or((f32::INFINITY, u32::MAX), |n| (n.0, n.1));
                    ids[r * k + j] = id;
                    dists[r * k + j] = d;
                }
            }
            self.pool.lock().unwrap_or_else(|p| p.into_inner()).push(scratch);
            total
        });
        Ok(counts.into_iter().sum())
    }

    /// The arrays to save, in the layout `from_parts` reads back. `vectors`: f32 storage's vectors,
    /// or the kept ones (empty if none).
    pub fn vectors(&self) -> &[f32] {
        &self.store.vectors
    }

    /// int8 codes or binary bits, one node after another (empty for f32 storage); a copy, since
    /// int8 rows interleave codes with their scales in memory.
    pub fn codes(&self) -> Vec<u8> {
        self.store.codes()
    }

    pub fn codes_len(&self) -> usize {
        if self.storage() == Storage::F32 {
            0
        } else {
            self.len() * self.storage().code_bytes(self.dim())
        }
    }

    /// int8: each node's scale (a copy; empty for other storages).
    pub fn scales(&self) -> Vec<f32> {
        self.store.scales()
    }

    pub fn center(&self) -> &[f32] {
        &self.store.center
    }

    pub fn levels(&self) -> &[u8] {
        &self.levels
    }

    pub fn links0(&self) -> &[u32] {
        &self.links0
    }

    /// Length of `upper_links()`, without building it.
    pub fn upper_len(&self) -> usize {
        self.upper.iter().map(Vec::len).sum()
    }

    /// Upper-layer links of every node with level > 0, concatenated in node order.
    pub fn upper_links(&self) -> Vec<u32> {
        self.upper.concat()
    }

    pub fn entry(&self) -> Option<u32> {
        self.entry
    }

    pub fn max_level(&self) -> usize {
        self.max_level
    }

    /// M, efConstruction, and the generator's state (so adding after a reload stays reproducible).
    pub fn params(&self) -> (usize, usize, u64) {
        (self.m, self.ef_construction, self.rng)
    }

    pub fn metric(&self) -> IndexMetric {
        self.store.metric
    }

    /// Rebuilds an index from saved parts, checking everything a corrupt file could break:
    /// sizes, levels, link counts and every neighbour id.
    pub fn from_parts(p: HnswParts) -> Result<Hnsw, Error> {
        let mut h = Hnsw::new(p.dim, p.metric, p.storage, p.keep, p.m, p.ef_construction, p.rng)?;
        let n = p.levels.len();
        let (m0, m) = (2 * p.m, p.m);
        h.store.load_parts(n, p.vectors, p.codes, p.scales, p.center)?;
        if p.links0.len() != n * (1 + m0) {
            return Err(invalid(format!("bottom layer holds {} slots, {n} nodes need {}", p.links0.len(), n * (1 + m0))));
        }
        let upper_len: usize = p.levels.iter().map(|&l| l as usize * (1 + m)).sum();
        if p.upper.len() != upper_len {
            return Err(invalid(format!("upper layers hold {} slots, the levels need {upper_len}", p.upper.len())));
        }
        let max_level = p.levels.iter().copied().max().unwrap_or(0) as usize;
        if max_level > MAX_LEVEL {
            return Err(invalid(format!("a level of {max_level} is beyond the maximum {MAX_LEVEL}")));
        }
        match p.entry {
            None if n > 0 => return Err(invalid("no entry point in a non-empty index")),
            Some(e) if e as usize >= n || p.levels[e as usize] as usize != max_level => {
                return Err(invalid(format!("entry point {e} is not a node of the top level")));
            }
            _ => {}
        }
        let check = |slot: &[u32], cap: usize, node: usize, layer: usize| -> Result<(), Error> {
            let len = slot[0] as usize;
            if len > cap {
                return Err(invalid(format!("node {node} has {len} links on layer {layer}, at most {cap}")));
            }
            let links = &slot[1..1 + len];
            if let Some(&bad) = links.iter().find(|&&id| id as usize >= n || (layer > 0 && (p.levels[id as usize] as usize) < layer)) {
                return Err(invalid(format!("node {node} links to {bad} on layer {layer}, which is not a node there")));
            }
            if links.windows(2).any(|w| w[0] >= w[1]) {
                return Err(invalid(format!("the links of node {node} on layer {layer} are not in increasing order")));
            }
            Ok(())
        };
        let mut upper = Vec::with_capacity(n);
        let mut at = 0;
        for (node, &level) in p.levels.iter().enumerate() {
            check(&p.links0[node * (1 + m0)..(node + 1) * (1 + m0)], m0, node, 0)?;
            let len = level as usize * (1 + m);
            let own = &p.upper[at..at + len];
            for layer in 1..=level as usize {
                check(&own[(layer - 1) * (1 + m)..layer * (1 + m)], m, node, layer)?;
            }
            upper.push(own.to_vec());
            at += len;
        }
        h.levels = p.levels.to_vec();
        h.links0 = p.links0.to_vec();
        h.upper = upper;
        h.entry = p.entry;
        h.max_level = max_level;
        Ok(h)
    }
}

#[cfg(test)]
mod tests;
