//! HNSW against exact search on real data (siftsmall), determinism, and loading checks.

use super::*;
use crate::flat;

fn read_fvecs(path: &str) -> (Vec<f32>, usize) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let dim = i32::from_le_bytes(bytes[0..4].try_into().unwrap()) as usize;
    let mut out = Vec::new();
    for rec in bytes.chunks_exact(4 + 4 * dim) {
        out.extend(rec[4..].chunks_exact(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())));
    }
    (out, dim)
}

const SIFT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/siftsmall/");

fn recall(index: &Hnsw, base: &[f32], queries: &[f32], dim: usize, k: usize, ef: usize) -> f64 {
    let m = queries.len() / dim;
    let (mut ids, mut dists) = (vec![0u32; m * k], vec![0f32; m * k]);
    index.search(queries, k, ef, &mut ids, &mut dists, 2).unwrap();
    let (mut truth, mut tdists) = (vec![0u32; m * k], vec![0f32; m * k]);
    flat::search(index.metric(), base, dim, queries, k, &mut truth, &mut tdists, 2).unwrap();
    let mut hits = 0;
    for q in 0..m {
        let t: std::collections::HashSet<u32> = truth[q * k..(q + 1) * k].iter().copied().collect();
        hits += ids[q * k..(q + 1) * k].iter().filter(|id| t.contains(id)).count();
    }
    hits as f64 / (m * k) as f64
}

#[test]
fn siftsmall_recall_at_10() {
    let (base, dim) = read_fvecs(&format!("{SIFT}siftsmall_base.fvecs"));
    let (queries, _) = read_fvecs(&format!("{SIFT}siftsmall_query.fvecs"));
    let mut index = Hnsw::new(dim, IndexMetric::L2, 16, 200, 42).unwrap();
    index.add(&base, 1).unwrap();
    let r16 = recall(&index, &base, &queries, dim, 10, 16);
    let r64 = recall(&index, &base, &queries, dim, 10, 64);
    println!("siftsmall recall@10: ef=16 {r16:.3}, ef=64 {r64:.3}");
    assert!(r64 >= 0.99, "recall@10 at ef=64 is {r64}");
    assert!(r16 <= r64);
}

fn random(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut s = seed.max(1);
    (0..n * dim)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 10_000) as f32 / 5000.0 - 1.0
        })
        .collect()
}

#[test]
fn ip_and_cosine_find_their_neighbours() {
    let dim = 24;
    let base = random(3000, dim, 5);
    let queries = random(50, dim, 6);
    for metric in [IndexMetric::Ip, IndexMetric::Cosine] {
        let mut index = Hnsw::new(dim, metric, 16, 100, 1).unwrap();
        index.add(&base, 1).unwrap();
        let r = recall(&index, &base, &queries, dim, 10, 100);
        assert!(r >= 0.95, "{metric:?} recall {r}");
    }
}

#[test]
fn same_seed_same_graph_other_seed_other_levels() {
    let dim = 8;
    let base = random(2000, dim, 9);
    let build = |seed| {
        let mut h = Hnsw::new(dim, IndexMetric::L2, 8, 50, seed).unwrap();
        h.add(&base, 1).unwrap();
        h
    };
    let (a, b, c) = (build(7), build(7), build(8));
    assert_eq!((a.levels(), a.links0(), a.upper_links(), a.entry()), (b.levels(), b.links0(), b.upper_links(), b.entry()));
    assert_ne!(a.levels(), c.levels());
    // About 1/8 of nodes reach level 1 with M = 8.
    let above = a.levels().iter().filter(|&&l| l > 0).count();
    assert!((150..350).contains(&above), "{above} nodes above level 0");
}

fn reload(h: &Hnsw) -> Result<Hnsw, Error> {
    let (m, efc, rng) = h.params();
    let upper = h.upper_links();
    Hnsw::from_parts(HnswParts {
        dim: h.dim(),
        metric: h.metric(),
        m,
        ef_construction: efc,
        rng,
        vectors: h.vectors(),
        levels: h.levels(),
        links0: h.links0(),
        upper: &upper,
        entry: h.entry(),
    })
}

#[test]
fn parts_round_trip_and_corrupt_parts_are_refused() {
    let dim = 6;
    let base = random(500, dim, 3);
    let mut h = Hnsw::new(dim, IndexMetric::L2, 4, 40, 11).unwrap();
    h.add(&base, 1).unwrap();
    let back = reload(&h).unwrap();
    let q = random(5, dim, 4);
    let (mut i1, mut d1, mut i2, mut d2) = (vec![0; 50], vec![0.0; 50], vec![0; 50], vec![0.0; 50]);
    h.search(&q, 10, 20, &mut i1, &mut d1, 1).unwrap();
    back.search(&q, 10, 20, &mut i2, &mut d2, 1).unwrap();
    assert_eq!((i1, d1), (i2, d2));

    let (m, efc, rng) = h.params();
    let upper = h.upper_links();
    let parts = || HnswParts { dim, metric: IndexMetric::L2, m, ef_construction: efc, rng, vectors: h.vectors(), levels: h.levels(), links0: h.links0(), upper: &upper, entry: h.entry() };
    let mut links = h.links0().to_vec();
    links[1] = 500; // a neighbour id past the end
    assert!(Hnsw::from_parts(HnswParts { links0: &links, ..parts() }).err().unwrap().to_string().contains("links to 500"));
    let mut links = h.links0().to_vec();
    links[0] = 9; // more links than 2M = 8
    assert!(Hnsw::from_parts(HnswParts { links0: &links, ..parts() }).err().unwrap().to_string().contains("9 links on layer 0"));
    assert!(Hnsw::from_parts(HnswParts { entry: Some(600), ..parts() }).is_err());
    assert!(Hnsw::from_parts(HnswParts { vectors: &h.vectors()[1..], ..parts() }).is_err());
    assert!(Hnsw::from_parts(HnswParts { upper: &upper[1..], ..parts() }).is_err());
}

#[test]
fn small_indexes_and_bad_arguments() {
    let mut h = Hnsw::new(3, IndexMetric::L2, 16, 10, 1).unwrap();
    let (mut ids, mut d) = (vec![0u32; 4], vec![0f32; 4]);
    h.search(&[0.0; 3], 4, 10, &mut ids, &mut d, 1).unwrap();
    assert_eq!(ids, [u32::MAX; 4], "empty index: nothing found");
    h.add(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 1).unwrap();
    h.search(&[1.0, 0.1, 0.0], 4, 10, &mut ids, &mut d, 1).unwrap();
    assert_eq!(ids, [0, 1, u32::MAX, u32::MAX]);
    assert!(h.add(&[f32::NAN, 0.0, 0.0], 1).is_err());
    assert!(h.add(&[1.0; 4], 1).is_err());
    assert!(Hnsw::new(3, IndexMetric::L2, 1, 10, 1).is_err());
}

#[test]
fn two_threads_build_as_good_a_graph() {
    let (base, dim) = read_fvecs(&format!("{SIFT}siftsmall_base.fvecs"));
    let (queries, _) = read_fvecs(&format!("{SIFT}siftsmall_query.fvecs"));
    let mut one = Hnsw::new(dim, IndexMetric::L2, 16, 200, 42).unwrap();
    one.add(&base, 1).unwrap();
    let mut two = Hnsw::new(dim, IndexMetric::L2, 16, 200, 42).unwrap();
    two.add(&base[..1000 * dim], 2).unwrap(); // a first batch, then the rest: batches append
    two.add(&base[1000 * dim..], 2).unwrap();
    assert_eq!(one.levels(), two.levels(), "levels are drawn in order, whatever the threads");
    let (r1, r2) = (recall(&one, &base, &queries, dim, 10, 64), recall(&two, &base, &queries, dim, 10, 64));
    assert!(r2 >= 0.99 && (r1 - r2).abs() <= 0.01, "one thread {r1}, two {r2}");
    // Every link is a valid node, within capacity: what a reload checks.
    assert!(reload(&two).is_ok());
}
