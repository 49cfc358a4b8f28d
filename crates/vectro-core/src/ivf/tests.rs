//! IVF against exact search and against the rabitq estimator computed independently; k-means on
//! data with a known answer; the batch path against single queries; loading checks.

use super::kmeans::KMeans;
use super::*;
use crate::flat;
use crate::quant::rotation::SplitMix64;

/// `n` rows of `dim` whole numbers in -8..8 around `clusters` centers spaced 100 apart.
fn clustered(n: usize, dim: usize, clusters: usize, seed: u64) -> Vec<f32> {
    let mut rng = SplitMix64(seed);
    let mut x = Vec::with_capacity(n * dim);
    for r in 0..n {
        let c = (r % clusters) as f32 * 100.0;
        for _ in 0..dim {
            x.push(c + (rng.next_u64() % 17) as f32 - 8.0);
        }
    }
    x
}

fn trained(x: &[f32], dim: usize, nlist: usize, seed: u64) -> Vec<f32> {
    let mut km = KMeans::new(x, dim, nlist, x.len() / dim, IndexMetric::L2, seed).unwrap();
    for _ in 0..10 {
        km.step(1);
    }
    km.centroids().to_vec()
}

fn search(index: &Ivf, q: &[f32], k: usize, nprobe: usize, rerank: usize, grouped: bool) -> (Vec<u32>, Vec<f32>) {
    let m = q.len() / index.dim();
    let (mut ids, mut dists) = (vec![0u32; m * k], vec![0f32; m * k]);
    index.search(q, k, nprobe, rerank, grouped, &mut ids, &mut dists, 2).unwrap();
    (ids, dists)
}

#[test]
fn kmeans_finds_separated_clusters_on_any_thread_count() {
    let dim = 8;
    let x = clustered(400, dim, 4, 1);
    let mut one = KMeans::new(&x, dim, 4, 400, IndexMetric::L2, 7).unwrap();
    let mut two = KMeans::new(&x, dim, 4, 400, IndexMetric::L2, 7).unwrap();
    let mut last = f64::INFINITY;
    for _ in 0..10 {
        let (a, b) = (one.step(1), two.step(2));
        assert_eq!(a, b);
        assert!(a.objective <= last * (1.0 + 1e-9), "the objective never rises: {} after {last}", a.objective);
        last = a.objective;
    }
    assert_eq!(one.centroids(), two.centroids());
    for _ in 0..100 {
        let before = one.centroids().to_vec();
        one.step(1);
        if one.centroids() == before {
            break;
        }
    }
    // Converged: each centroid is the mean of the rows nearest to it (a fixed point of Lloyd's
    // step; random starts may still put two centroids in one cluster, as in FAISS).
    let mut assigned = vec![0u32; 400];
    kmeans::assign(&x, dim, one.centroids(), false, 1, &mut assigned, &mut vec![0f32; 400]);
    for (c, centroid) in one.centroids().chunks_exact(dim).enumerate() {
        let rows: Vec<&[f32]> = x.chunks_exact(dim).zip(&assigned).filter(|(_, &a)| a as usize == c).map(|(r, _)| r).collect();
        assert!(!rows.is_empty());
        for (i, &v) in centroid.iter().enumerate() {
            let mean = rows.iter().map(|r| r[i] as f64).sum::<f64>() / rows.len() as f64;
            assert_eq!(v, mean as f32, "centroid {c}");
        }
    }
}

#[test]
fn kmeans_splits_empty_clusters() {
    // 3 distinct points, 6 clusters: starting from sampled rows, duplicates leave clusters empty.
    let dim = 4;
    let mut x = Vec::new();
    for r in 0..60 {
        x.extend(std::iter::repeat_n((r % 3) as f32 * 10.0 + 1.0, dim));
    }
    let mut km = KMeans::new(&x, dim, 6, 60, IndexMetric::L2, 3).unwrap();
    let splits: usize = (0..5).map(|_| km.step(1).splits).sum();
    assert!(splits > 0);
    let mut assigned = vec![0u32; 60];
    kmeans::assign(&x, dim, km.centroids(), false, 1, &mut assigned, &mut vec![0f32; 60]);
    let used: std::collections::HashSet<u32> = assigned.iter().copied().collect();
    assert!(used.len() >= 3);
}

#[test]
fn kmeans_rejects_bad_sizes() {
    let x = vec![0f32; 40];
    let msg = |r: Result<KMeans, Error>| r.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(msg(KMeans::new(&x, 4, 0, 10, IndexMetric::L2, 1)).contains("nlist must lie between 1 and the number of vectors (10)"));
    assert!(msg(KMeans::new(&x, 4, 11, 10, IndexMetric::L2, 1)).contains("got 11"));
    assert!(msg(KMeans::new(&x, 4, 5, 4, IndexMetric::L2, 1)).contains("needs at least 5"));
}

#[test]
fn f32_lists_probed_all_give_exact_search() {
    for metric in [IndexMetric::L2, IndexMetric::Ip, IndexMetric::Cosine] {
        let dim = 20;
        let x = clustered(600, dim, 6, 2);
        let q = clustered(30, dim, 5, 3);
        let mut normalised = Vec::new();
        for row in x.chunks_exact(dim) {
            flat::prepare_row(metric, row, &mut normalised);
        }
        let centroids = trained(&normalised, dim, 8, 5);
        let mut index = Ivf::new(dim, metric, Storage::F32, false, &centroids, 9).unwrap();
        index.add(&x[..250 * dim], 1).unwrap();
        index.add(&x[250 * dim..], 2).unwrap();
        let k = 10;
        // Cosine is the inner product of normalised vectors, as the index stores them.
        let (mut tids, mut tdists) = (vec![0u32; 30 * k], vec![0f32; 30 * k]);
        let mut nq = Vec::new();
        for row in q.chunks_exact(dim) {
            flat::prepare_row(metric, row, &mut nq);
        }
        let exact = if metric == IndexMetric::Cosine { IndexMetric::Ip } else { metric };
        flat::search(exact, &normalised, dim, &nq, k, &mut tids, &mut tdists, 1).unwrap();
        let (ids, dists) = search(&index, &q, k, 8, 0, false);
        // Exact distances agree; ids agree up to ties (whole-number data has many).
        assert_eq!(dists, tdists, "{metric:?}");
        for (r, (a, b)) in ids.chunks(k).zip(tids.chunks(k)).enumerate() {
            let (mut a, mut b) = (a.to_vec(), b.to_vec());
            a.sort();
            b.sort();
            if dists[r * k + k - 1] < dists.get(r * k + k).copied().unwrap_or(f32::INFINITY) {
                assert_eq!(a, b, "{metric:?} query {r}");
            }
        }
        assert_eq!(search(&index, &q, k, 8, 0, true), (ids, dists), "{metric:?}: batch path");
    }
}

#[test]
fn adding_in_parts_equals_adding_at_once() {
    let dim = 16;
    let x = clustered(500, dim, 5, 4);
    let centroids = trained(&x, dim, 5, 1);
    for storage in [Storage::F32, Storage::Rabitq(1), Storage::Rabitq(4)] {
        let mut once = Ivf::new(dim, IndexMetric::L2, storage, true, &centroids, 3).unwrap();
        once.add(&x, 1).unwrap();
        let mut parts = Ivf::new(dim, IndexMetric::L2, storage, true, &centroids, 3).unwrap();
        for chunk in x.chunks(123 * dim) {
            parts.add(chunk, 2).unwrap();
        }
        assert_eq!(once.ids(), parts.ids());
        assert_eq!(once.vectors(), parts.vectors());
        assert_eq!(once.codes(), parts.codes());
        assert_eq!(once.params(), parts.params());
        assert_eq!(once.sizes().iter().sum::<u32>(), 500);
    }
}

#[test]
fn rabitq_estimates_match_the_estimator_around_each_centroid() {
    let dim = 40;
    let x = clustered(300, dim, 3, 5);
    let q = clustered(6, dim, 3, 6);
    let centroids = trained(&x, dim, 4, 2);
    for (bits, metric) in [(1, IndexMetric::L2), (4, IndexMetric::L2), (2, IndexMetric::Ip), (8, IndexMetric::Cosine)] {
        let mut index = Ivf::new(dim, metric, Storage::Rabitq(bits), false, &centroids, 11).unwrap();
        index.add(&x, 2).unwrap();
        let n = 300;
        let (ids, dists) = search(&index, &q, n, 4, 0, false);
        // Independently: each list's codes through the row-major estimator with its file words.
        let cb = rabitq::code_bytes(bits as usize, dim);
        let sizes = index.sizes();
        for (r, row) in q.chunks_exact(dim).enumerate() {
            let mut qp = Vec::new();
            flat::prepare_row(metric, row, &mut qp);
            let mut want = Vec::new();
            let mut pos = 0;
            for (l, &size) in sizes.iter().enumerate() {
                let block = rabitq::read_block(&index.list_words(l), dim).unwrap();
                let prepared = Prepared::new(bits as usize, &qp, &block, metric == IndexMetric::L2);
                for p in pos..pos + size as usize {
                    let e = prepared.estimate(&index.codes()[p * cb..(p + 1) * cb], &index.params()[p * 3..p * 3 + 3], DEFAULT_EPS0);
                    want.push((e.distance, index.ids()[p]));
                }
                pos += size as usize;
            }
            want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            let got: Vec<(f32, u32)> = dists[r * n..(r + 1) * n].iter().copied().zip(ids[r * n..(r + 1) * n].iter().copied()).collect();
            let got_d: Vec<f32> = got.iter().map(|g| g.0).collect();
            let want_d: Vec<f32> = want.iter().map(|w| w.0).collect();
            assert_eq!(got_d, want_d, "rabitq{bits} {metric:?} query {r}");
        }
        assert_eq!(search(&index, &q, n, 4, 0, true), (ids, dists), "rabitq{bits}: batch path");
    }
}

#[test]
fn rabitq_rerank_recovers_exact_neighbours() {
    let dim = 32;
    let x = clustered(800, dim, 8, 7);
    let q = clustered(20, dim, 8, 8);
    let centroids = trained(&x, dim, 8, 4);
    let mut index = Ivf::new(dim, IndexMetric::L2, Storage::Rabitq(4), true, &centroids, 5).unwrap();
    index.add(&x, 1).unwrap();
    let k = 5;
    let (mut tids, mut tdists) = (vec![0u32; 20 * k], vec![0f32; 20 * k]);
    flat::search(IndexMetric::L2, &x, dim, &q, k, &mut tids, &mut tdists, 1).unwrap();
    let (_, dists) = search(&index, &q, k, 8, 200, false);
    assert_eq!(dists, tdists);
    assert_eq!(search(&index, &q, k, 8, 200, true).1, dists);
}

#[test]
fn batch_path_finds_what_single_queries_find() {
    // Float data and trained centroids: the batch path's matrix and a single query's packed
    // centroids give the same coarse scores, so both probe the same lists.
    let dim = 36;
    let mut rng = SplitMix64(23);
    let mut unit = || (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0;
    let x: Vec<f32> = (0..1200 * dim).map(|_| unit()).collect();
    let q: Vec<f32> = (0..50 * dim).map(|_| unit()).collect();
    for metric in [IndexMetric::L2, IndexMetric::Ip, IndexMetric::Cosine] {
        let mut normalised = Vec::new();
        for row in x.chunks_exact(dim) {
            flat::prepare_row(metric, row, &mut normalised);
        }
        let centroids = trained(&normalised, dim, 16, 2);
        for storage in [Storage::F32, Storage::Int8, Storage::Rabitq(1), Storage::Rabitq(4)] {
            let mut index = Ivf::new(dim, metric, storage, false, &centroids, 1).unwrap();
            index.add(&x, 2).unwrap();
            for nprobe in [1, 3, 7] {
                let single = search(&index, &q, 10, nprobe, 0, false);
                assert_eq!(search(&index, &q, 10, nprobe, 0, true), single, "{metric:?} {storage:?} nprobe {nprobe}");
                // The batch path shares the lists out between threads: any count, the same results.
                for threads in [1, 3, 64] {
                    let (mut ids, mut dists) = (vec![0u32; 500], vec![0f32; 500]);
                    index.search(&q, 10, nprobe, 0, true, &mut ids, &mut dists, threads).unwrap();
                    assert_eq!((ids, dists), single, "{metric:?} {storage:?} nprobe {nprobe}, {threads} threads");
                }
            }
        }
    }
}

#[test]
fn packed_centroids_score_as_the_matrix_does_at_every_level() {
    let dim = 45; // not a multiple of the SIMD width
    let mut rng = SplitMix64(29);
    let mut unit = || (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 * 4.0 - 2.0;
    let base: Vec<f32> = (0..70 * dim).map(|_| unit()).collect();
    let q: Vec<f32> = (0..dim).map(|_| unit()).collect();
    for level in crate::simd::supported_levels() {
        let panels = Panels::new(level, &base, dim);
        for (l2, metric) in [(true, Metric::L2sq), (false, Metric::Dot)] {
            let (mut row, mut want) = (vec![0f32; 70], vec![0f32; 70]);
            panels.row(&q, l2, &mut row);
            crate::distance::matrix::matrix_at(level, metric, &q, &base, dim, &mut want, 1).unwrap();
            assert_eq!(row, want, "{level:?} {metric:?}");
            let scalar = Panels::new(crate::simd::Level::Scalar, &base, dim);
            let mut reference = vec![0f32; 70];
            scalar.row(&q, l2, &mut reference);
            for (a, b) in row.iter().zip(&reference) {
                assert!((a - b).abs() <= 1e-4 * (1.0 + b.abs()), "{level:?} {metric:?}: {a} against scalar {b}");
            }
            // Many queries (a block and a part, tiles of every height): the matrix's values.
            let many: Vec<f32> = (0..31 * dim).map(|_| unit()).collect();
            let (mut rows, mut want) = (vec![0f32; 31 * 70], vec![0f32; 31 * 70]);
            panels.rows(&many, l2, &mut rows);
            crate::distance::matrix::matrix_at(level, metric, &many, &base, dim, &mut want, 1).unwrap();
            assert_eq!(rows, want, "{level:?} {metric:?}: rows");
        }
    }
}

#[test]
fn parts_round_trip_and_bad_parts_are_rejected() {
    let dim = 16;
    let x = clustered(200, dim, 4, 11);
    let centroids = trained(&x, dim, 4, 3);
    let mut index = Ivf::new(dim, IndexMetric::L2, Storage::Rabitq(2), true, &centroids, 8).unwrap();
    index.add(&x, 1).unwrap();
    let sizes = index.sizes();
    let parts = |sizes: &[u32], ids: &[u32]| {
        Ivf::from_parts(IvfParts {
            dim,
            metric: IndexMetric::L2,
            storage: Storage::Rabitq(2),
            keep: true,
            seed: 8,
            centroids: &centroids,
            sizes,
            ids,
            vectors: index.vectors(),
            codes: index.codes(),
            params: index.params(),
        })
    };
    let back = parts(&sizes, index.ids()).unwrap();
    let q = clustered(5, dim, 4, 12);
    assert_eq!(search(&back, &q, 10, 2, 20, false), search(&index, &q, 10, 2, 20, false));
    let mut twice = index.ids().to_vec();
    twice[1] = twice[0];
    assert!(parts(&sizes, &twice).err().unwrap().to_string().contains("each once"));
    assert!(parts(&sizes[..3], index.ids()).err().unwrap().to_string().contains("holds 3 lists"));
    let mut more = sizes.clone();
    more[0] += 1;
    assert!(parts(&more, index.ids()).is_err());
}

#[test]
fn bad_searches_are_errors() {
    let dim = 8;
    let x = clustered(50, dim, 2, 13);
    let centroids = trained(&x, dim, 2, 1);
    let mut index = Ivf::new(dim, IndexMetric::L2, Storage::Rabitq(1), false, &centroids, 1).unwrap();
    index.add(&x, 1).unwrap();
    let (mut ids, mut dists) = (vec![0u32; 10], vec![0f32; 10]);
    let mut err = |nprobe, rerank| index.search(&x[..dim], 10, nprobe, rerank, false, &mut ids, &mut dists, 1).err().unwrap().to_string();
    assert!(err(0, 0).contains("nprobe must lie between 1 and nlist (2), got 0"));
    assert!(err(3, 0).contains("got 3"));
    assert!(err(1, 20).contains("keeps its float32 vectors"));
    assert!(Ivf::new(dim, IndexMetric::L2, Storage::Binary, false, &centroids, 1).is_err());
    assert!(index.add(&[f32::NAN; 8], 1).err().unwrap().to_string().contains("vector 0 holds NaN"));
}

#[test]
fn assignment_is_the_exact_float64_argmin() {
    // Random rows and centroids, plus rows exactly halfway between two centroids: the float32 matrix
    // may order those either way, the float64 rule picks the lower centroid.
    let dim = 24;
    let mut rng = SplitMix64(17);
    let mut unit = || (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
    let centroids: Vec<f32> = (0..40 * dim).map(|_| unit()).collect();
    let mut x: Vec<f32> = (0..500 * dim).map(|_| unit()).collect();
    for pair in 0..20 {
        let (a, b) = (&centroids[pair * dim..(pair + 1) * dim], &centroids[(pair + 20) * dim..(pair + 21) * dim]);
        x.extend(a.iter().zip(b).map(|(p, q)| (p + q) / 2.0));
    }
    for ip in [false, true] {
        let n = x.len() / dim;
        let (mut ids, mut dists) = (vec![0u32; n], vec![0f32; n]);
        kmeans::assign(&x, dim, &centroids, ip, 2, &mut ids, &mut dists);
        for (r, row) in x.chunks_exact(dim).enumerate() {
            let exact: Vec<f64> = centroids.chunks_exact(dim).map(|c| kmeans::exact_distance(row, c, ip)).collect();
            let want = (0..exact.len()).fold(0, |best, j| if exact[j] < exact[best] { j } else { best });
            assert_eq!(ids[r] as usize, want, "row {r}, ip {ip}");
        }
    }
}

/// Writes `parts` as sections at 64-byte-aligned offsets after a 128-byte preamble, the way a
/// `.vidx` file lays them out, and returns the file's path and the offsets.
fn write_sections(name: &str, sections: &[&[u8]]) -> (std::path::PathBuf, Vec<usize>) {
    let path = std::env::temp_dir().join(format!("vectro-ivf-{}-{name}.bin", std::process::id()));
    let mut bytes = vec![0u8; 128];
    let mut at = Vec::new();
    for s in sections {
        at.push(bytes.len());
        bytes.extend_from_slice(s);
        bytes.resize(bytes.len().div_ceil(64) * 64, 0);
    }
    std::fs::write(&path, &bytes).unwrap();
    (path, at)
}

fn as_bytes<T: crate::mmap::Plain>(x: &[T]) -> &[u8] {
    // SAFETY: plain values viewed as their bytes.
    unsafe { std::slice::from_raw_parts(x.as_ptr().cast(), std::mem::size_of_val(x)) }
}

#[test]
fn a_mapped_index_searches_as_the_loaded_one_and_checks_its_file() {
    let (dim, n) = (24, 600);
    let x = clustered(n, dim, 4, 21);
    let centroids = trained(&x, dim, 6, 3);
    for storage in [Storage::F32, Storage::Int8, Storage::Rabitq(4)] {
        let mut index = Ivf::new(dim, IndexMetric::L2, storage, true, &centroids, 8).unwrap();
        index.add(&x, 1).unwrap();
        let sizes = index.sizes();
        let sections: [&[u8]; 6] = [
            as_bytes(index.vectors()),
            as_bytes(index.codes()),
            as_bytes(index.params()),
            as_bytes(&centroids),
            as_bytes(&sizes),
            as_bytes(index.ids()),
        ];
        let (path, at) = write_sections(&format!("{}", storage.id()), &sections);
        let at_of =
            |at: &[usize]| MappedSections { vectors: at[0], codes: at[1], params: at[2], centroids: at[3], sizes: at[4], ids: at[5] };
        let shape = || MappedShape { dim, metric: IndexMetric::L2, storage, keep: true, seed: 8, nlist: 6, count: n };
        let map = Arc::new(Mapping::open(&path).unwrap());
        let mapped = Ivf::open_mapped(Arc::clone(&map), shape(), at_of(&at)).unwrap();
        assert!(mapped.is_mapped());
        let q = clustered(7, dim, 4, 22);
        let rerank = if storage == Storage::F32 { 0 } else { 20 };
        for grouped in [false, true] {
            assert_eq!(search(&mapped, &q, 10, 3, rerank, grouped), search(&index, &q, 10, 3, rerank, grouped));
        }

        // A section past the end of the file, or misaligned, is refused before any read.
        let mut past = at.clone();
        past[5] = map.len() - 8;
        assert!(Ivf::open_mapped(Arc::clone(&map), shape(), at_of(&past)).err().unwrap().to_string().contains("does not lie inside"));
        let mut odd = at.clone();
        odd[3] += 2;
        assert!(Ivf::open_mapped(Arc::clone(&map), shape(), at_of(&odd)).is_err());
        // A count the lists do not add up to.
        assert!(Ivf::open_mapped(Arc::clone(&map), MappedShape { count: n - 1, ..shape() }, at_of(&at)).is_err());

        // Rewritten in place (appended to): the next search is an error, not a read of changed data.
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
        std::io::Write::write_all(&mut file, &[0u8; 64]).unwrap();
        let (mut ids, mut dists) = (vec![0u32; 70], vec![0f32; 70]);
        let err = mapped.search(&q, 10, 3, rerank, false, &mut ids, &mut dists, 1).unwrap_err();
        assert!(err.to_string().contains("changed on disk"), "{err}");
        drop(mapped);
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn a_mapped_index_with_a_bad_directory_is_refused() {
    let (dim, n) = (8, 200);
    let x = clustered(n, dim, 4, 31);
    let centroids = trained(&x, dim, 4, 3);
    let mut index = Ivf::new(dim, IndexMetric::L2, Storage::F32, false, &centroids, 8).unwrap();
    index.add(&x, 1).unwrap();
    let sizes = index.sizes();
    let mut ids = index.ids().to_vec();
    ids[3] = ids[4];
    let sections: [&[u8]; 6] = [as_bytes(index.vectors()), &[], &[], as_bytes(&centroids), as_bytes(&sizes), as_bytes(&ids)];
    let (path, at) = write_sections("dup", &sections);
    let map = Arc::new(Mapping::open(&path).unwrap());
    let shape = MappedShape { dim, metric: IndexMetric::L2, storage: Storage::F32, keep: false, seed: 8, nlist: 4, count: n };
    let at = MappedSections { vectors: at[0], codes: at[1], params: at[2], centroids: at[3], sizes: at[4], ids: at[5] };
    assert!(Ivf::open_mapped(map, shape, at).err().unwrap().to_string().contains("each once"));
    std::fs::remove_file(&path).unwrap();
    assert!(Mapping::open(&path).is_err());
}

#[test]
fn int8_lists_measure_the_int8_distance_and_rerank_to_exact() {
    let (dim, n) = (20, 500);
    let mut rng = SplitMix64(41);
    let x: Vec<f32> = (0..n * dim).map(|_| (rng.next_u64() % 20_001) as f32 / 1000.0 - 10.0).collect();
    let q: Vec<f32> = (0..3 * dim).map(|_| (rng.next_u64() % 20_001) as f32 / 1000.0 - 10.0).collect();
    for metric in [IndexMetric::L2, IndexMetric::Ip] {
        let mut km = KMeans::new(&x, dim, 5, n, metric, 2).unwrap();
        (0..5).for_each(|_| {
            let _ = km.step(1);
        });
        let mut index = Ivf::new(dim, metric, Storage::Int8, true, km.centroids(), 8).unwrap();
        index.add(&x, 2).unwrap();
        // The int8 distance computed here from the codes, independently of the index.
        let code = |v: &[f32]| {
            let (mut c, mut s) = (vec![0u8; dim], [0f32]);
            crate::quant::encode(Scheme::INT8, v, dim, &[], &mut c, &mut s, 1).unwrap();
            (c.iter().map(|&b| b as i8 as i64).collect::<Vec<_>>(), s[0] as f64)
        };
        for qv in q.chunks_exact(dim) {
            let (qc, qs) = code(qv);
            let mut want: Vec<(f32, u32)> = x
                .chunks_exact(dim)
                .enumerate()
                .map(|(id, v)| {
                    let (c, s) = code(v);
                    let dot = qc.iter().zip(&c).map(|(a, b)| a * b).sum::<i64>() as f64;
                    let (nq, nx) =
                        (qs * qs * qc.iter().map(|a| a * a).sum::<i64>() as f64, s * s * c.iter().map(|a| a * a).sum::<i64>() as f64);
                    let d = if metric == IndexMetric::L2 { (nq + nx - 2.0 * qs * s * dot).max(0.0) } else { 1.0 - qs * s * dot };
                    (d as f32, id as u32)
                })
                .collect();
            want.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
            let (ids, dists) = search(&index, qv, 10, 5, 0, false);
            assert_eq!(dists, want[..10].iter().map(|w| w.0).collect::<Vec<_>>(), "{metric:?}: every list probed, the int8 distances");
            assert_eq!(ids, want[..10].iter().map(|w| w.1).collect::<Vec<_>>(), "{metric:?}");
            // A rerank of every vector is exact search.
            let exact = search(&index, qv, 10, 5, n, false);
            let mut truth: Vec<(f32, u32)> = x.chunks_exact(dim).enumerate().map(|(id, v)| (index.exact(qv, v), id as u32)).collect();
            truth.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
            assert_eq!(exact.1, truth[..10].iter().map(|t| t.0).collect::<Vec<_>>(), "{metric:?}: rerank of all");
        }
        // Saved and rebuilt, it searches the same, single or grouped.
        let back = Ivf::from_parts(IvfParts {
            dim,
            metric,
            storage: Storage::Int8,
            keep: true,
            seed: 8,
            centroids: index.centroids(),
            sizes: &index.sizes(),
            ids: index.ids(),
            vectors: index.vectors(),
            codes: index.codes(),
            params: index.params(),
        })
        .unwrap();
        assert_eq!(search(&back, &q, 10, 2, 30, true), search(&index, &q, 10, 2, 30, false));
    }
}

#[test]
fn shortlist_orders_by_estimate_then_position_with_signed_zeros_equal() {
    // Nine offers (a group of eight, then one): -1 first, then the zeros by position whatever their
    // sign, as the js baseline orders them; NaN counts as +inf.
    let mut short = Shortlist::new(4);
    short.offer(&[0.5, -0.0, -1.0, 0.0, f32::NAN, -0.0, 2.0, 0.25, 0.0], 10, |i| i as f32);
    let got: Vec<(u32, f32)> = short.into_sorted().iter().map(|c| (c.pos, c.bound)).collect();
    assert_eq!(got, vec![(12, 2.0), (11, 1.0), (13, 3.0), (15, 5.0)]);
}
