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
    index.search(queries, k, ef, 0, &mut ids, &mut dists, 2).unwrap();
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
    let mut index = Hnsw::new(dim, IndexMetric::L2, Storage::F32, false, 16, 200, 42).unwrap();
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
        let mut index = Hnsw::new(dim, metric, Storage::F32, false, 16, 100, 1).unwrap();
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
        let mut h = Hnsw::new(dim, IndexMetric::L2, Storage::F32, false, 8, 50, seed).unwrap();
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
    let (codes, scales) = (h.codes(), h.scales());
    Hnsw::from_parts(HnswParts {
        dim: h.dim(),
        metric: h.metric(),
        storage: h.storage(),
        keep: h.keeps_vectors(),
        m,
        ef_construction: efc,
        rng,
        vectors: h.vectors(),
        codes: &codes,
        scales: &scales,
        center: h.center(),
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
    let mut h = Hnsw::new(dim, IndexMetric::L2, Storage::F32, false, 4, 40, 11).unwrap();
    h.add(&base, 1).unwrap();
    let back = reload(&h).unwrap();
    let q = random(5, dim, 4);
    let (mut i1, mut d1, mut i2, mut d2) = (vec![0; 50], vec![0.0; 50], vec![0; 50], vec![0.0; 50]);
    h.search(&q, 10, 20, 0, &mut i1, &mut d1, 1).unwrap();
    back.search(&q, 10, 20, 0, &mut i2, &mut d2, 1).unwrap();
    assert_eq!((i1, d1), (i2, d2));

    let (m, efc, rng) = h.params();
    let upper = h.upper_links();
    let parts = || HnswParts {
        dim,
        metric: IndexMetric::L2,
        storage: Storage::F32,
        keep: false,
        m,
        ef_construction: efc,
        rng,
        vectors: h.vectors(),
        codes: &[],
        scales: &[],
        center: &[],
        levels: h.levels(),
        links0: h.links0(),
        upper: &upper,
        entry: h.entry(),
    };
    let mut links = h.links0().to_vec();
    links[1] = 500; // a neighbour id past the end
    assert!(Hnsw::from_parts(HnswParts { links0: &links, ..parts() }).err().unwrap().to_string().contains("links to 500"));
    let mut links = h.links0().to_vec();
    links[0] = 9; // more links than 2M = 8
    assert!(Hnsw::from_parts(HnswParts { links0: &links, ..parts() }).err().unwrap().to_string().contains("9 links on layer 0"));
    assert!(Hnsw::from_parts(HnswParts { entry: Some(600), ..parts() }).is_err());
    assert!(Hnsw::from_parts(HnswParts { vectors: &h.vectors()[1..], ..parts() }).is_err());
    assert!(Hnsw::from_parts(HnswParts { upper: &upper[1..], ..parts() }).is_err());
    let mut links = h.links0().to_vec();
    assert!(links[0] >= 2);
    links.swap(1, 2); // out of order
    assert!(Hnsw::from_parts(HnswParts { links0: &links, ..parts() }).err().unwrap().to_string().contains("increasing order"));
    assert!(Hnsw::from_parts(HnswParts { codes: &[0; 3000], ..parts() }).is_err(), "codes in an f32 index");
}

#[test]
fn small_indexes_and_bad_arguments() {
    let mut h = Hnsw::new(3, IndexMetric::L2, Storage::F32, false, 16, 10, 1).unwrap();
    let (mut ids, mut d) = (vec![0u32; 4], vec![0f32; 4]);
    h.search(&[0.0; 3], 4, 10, 0, &mut ids, &mut d, 1).unwrap();
    assert_eq!(ids, [u32::MAX; 4], "empty index: nothing found");
    h.add(&[1.0, 0.0, 0.0, 0.0, 1.0, 0.0], 1).unwrap();
    h.search(&[1.0, 0.1, 0.0], 4, 10, 0, &mut ids, &mut d, 1).unwrap();
    assert_eq!(ids, [0, 1, u32::MAX, u32::MAX]);
    assert!(h.add(&[f32::NAN, 0.0, 0.0], 1).is_err());
    assert!(h.add(&[1.0; 4], 1).is_err());
    assert!(Hnsw::new(3, IndexMetric::L2, Storage::F32, false, 1, 10, 1).is_err());
}

#[test]
fn two_threads_build_as_good_a_graph() {
    // A two-thread build interleaves its inserts differently on every run, so its recall varies as
    // one-thread builds with other seeds do. The bound is that measured spread, at ef 16, where
    // recall is far from its ceiling: measured over 10 seeds, one thread gave 0.958-0.975 and ten
    // two-thread builds 0.964-0.968. A constant bound at ef 64 (>= 0.99) failed 2 runs in ~43 under
    // load (0.991 seen here). A broken threaded insert (lost links) falls far below it.
    let (base, dim) = read_fvecs(&format!("{SIFT}siftsmall_base.fvecs"));
    let (queries, _) = read_fvecs(&format!("{SIFT}siftsmall_query.fvecs"));
    let ef = 16;
    let one_thread: Vec<(f64, Vec<u8>)> = (42..47)
        .map(|seed| {
            let mut one = Hnsw::new(dim, IndexMetric::L2, Storage::F32, false, 16, 200, seed).unwrap();
            one.add(&base, 1).unwrap();
            (recall(&one, &base, &queries, dim, 10, ef), one.levels().to_vec())
        })
        .collect();
    let lo = one_thread.iter().map(|r| r.0).fold(f64::INFINITY, f64::min);
    let hi = one_thread.iter().map(|r| r.0).fold(0.0, f64::max);
    let mut two = Hnsw::new(dim, IndexMetric::L2, Storage::F32, false, 16, 200, 42).unwrap();
    two.add(&base[..1000 * dim], 2).unwrap(); // a first batch, then the rest: batches append
    two.add(&base[1000 * dim..], 2).unwrap();
    assert_eq!(one_thread[0].1, two.levels(), "levels are drawn in order, whatever the threads");
    let r2 = recall(&two, &base, &queries, dim, 10, ef);
    assert!(r2 >= lo - (hi - lo), "two threads {r2}; one thread over five seeds {lo}..{hi}");
    // Every link is a valid node, within capacity: what a reload checks.
    assert!(reload(&two).is_ok());
}

/// Recall@k and the results of a search with `rerank`.
fn search_all(index: &Hnsw, queries: &[f32], k: usize, ef: usize, rerank: usize) -> (Vec<u32>, Vec<f32>) {
    let m = queries.len() / index.dim();
    let (mut ids, mut dists) = (vec![0u32; m * k], vec![0f32; m * k]);
    index.search(queries, k, ef, rerank, &mut ids, &mut dists, 2).unwrap();
    (ids, dists)
}

fn recall_of(ids: &[u32], truth: &[u32], k: usize) -> f64 {
    let hits: usize = ids.chunks(k).zip(truth.chunks(k)).map(|(a, t)| a.iter().filter(|id| t.contains(id)).count()).sum();
    hits as f64 / ids.len() as f64
}

#[test]
fn int8_storage_measures_on_codes_and_reranks_exactly() {
    let (base, dim) = read_fvecs(&format!("{SIFT}siftsmall_base.fvecs"));
    let (queries, _) = read_fvecs(&format!("{SIFT}siftsmall_query.fvecs"));
    let (m, k) = (queries.len() / dim, 10);
    let (mut truth, mut tdists) = (vec![0u32; m * k], vec![0f32; m * k]);
    flat::search(IndexMetric::L2, &base, dim, &queries, k, &mut truth, &mut tdists, 2).unwrap();
    let build = |keep| {
        let mut h = Hnsw::new(dim, IndexMetric::L2, Storage::Int8, keep, 16, 200, 42).unwrap();
        h.add(&base, 1).unwrap();
        h
    };
    let (plain, kept) = (build(false), build(true));
    assert_eq!((plain.links0(), plain.codes()), (kept.links0(), kept.codes()), "kept vectors do not change the graph");
    assert_eq!((plain.vectors().len(), kept.vectors().len()), (0, base.len()));

    // Without rerank: distances on codes, close to the exact ones of the decoded vectors.
    let (ids, dists) = search_all(&plain, &queries, k, 64, 0);
    let r_codes = recall_of(&ids, &truth, k);
    let mut decoded = vec![0f32; base.len()];
    crate::quant::decode(crate::quant::Scheme::INT8, &plain.codes(), &plain.scales(), &[], dim, &mut decoded, 1).unwrap();
    let q0 = &queries[..dim];
    let (mut q0codes, mut q0scale) = (vec![0u8; dim], [0f32]);
    crate::quant::encode(crate::quant::Scheme::INT8, q0, dim, &[], &mut q0codes, &mut q0scale, 1).unwrap();
    for j in 0..k {
        let row = &decoded[ids[j] as usize * dim..(ids[j] as usize + 1) * dim];
        let want: f64 = row.iter().zip(&q0codes).map(|(&x, &c)| (x as f64 - (c as i8) as f64 * q0scale[0] as f64).powi(2)).sum();
        assert!((dists[j] as f64 - want).abs() <= 1e-5 * want.max(1.0), "query 0, rank {j}: {} vs {want}", dists[j]);
    }

    // With rerank: exact float32 distances, and the recall of the f32 graph.
    let (ids, dists) = search_all(&kept, &queries, k, 64, 64);
    let r_rerank = recall_of(&ids, &truth, k);
    for (j, &id) in ids[..k].iter().enumerate() {
        assert_eq!(
            dists[j],
            flat::distance_at(crate::simd::level(), IndexMetric::L2, q0, &base[id as usize * dim..(id as usize + 1) * dim])
        );
    }
    println!("siftsmall int8 recall@10 at ef=64: codes {r_codes:.3}, rerank 64 {r_rerank:.3}");
    assert!(r_codes >= 0.93, "int8 recall {r_codes}");
    assert!(r_rerank >= 0.99 && r_rerank >= r_codes, "int8 + rerank recall {r_rerank}");
    assert!(reload(&kept).is_ok() && reload(&plain).is_ok());

    let (mut ids, mut d) = (vec![0u32; m * k], vec![0f32; m * k]);
    assert!(plain.search(&queries, k, 64, 64, &mut ids, &mut d, 1).is_err(), "rerank without kept vectors");
    assert!(kept.search(&queries, k, 64, 5, &mut ids, &mut d, 1).is_err(), "rerank below k");
}

#[test]
fn binary_storage_ranks_by_hamming_and_needs_its_center() {
    let dim = 64;
    let base = random(3000, dim, 21);
    let queries = random(40, dim, 22);
    let mut h = Hnsw::new(dim, IndexMetric::L2, Storage::Binary, true, 16, 100, 3).unwrap();
    assert!(h.add(&base, 1).err().unwrap().to_string().contains("center"));
    assert!(h.set_center(&[0.0; 5]).is_err());
    h.set_center(&[0.0; 64]).unwrap();
    h.add(&base, 1).unwrap();
    assert!(h.set_center(&[0.0; 64]).is_err(), "the center is fixed once vectors are in");
    assert_eq!(h.codes().len(), 3000 * 8);
    let (m, k) = (40, 10);
    let (mut truth, mut tdists) = (vec![0u32; m * k], vec![0f32; m * k]);
    flat::search(IndexMetric::L2, &base, dim, &queries, k, &mut truth, &mut tdists, 2).unwrap();
    let (ids, dists) = search_all(&h, &queries, k, 200, 0);
    // Hamming distances: whole numbers, and what the bits say.
    let bits = |x: &[f32]| x.iter().map(|&v| v > 0.0).collect::<Vec<_>>();
    let (qb, rb) = (bits(&queries[..dim]), bits(&base[ids[0] as usize * dim..(ids[0] as usize + 1) * dim]));
    assert_eq!(dists[0], qb.iter().zip(&rb).filter(|(a, b)| a != b).count() as f32);
    let r_bits = recall_of(&ids, &truth, k);
    let (ids, _) = search_all(&h, &queries, k, 200, 200);
    let r_rerank = recall_of(&ids, &truth, k);
    println!("random 3000x64 binary recall@10 at ef=200: bits {r_bits:.3}, rerank 200 {r_rerank:.3}");
    assert!(r_rerank > r_bits && r_rerank >= 0.7, "binary recall {r_bits}, with rerank {r_rerank}");
    assert!(reload(&h).is_ok());
}

#[test]
fn batches_do_not_change_the_graph() {
    // Link lists are kept sorted, so adding in several calls builds exactly what one call builds.
    let dim = 16;
    let base = random(1500, dim, 31);
    for storage in [Storage::F32, Storage::Int8] {
        let mut one = Hnsw::new(dim, IndexMetric::L2, storage, false, 8, 60, 5).unwrap();
        one.add(&base, 1).unwrap();
        let mut parts = Hnsw::new(dim, IndexMetric::L2, storage, false, 8, 60, 5).unwrap();
        for chunk in base.chunks(317 * dim) {
            parts.add(chunk, 1).unwrap();
        }
        assert_eq!((one.links0(), one.upper_links(), one.entry()), (parts.links0(), parts.upper_links(), parts.entry()), "{storage:?}");
        assert!(one.links0().chunks(17).all(|s| s[1..1 + s[0] as usize].windows(2).all(|w| w[0] < w[1])));
    }
}

#[test]
fn the_int8_guide_changes_the_graph_not_its_recall_nor_batching() {
    let (base, dim) = read_fvecs(&format!("{SIFT}siftsmall_base.fvecs"));
    let (queries, _) = read_fvecs(&format!("{SIFT}siftsmall_query.fvecs"));
    let build = |guide_from: usize, chunk: usize| {
        let mut h = Hnsw::new(dim, IndexMetric::L2, Storage::F32, false, 16, 100, 42).unwrap();
        h.set_guide_from(guide_from);
        for part in base.chunks(chunk * dim) {
            h.add(part, 1).unwrap();
        }
        h
    };
    let exact = build(usize::MAX, 10_000);
    // Nodes from 4,000 on are inserted through the guide: in one add, or across adds that start
    // before and after that point (the guide then takes in the nodes added before it).
    let from = 4000 * dim * 4;
    let guided = build(from, 10_000);
    assert_ne!(exact.links0(), guided.links0(), "the guide's candidates differ from exact search's");
    let batched = build(from, 2999);
    assert_eq!((guided.links0(), guided.upper_links()), (batched.links0(), batched.upper_links()));
    let (r_exact, r_guided) = (recall(&exact, &base, &queries, dim, 10, 32), recall(&guided, &base, &queries, dim, 10, 32));
    assert!(r_guided >= r_exact - 0.01, "recall@10 at ef 32: exact build {r_exact}, guided {r_guided}");
    let all = build(0, 10_000);
    assert!(recall(&all, &base, &queries, dim, 10, 32) >= r_exact - 0.01);
}

/// SplitMix64: the seeded generator of the fuzz below (no external crates).
struct Fuzz(u64);
impl Fuzz {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// A value a corrupt field is likely to hold: small, at a boundary, or anything.
    fn hostile(&mut self, n: usize) -> u32 {
        match self.below(6) {
            0 => 0,
            1 => n as u32,
            2 => n.saturating_sub(1) as u32,
            3 => u32::MAX,
            4 => self.below(n + 2) as u32,
            _ => self.next() as u32,
        }
    }
}

/// `from_parts` takes whatever a file (or a JS caller) hands it: random corruptions of every part
/// must give an error or an index that searches and grows without panicking. `VECTRO_FUZZ_CASES`
/// sets the number of cases per storage (default 1500).
#[test]
fn from_parts_survives_random_corruption() {
    let cases: usize = std::env::var("VECTRO_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1500);
    let dim = 9;
    let base = random(300, dim, 21);
    for (storage, keep) in [
        (Storage::F32, false),
        (Storage::Int8, true),
        (Storage::Binary, false),
        (Storage::Rabitq(2), false),
        (Storage::Rabitq(1), true),
        (Storage::Rabitq(4), true),
    ] {
        let mut h = Hnsw::new(dim, IndexMetric::L2, storage, keep, 4, 20, 5).unwrap();
        if storage == Storage::Binary {
            h.set_center(&[0.0; 9]).unwrap();
        }
        if let Storage::Rabitq(_) = storage {
            let words = [1u32, 0, 77, 0, 64, 0, 0, 0].map(f32::from_bits);
            h.set_center(&[&words[..], &[0.0; 9]].concat()).unwrap();
        }
        h.add(&base, 1).unwrap();
        let (m, efc, rng) = h.params();
        let (codes, scales, upper) = (h.codes(), h.scales(), h.upper_links());
        let mut fz = Fuzz(0x5eed ^ storage.id() as u64);
        let (mut refused, mut loaded) = (0, 0);
        for case in 0..cases {
            let (mut vectors, mut codes, mut scales, mut center) =
                (h.vectors().to_vec(), codes.clone(), scales.clone(), h.center().to_vec());
            let (mut levels, mut links0, mut upper) = (h.levels().to_vec(), h.links0().to_vec(), upper.clone());
            let (mut m, mut efc, mut entry) = (m, efc, h.entry());
            let n = levels.len();
            for _ in 0..1 + fz.below(3) {
                match fz.below(11) {
                    0 => levels[fz.below(n)] = fz.below(MAX_LEVEL + 4) as u8,
                    1 => {
                        let i = fz.below(links0.len());
                        links0[i] = fz.hostile(n);
                    }
                    2 if !upper.is_empty() => {
                        let i = fz.below(upper.len());
                        upper[i] = fz.hostile(n);
                    }
                    3 => entry = if fz.below(4) == 0 { None } else { Some(fz.hostile(n)) },
                    4 => m = fz.below(20),
                    5 => efc = [0, 1, MAX_EF, MAX_EF + 1, fz.below(1 << 20)][fz.below(5)],
                    6 if !vectors.is_empty() => {
                        let i = fz.below(vectors.len());
                        vectors[i] = [f32::NAN, f32::INFINITY, -f32::MAX, 1e30][fz.below(4)];
                    }
                    7 if !scales.is_empty() => {
                        let i = fz.below(scales.len());
                        scales[i] = [f32::NAN, -1.0, 0.0, f32::MAX][fz.below(4)];
                    }
                    8 if !center.is_empty() => center[fz.below(dim)] = [f32::NAN, f32::NEG_INFINITY, 1e38][fz.below(3)],
                    9 => match fz.below(4) {
                        0 => drop(links0.pop()),
                        1 => upper.push(fz.hostile(n)),
                        2 => drop(levels.pop()),
                        _ => codes.truncate(codes.len().saturating_sub(1 + fz.below(3))),
                    },
                    _ => {
                        let i = fz.below(codes.len().max(1));
                        if let Some(c) = codes.get_mut(i) {
                            *c = fz.next() as u8;
                        }
                    }
                }
            }
            let parts = HnswParts {
                dim,
                metric: IndexMetric::L2,
                storage,
                keep,
                m,
                ef_construction: efc,
                rng,
                vectors: &vectors,
                codes: &codes,
                scales: &scales,
                center: &center,
                levels: &levels,
                links0: &links0,
                upper: &upper,
                entry,
            };
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                match Hnsw::from_parts(parts) {
                    Err(_) => false,
                    Ok(mut index) => {
                        let q = random(2, dim, case as u64 + 1);
                        let (mut ids, mut d) = (vec![0u32; 10], vec![0f32; 10]);
                        index.search(&q, 5, 16, 0, &mut ids, &mut d, 1).unwrap();
                        let len = index.len() as u32;
                        assert!(ids.iter().all(|&id| id < len || id == u32::MAX), "ids out of range: {ids:?}");
                        // A corrupt center may put new vectors out of float32 range: refused, not a panic.
                        if let Err(e) = index.add(&q[..dim], 1) {
                            assert!(e.to_string().contains("too far from the center"), "{e}");
                        }
                        true
                    }
                }
            }));
            match outcome {
                Ok(true) => loaded += 1,
                Ok(false) => refused += 1,
                Err(_) => panic!("case {case} ({storage:?}): from_parts or a search on its index panicked"),
            }
        }
        println!("{storage:?}: {refused} corrupt parts refused, {loaded} harmless ones loaded");
        assert!(refused > cases / 2, "most corruptions must be caught ({refused} of {cases})");
    }
}
