//! Exact (brute-force) k-nearest-neighbour search: the `flat` index and `vectro groundtruth`.
//!
//! Queries go in blocks against chunks of the base through the tiled distance matrix; a streaming
//! top-k keeps `k + RERANK_MARGIN` candidates per query, which are then re-scored with the direct
//! pair kernel. The matrix computes l2 from norms (fast, slightly less precise); the re-scoring makes
//! the returned distances and their order exact. Query blocks are spread over threads.

use crate::distance::matrix::matrix_at;
use crate::distance::{kernels, Metric};
use crate::error::{invalid, Error};
use crate::parallel::{rows_per_block, run_blocks};
use crate::quant::MAX_DIM;
use crate::simd::{self, Level};
use crate::topk::TopK;

/// How an index ranks vectors (smaller is nearer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexMetric {
    /// Squared euclidean distance.
    L2,
    /// Inner product, as the distance `1 - a.b` (as hnswlib does).
    Ip,
    /// Cosine distance `1 - a.b / (|a| |b|)`.
    Cosine,
}

impl IndexMetric {
    pub fn from_id(id: u32) -> Option<IndexMetric> {
        match id {
            0 => Some(IndexMetric::L2),
            1 => Some(IndexMetric::Ip),
            2 => Some(IndexMetric::Cosine),
            _ => None,
        }
    }

    pub fn id(self) -> u32 {
        self as u32
    }
}

/// Candidates kept beyond k before exact re-scoring.
const RERANK_MARGIN: usize = 16;
const QUERY_BLOCK: usize = 64;
const BASE_CHUNK: usize = 8192;

/// Appends `x` to `out`, normalised for cosine (a zero vector stays zero), as it is otherwise. The
/// norm is summed in order in float32, as the TypeScript baseline does, so both store the same bits.
pub fn prepare_row(metric: IndexMetric, x: &[f32], out: &mut Vec<f32>) {
    if metric != IndexMetric::Cosine {
        out.extend_from_slice(x);
        return;
    }
    let norm = x.iter().map(|v| v * v).sum::<f32>().sqrt();
    out.extend(x.iter().map(|v| if norm > 0.0 { v / norm } else { 0.0 }));
}

/// The exact distance of one pair under `metric`, at `level`.
pub fn distance_at(level: Level, metric: IndexMetric, a: &[f32], b: &[f32]) -> f32 {
    let k = kernels(level);
    // SAFETY: `kernels` returns a supported level's table; callers pass equal lengths.
    unsafe {
        match metric {
            IndexMetric::L2 => k.f32_pair[0](a, b),
            IndexMetric::Ip => 1.0 - k.f32_pair[1](a, b),
            IndexMetric::Cosine => k.f32_pair[2](a, b),
        }
    }
}

/// For each query, the ids and distances of its k nearest base rows, nearest first (ties to the
/// smaller id). `ids` and `dists` hold `queries * k` entries.
#[allow(clippy::too_many_arguments)]
pub fn search(
    metric: IndexMetric,
    base: &[f32],
    dim: usize,
    queries: &[f32],
    k: usize,
    ids: &mut [u32],
    dists: &mut [f32],
    threads: usize,
) -> Result<(), Error> {
    search_at(simd::level(), metric, base, dim, queries, k, ids, dists, threads)
}

#[allow(clippy::too_many_arguments)]
pub fn search_at(
    level: Level,
    metric: IndexMetric,
    base: &[f32],
    dim: usize,
    queries: &[f32],
    k: usize,
    ids: &mut [u32],
    dists: &mut [f32],
    threads: usize,
) -> Result<(), Error> {
    if dim == 0 || dim > MAX_DIM || !base.len().is_multiple_of(dim) || !queries.len().is_multiple_of(dim) {
        return Err(invalid(format!("base ({}) and queries ({}) must be whole rows of dim {dim}", base.len(), queries.len())));
    }
    let (n, m) = (base.len() / dim, queries.len() / dim);
    if k == 0 || k > n || n > u32::MAX as usize {
        return Err(invalid(format!("k must be between 1 and the number of base vectors ({n}), got {k}")));
    }
    if ids.len() != m * k || dists.len() != m * k {
        return Err(invalid(format!("outputs hold {} and {} entries, {m} queries x k {k} need {}", ids.len(), dists.len(), m * k)));
    }
    if m == 0 {
        return Ok(());
    }
    let level = simd::best_level(level);
    let keep = (k + RERANK_MARGIN).min(n);
    let matrix_metric = match metric {
        IndexMetric::L2 => Metric::L2sq,
        IndexMetric::Ip => Metric::Dot,
        IndexMetric::Cosine => Metric::Cosine,
    };
    // Enough work per thread: a block of queries against the whole base is plenty.
    let threads = if threads == 0 { crate::parallel::available_threads() } else { threads };
    let per = rows_per_block(m, threads.min(m.div_ceil(QUERY_BLOCK)).max(1));
    let blocks: Vec<_> = ids.chunks_mut(per * k).zip(dists.chunks_mut(per * k)).enumerate().collect();
    run_blocks(blocks, |(b, (ids, dists))| {
        let first = b * per;
        let rows = ids.len() / k;
        let mut scratch = vec![0f32; QUERY_BLOCK * BASE_CHUNK];
        for q0 in (0..rows).step_by(QUERY_BLOCK) {
            let qn = (rows - q0).min(QUERY_BLOCK);
            let qs = &queries[(first + q0) * dim..(first + q0 + qn) * dim];
            let mut tops: Vec<TopK> = (0..qn).map(|_| TopK::new(keep)).collect();
            for c0 in (0..n).step_by(BASE_CHUNK) {
                let cn = (n - c0).min(BASE_CHUNK);
                let tile = &mut scratch[..qn * cn];
                matrix_at(level, matrix_metric, qs, &base[c0 * dim..(c0 + cn) * dim], dim, tile, 1).expect("shapes checked above");
                for (r, top) in tops.iter_mut().enumerate() {
                    let row = &mut tile[r * cn..(r + 1) * cn];
                    if metric == IndexMetric::Ip {
                        row.iter_mut().for_each(|s| *s = 1.0 - *s);
                    }
                    top.offer(row, c0 as u32);
                }
            }
            for (r, top) in tops.into_iter().enumerate() {
                let q = &qs[r * dim..(r + 1) * dim];
                let mut exact: Vec<(f32, u32)> = top
                    .into_sorted()
                    .into_iter()
                    .map(|(_, id)| (distance_at(level, metric, q, &base[id as usize * dim..(id as usize + 1) * dim]), id))
                    .collect();
                exact.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                let out = (q0 + r) * k;
                for (j, (d, id)) in exact.into_iter().take(k).enumerate() {
                    ids[out + j] = id;
                    dists[out + j] = d;
                }
            }
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::supported_levels;

    /// Brute force with the scalar pair kernel and a full sort: the reference.
    fn reference(metric: IndexMetric, base: &[f32], dim: usize, q: &[f32], k: usize) -> Vec<(f32, u32)> {
        let mut all: Vec<(f32, u32)> =
            base.chunks_exact(dim).enumerate().map(|(i, row)| (distance_at(Level::Scalar, metric, q, row), i as u32)).collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        all.truncate(k);
        all
    }

    #[test]
    fn matches_brute_force_on_integer_data_with_ties() {
        // Whole numbers 0..7: many exact ties, and every distance exact in float32.
        let (n, m, dim) = (20_000usize, 70usize, 9usize);
        let mut s = 7u64;
        let mut next = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % 8) as f32
        };
        let base: Vec<f32> = (0..n * dim).map(|_| next()).collect();
        let queries: Vec<f32> = (0..m * dim).map(|_| next()).collect();
        for metric in [IndexMetric::L2, IndexMetric::Ip, IndexMetric::Cosine] {
            for level in supported_levels() {
                for (k, threads) in [(1usize, 1usize), (10, 2), (100, 3)] {
                    let (mut ids, mut dists) = (vec![0u32; m * k], vec![0f32; m * k]);
                    search_at(level, metric, &base, dim, &queries, k, &mut ids, &mut dists, threads).unwrap();
                    for q in 0..m {
                        let want = reference(metric, &base, dim, &queries[q * dim..(q + 1) * dim], k);
                        let got: Vec<u32> = ids[q * k..(q + 1) * k].to_vec();
                        if metric == IndexMetric::L2 {
                            // Integer data: distances are exact everywhere, so ids match exactly.
                            assert_eq!(got, want.iter().map(|w| w.1).collect::<Vec<_>>(), "{metric:?} {level:?} k {k} query {q}");
                        }
                        for (j, w) in want.iter().enumerate() {
                            assert!((dists[q * k + j] - w.0).abs() <= 1e-5, "{metric:?} {level:?} k {k} q {q} rank {j}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn bad_arguments_are_refused() {
        let base = [0f32; 8];
        assert!(search(IndexMetric::L2, &base, 2, &base[..2], 5, &mut [0; 5], &mut [0.0; 5], 1).is_err());
        assert!(search(IndexMetric::L2, &base, 2, &base[..2], 2, &mut [0; 1], &mut [0.0; 2], 1).is_err());
        assert!(search(IndexMetric::L2, &base, 3, &base[..3], 1, &mut [0; 1], &mut [0.0; 1], 1).is_err());
    }
}
