//! HNSW (Malkov & Yashunin, 2018): a layered proximity graph searched greedily from the top layer.
//!
//! Parameters, with the paper's names: `m` (M) links per node on the upper layers and `2 * m` (Mmax0)
//! on the bottom one; `ef_construction` (efConstruction), the candidate list while inserting;
//! `ef` at search time; level multiplier mL = 1 / ln(M). hnswlib's defaults are M = 16 and
//! efConstruction = 200. Neighbours are chosen with the paper's heuristic (Algorithm 4, without
//! extending candidates or keeping pruned ones, as hnswlib does). Levels come from a seeded
//! generator, so a one-thread build is deterministic: same input and seed, same graph.
//!
//! Vectors live in one contiguous arena (cosine vectors are stored normalised and compared by
//! `1 - a.b`). The bottom layer's links are one flat array of `count` slots of `1 + 2m` u32 each
//! (length, then ids); upper layers hold `level * (1 + m)` u32 per node that has them.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::distance::{kernels, prefetch};
use crate::error::{invalid, Error};
use crate::flat::IndexMetric;
use crate::parallel::{rows_per_block, run_blocks};
use crate::quant::MAX_DIM;
use crate::simd;

/// Highest level a node can get (about 1 in M^16 nodes would pass it).
pub const MAX_LEVEL: usize = 15;

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
}

impl Scratch {
    pub fn new(n: usize) -> Scratch {
        Scratch { visited: Visited::new(n), candidates: BinaryHeap::new(), found: BinaryHeap::new(), fresh: Vec::new() }
    }
}

/// Marks of visited nodes for one search, cleared in O(1) by bumping a generation.
pub struct Visited {
    marks: Vec<u32>,
    generation: u32,
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
    dim: usize,
    metric: IndexMetric,
    m: usize,
    ef_construction: usize,
    level_mult: f64,
    rng: u64,
    vectors: Vec<f32>,
    levels: Vec<u8>,
    links0: Vec<u32>,
    upper: Vec<Vec<u32>>,
    entry: Option<u32>,
    max_level: usize,
    /// The pair kernel for `metric`, chosen once: l2sq, or dot (turned into `1 - a.b`).
    kernel: unsafe fn(&[f32], &[f32]) -> f32,
    scratch: Scratch,
}

/// The parts of an index, as saved in a file (see `Hnsw::parts` and `Hnsw::from_parts`).
pub struct HnswParts<'a> {
    pub dim: usize,
    pub metric: IndexMetric,
    pub m: usize,
    pub ef_construction: usize,
    pub rng: u64,
    pub vectors: &'a [f32],
    pub levels: &'a [u8],
    pub links0: &'a [u32],
    /// Upper layers of every node with level > 0, in node order, `level * (1 + m)` each.
    pub upper: &'a [u32],
    pub entry: Option<u32>,
}

impl Hnsw {
    pub fn new(dim: usize, metric: IndexMetric, m: usize, ef_construction: usize, seed: u64) -> Result<Hnsw, Error> {
        if dim == 0 || dim > MAX_DIM {
            return Err(invalid(format!("dim must be between 1 and {MAX_DIM}, got {dim}")));
        }
        if !(2..=256).contains(&m) {
            return Err(invalid(format!("M must be between 2 and 256 (with fewer than 2 links the graph degenerates into chains), got {m}")));
        }
        if ef_construction < 1 {
            return Err(invalid("ef_construction must be at least 1"));
        }
        Ok(Hnsw {
            dim,
            metric,
            m,
            ef_construction,
            level_mult: 1.0 / (m as f64).ln(),
            rng: seed,
            vectors: Vec::new(),
            levels: Vec::new(),
            links0: Vec::new(),
            upper: Vec::new(),
            entry: None,
            max_level: 0,
            kernel: kernels(simd::level()).f32_pair[if metric == IndexMetric::L2 { 0 } else { 1 }],
            scratch: Scratch::new(0),
        })
    }

    pub fn len(&self) -> usize {
        self.levels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.levels.is_empty()
    }

    pub fn dim(&self) -> usize {
        self.dim
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

    #[inline(always)]
    fn vector(&self, id: u32) -> &[f32] {
        &self.vectors[id as usize * self.dim..(id as usize + 1) * self.dim]
    }

    #[inline(always)]
    fn distance(&self, a: &[f32], b: &[f32]) -> f32 {
        // SAFETY: the kernel belongs to the process's supported level; vectors have `dim` values.
        let d = unsafe { (self.kernel)(a, b) };
        if self.metric == IndexMetric::L2 {
            d
        } else {
            1.0 - d
        }
    }

    fn links(&self, id: u32, layer: usize) -> &[u32] {
        let slot = if layer == 0 {
            &self.links0[id as usize * (1 + self.m0())..(id as usize + 1) * (1 + self.m0())]
        } else {
            &self.upper[id as usize][(layer - 1) * (1 + self.m)..layer * (1 + self.m)]
        };
        &slot[1..1 + slot[0] as usize]
    }

    fn set_links(&mut self, id: u32, layer: usize, ids: &[u32]) {
        let (m0, m) = (self.m0(), self.m);
        let slot = if layer == 0 {
            &mut self.links0[id as usize * (1 + m0)..(id as usize + 1) * (1 + m0)]
        } else {
            &mut self.upper[id as usize][(layer - 1) * (1 + m)..layer * (1 + m)]
        };
        slot[0] = ids.len() as u32;
        slot[1..1 + ids.len()].copy_from_slice(ids);
    }

    /// Cosine is searched as `1 - a.b` on unit vectors.
    fn prepared<'a>(&self, q: &'a [f32], buf: &'a mut Vec<f32>) -> &'a [f32] {
        if self.metric != IndexMetric::Cosine {
            return q;
        }
        let norm = q.iter().map(|v| v * v).sum::<f32>().sqrt();
        buf.clear();
        buf.extend(q.iter().map(|v| if norm > 0.0 { v / norm } else { 0.0 }));
        buf
    }

    /// Greedy walk on one layer from `entry` to a local minimum.
    fn greedy(&self, q: &[f32], mut best: Near, layer: usize, count: &mut u64) -> Near {
        loop {
            let mut moved = false;
            for &n in self.links(best.1, layer) {
                let d = self.distance(q, self.vector(n));
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
    fn search_layer(&self, q: &[f32], entry: Near, ef: usize, layer: usize, scratch: &mut Scratch, count: &mut u64) {
        let Scratch { visited, candidates, found, fresh } = scratch;
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
                prefetch(self.links0[next.1 as usize * (1 + self.m0())..].as_ptr() as *const u8, (1 + self.m0()) * 4);
            }
            // Unvisited neighbours: their vectors are all requested before any is measured, so
            // the cache misses overlap instead of following one another.
            fresh.clear();
            for &n in self.links(c.1, layer) {
                if visited.first_visit(n) {
                    prefetch(self.vector(n).as_ptr() as *const u8, self.dim * 4);
                    fresh.push(n);
                }
            }
            for &n in fresh.iter() {
                let d = self.distance(q, self.vector(n));
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

    /// The paper's heuristic: keep a candidate (nearest first) unless it is nearer to an already
    /// kept neighbour than to the base point, up to `limit`.
    fn select(&self, mut candidates: Vec<Near>, limit: usize) -> Vec<u32> {
        candidates.sort_unstable();
        if candidates.len() <= limit {
            return candidates.into_iter().map(|c| c.1).collect();
        }
        let mut kept: Vec<Near> = Vec::with_capacity(limit);
        for c in candidates {
            if kept.len() >= limit {
                break;
            }
            let cv = self.vector(c.1);
            if kept.iter().all(|k| self.distance(cv, self.vector(k.1)) >= c.0) {
                kept.push(c);
            }
        }
        kept.into_iter().map(|c| c.1).collect()
    }

    /// Inserts rows of `x` (row-major, `dim` wide), one after another.
    pub fn add(&mut self, x: &[f32], mut progress: impl FnMut(usize)) -> Result<(), Error> {
        if x.len() % self.dim != 0 {
            return Err(invalid(format!("{} values are not whole vectors of dim {}", x.len(), self.dim)));
        }
        if !x.iter().all(|v| v.is_finite()) {
            return Err(invalid("vectors hold NaN or infinite values"));
        }
        if self.len() + x.len() / self.dim > u32::MAX as usize {
            return Err(invalid("an index holds at most 2^32 - 1 vectors"));
        }
        let mut scratch = std::mem::replace(&mut self.scratch, Scratch::new(0));
        let (mut buf, mut q) = (Vec::new(), Vec::new());
        for (i, row) in x.chunks_exact(self.dim).enumerate() {
            q.clear();
            q.extend_from_slice(self.prepared(row, &mut buf));
            self.insert(&q, &mut scratch);
            progress(i + 1);
        }
        self.scratch = scratch;
        Ok(())
    }

    fn insert(&mut self, q: &[f32], scratch: &mut Scratch) {
        let id = self.len() as u32;
        let level = self.random_level();
        self.vectors.extend_from_slice(q);
        self.levels.push(level as u8);
        self.links0.resize(self.links0.len() + 1 + self.m0(), 0);
        self.upper.push(vec![0; level * (1 + self.m)]);
        let Some(entry) = self.entry else {
            self.entry = Some(id);
            self.max_level = level;
            return;
        };
        let mut count = 0u64;
        let mut ep = Near(self.distance(q, self.vector(entry)), entry);
        for layer in (level + 1..=self.max_level).rev() {
            ep = self.greedy(q, ep, layer, &mut count);
        }
        for layer in (0..=level.min(self.max_level)).rev() {
            self.search_layer(q, ep, self.ef_construction, layer, scratch, &mut count);
            let found: Vec<Near> = scratch.found.drain().collect();
            ep = *found.iter().min().unwrap();
            let neighbours = self.select(found, self.m);
            self.set_links(id, layer, &neighbours);
            let cap = if layer == 0 { self.m0() } else { self.m };
            for &n in &neighbours {
                let mut links = self.links(n, layer).to_vec();
                if links.len() < cap {
                    links.push(id);
                } else {
                    let nv = self.vector(n);
                    let scored = links.iter().chain([&id]).map(|&l| Near(self.distance(nv, self.vector(l)), l)).collect();
                    links = self.select(scored, cap);
                }
                self.set_links(n, layer, &links);
            }
        }
        if level > self.max_level {
            self.max_level = level;
            self.entry = Some(id);
        }
    }

    /// The k nearest of one query (prepared), nearest first, and the distance computations made.
    fn search_one(&self, q: &[f32], k: usize, ef: usize, scratch: &mut Scratch) -> (Vec<Near>, u64) {
        let Some(entry) = self.entry else { return (Vec::new(), 0) };
        let mut count = 1u64;
        let mut ep = Near(self.distance(q, self.vector(entry)), entry);
        for layer in (1..=self.max_level).rev() {
            ep = self.greedy(q, ep, layer, &mut count);
        }
        self.search_layer(q, ep, ef.max(k), 0, scratch, &mut count);
        let mut found: Vec<Near> = scratch.found.drain().collect();
        found.sort_unstable();
        found.truncate(k);
        (found, count)
    }

    /// Searches every query (row-major), spreading them over `threads` threads (0 = all). Writes
    /// k ids and distances per query, nearest first (fewer found: id u32::MAX, distance +inf).
    /// Returns the distance computations made in all.
    #[allow(clippy::too_many_arguments)]
    pub fn search(&self, queries: &[f32], k: usize, ef: usize, ids: &mut [u32], dists: &mut [f32], threads: usize) -> Result<u64, Error> {
        if queries.len() % self.dim != 0 {
            return Err(invalid(format!("queries hold {} values, not whole vectors of dim {}", queries.len(), self.dim)));
        }
        let m = queries.len() / self.dim;
        if k == 0 || ids.len() != m * k || dists.len() != m * k {
            return Err(invalid(format!("k must be at least 1 and the outputs hold queries x k = {} entries", m * k)));
        }
        if m == 0 {
            return Ok(0);
        }
        let threads = if threads == 0 { crate::parallel::available_threads() } else { threads };
        let per = rows_per_block(m, threads.min(m.div_ceil(64)).max(1));
        let blocks: Vec<_> = ids.chunks_mut(per * k).zip(dists.chunks_mut(per * k)).enumerate().collect();
        let counts = run_blocks(blocks, |(b, (ids, dists))| {
            let mut scratch = Scratch::new(self.len());
            let mut buf = Vec::new();
            let mut total = 0;
            for r in 0..ids.len() / k {
                let row = &queries[(b * per + r) * self.dim..(b * per + r + 1) * self.dim];
                let (found, count) = self.search_one(self.prepared(row, &mut buf), k, ef, &mut scratch);
                total += count;
                for j in 0..k {
                    let (d, id) = found.get(j).map_or((f32::INFINITY, u32::MAX), |n| (n.0, n.1));
                    ids[r * k + j] = id;
                    dists[r * k + j] = d;
                }
            }
            total
        });
        Ok(counts.into_iter().sum())
    }

    /// The arrays to save, in the layout `from_parts` reads back.
    pub fn vectors(&self) -> &[f32] {
        &self.vectors
    }

    pub fn levels(&self) -> &[u8] {
        &self.levels
    }

    pub fn links0(&self) -> &[u32] {
        &self.links0
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
        self.metric
    }

    /// Rebuilds an index from saved parts, checking everything a corrupt file could break:
    /// sizes, levels, link counts and every neighbour id.
    pub fn from_parts(p: HnswParts) -> Result<Hnsw, Error> {
        let mut h = Hnsw::new(p.dim, p.metric, p.m, p.ef_construction, p.rng)?;
        let n = p.levels.len();
        let (m0, m) = (2 * p.m, p.m);
        if p.vectors.len() != n * p.dim {
            return Err(invalid(format!("{} vector values for {n} nodes of dim {}", p.vectors.len(), p.dim)));
        }
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
            if let Some(&bad) = slot[1..1 + len].iter().find(|&&id| id as usize >= n || (layer > 0 && (p.levels[id as usize] as usize) < layer)) {
                return Err(invalid(format!("node {node} links to {bad} on layer {layer}, which is not a node there")));
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
        if !p.vectors.iter().all(|v| v.is_finite()) {
            return Err(invalid("vectors hold NaN or infinite values"));
        }
        h.vectors = p.vectors.to_vec();
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
