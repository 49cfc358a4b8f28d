//! k-means for an IVF index's coarse quantizer (Lloyd's iterations, as FAISS's `Clustering`).
//!
//! Training runs on a seeded sample of the base rows; the first `k` sampled rows are the first
//! centroids. Each step assigns every sample row to its nearest centroid with the tiled
//! distance-matrix kernel, then moves each centroid to the mean of its rows (summed in float64, in
//! row order, so a step gives the same centroids on any number of threads). An empty cluster takes
//! half of a large one, as FAISS does: it copies that centroid and both are nudged apart by a
//! factor of 1 +- 1/1024 on alternate coordinates.

use crate::distance::matrix::matrix;
use crate::distance::Metric;
use crate::error::{invalid, Error};
use crate::flat::{prepare_row, IndexMetric};
use crate::quant::rotation::SplitMix64;

/// Rows whose distances to every centroid are held at once by [`assign`].
const ASSIGN_ROWS: usize = 1024;
/// FAISS's nudge when an empty cluster takes half of another.
const SPLIT_EPS: f32 = 1.0 / 1024.0;

/// Lloyd's k-means over a sample, one step at a time (the caller reports progress between steps).
pub struct KMeans {
    dim: usize,
    k: usize,
    sample: Vec<f32>,
    centroids: Vec<f32>,
    /// ip and cosine: rows go to the centroid of largest inner product (as FAISS trains an
    /// inner-product IVF); l2: to the nearest.
    ip: bool,
    rng: SplitMix64,
    /// Scratch: each sample row's cluster.
    assigned: Vec<u32>,
}

/// What one step measured: the objective (sum of squared distances to the assigned centroids, or
/// for ip the negated sum of inner products, before the centroids moved) and the clusters that
/// were empty and were split.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub objective: f64,
    pub splits: usize,
}

/// A uniform draw in 0..n.
fn below(rng: &mut SplitMix64, n: usize) -> usize {
    ((rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * n as f64) as usize
}

impl KMeans {
    /// Samples `train_size` rows of `x` (`dim` wide) with `seed` and starts from `k` of them.
    /// `train_size` must lie between `k` and the number of rows. For `metric` cosine the sampled
    /// rows are normalised, as an index stores them; ip and cosine assign by inner product.
    pub fn new(x: &[f32], dim: usize, k: usize, train_size: usize, metric: IndexMetric, seed: u64) -> Result<KMeans, Error> {
        if dim == 0 || !x.len().is_multiple_of(dim) {
            return Err(invalid(format!("the training vectors hold {} values, not whole vectors of dim {dim}", x.len())));
        }
        let n = x.len() / dim;
        if k == 0 || k > n {
            return Err(invalid(format!("nlist must lie between 1 and the number of vectors ({n}), got {k}")));
        }
        if train_size < k || train_size > n {
            return Err(invalid(format!(
                "a training sample of {train_size} vectors cannot train {k} lists: it needs at least {k} (one per list) and at most {n}"
            )));
        }
        let mut rng = SplitMix64(seed);
        // A partial Fisher-Yates shuffle: the first train_size slots are the sample.
        let mut order: Vec<u32> = (0..n as u32).collect();
        for i in 0..train_size {
            let j = i + below(&mut rng, n - i);
            order.swap(i, j);
        }
        let mut sample = Vec::with_capacity(train_size * dim);
        for &r in &order[..train_size] {
            prepare_row(metric, &x[r as usize * dim..(r as usize + 1) * dim], &mut sample);
        }
        if !sample.iter().all(|v| v.is_finite()) {
            return Err(invalid("the training vectors hold NaN or infinite values"));
        }
        let centroids = sample[..k * dim].to_vec();
        Ok(KMeans { dim, k, sample, centroids, ip: metric != IndexMetric::L2, rng, assigned: vec![0; train_size] })
    }

    pub fn centroids(&self) -> &[f32] {
        &self.centroids
    }

    pub fn sample_rows(&self) -> usize {
        self.sample.len() / self.dim
    }

    /// One Lloyd iteration on `threads` threads (0 = all).
    pub fn step(&mut self, threads: usize) -> Step {
        let (dim, k) = (self.dim, self.k);
        let mut nearest = vec![0f32; self.assigned.len()];
        assign(&self.sample, dim, &self.centroids, self.ip, threads, &mut self.assigned, &mut nearest);
        let objective = nearest.iter().map(|&d| d as f64).sum();

        let mut sums = vec![0f64; k * dim];
        let mut counts = vec![0usize; k];
        for (row, &c) in self.sample.chunks_exact(dim).zip(&self.assigned) {
            counts[c as usize] += 1;
            for (s, &v) in sums[c as usize * dim..][..dim].iter_mut().zip(row) {
                *s += v as f64;
            }
        }
        for ((centroid, sum), &count) in self.centroids.chunks_exact_mut(dim).zip(sums.chunks_exact(dim)).zip(&counts) {
            if count > 0 {
                for (c, &s) in centroid.iter_mut().zip(sum) {
                    *c = (s / count as f64) as f32;
                }
            }
        }
        let splits = self.split_empty(&mut counts);
        Step { objective, splits }
    }

    /// Gives each empty cluster half of a cluster drawn with probability growing with its size (as
    /// FAISS's `split_clusters`). Returns how many were empty.
    fn split_empty(&mut self, counts: &mut [usize]) -> usize {
        let (dim, n, k) = (self.dim, self.sample_rows(), self.k);
        let mut splits = 0;
        for empty in 0..k {
            if counts[empty] != 0 {
                continue;
            }
            splits += 1;
            // Some cluster holds at least two rows (n >= k and this one is empty).
            let donor = loop {
                let j = below(&mut self.rng, k);
                let p = (counts[j] as f64 - 1.0) / (n - k) as f64;
                if counts[j] > 1 && (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p {
                    break j;
                }
            };
            let source = self.centroids[donor * dim..(donor + 1) * dim].to_vec();
            for (i, &v) in source.iter().enumerate() {
                let (up, down) = (v * (1.0 + SPLIT_EPS), v * (1.0 - SPLIT_EPS));
                let (e, d) = if i % 2 == 0 { (up, down) } else { (down, up) };
                self.centroids[empty * dim + i] = e;
                self.centroids[donor * dim + i] = d;
            }
            counts[empty] = counts[donor] / 2;
            counts[donor] -= counts[empty];
        }
        splits
    }
}

/// The nearest centroid of each row of `x`, and its float32 distance: squared l2, or for `ip` the
/// negated inner product.
///
/// The choice is the argmin of exact float64 distances (sums in coordinate order; ties to the lower
/// centroid), a rule the TypeScript baseline follows exactly. The float32 tiled matrix kernel finds it
/// fast: its error is below `(2 dim + 8) 2^-24 (|x|^2 + |c|^2)` (each of |x|^2, |c|^2 and <x, c>
/// summed over dim terms, then combined), so only the centroids within twice that of the float32
/// minimum can be the exact argmin, and only those (usually one) are measured again in float64.
pub fn assign(x: &[f32], dim: usize, centroids: &[f32], ip: bool, threads: usize, ids: &mut [u32], dists: &mut [f32]) {
    let k = centroids.len() / dim;
    let metric = if ip { Metric::Dot } else { Metric::L2sq };
    let norm = |v: &[f32]| v.iter().map(|&a| a as f64 * a as f64).sum::<f64>();
    let widest = centroids.chunks_exact(dim).map(norm).fold(0f64, f64::max);
    let slack = (2 * dim + 8) as f64 * 2f64.powi(-23) * 1.01;
    let mut block = vec![0f32; ASSIGN_ROWS * k];
    for ((rows, ids), dists) in x.chunks(ASSIGN_ROWS * dim).zip(ids.chunks_mut(ASSIGN_ROWS)).zip(dists.chunks_mut(ASSIGN_ROWS)) {
        let out = &mut block[..rows.len() / dim * k];
        matrix(metric, rows, centroids, dim, out, threads).expect("rows and centroids are whole vectors of dim");
        for (((scores, row), id), d) in out.chunks_exact_mut(k).zip(rows.chunks_exact(dim)).zip(ids.iter_mut()).zip(dists.iter_mut()) {
            if ip {
                scores.iter_mut().for_each(|v| *v = -*v);
            }
            let (mut best, mut at) = (f32::INFINITY, 0usize);
            for (j, &v) in scores.iter().enumerate() {
                if v < best {
                    best = v;
                    at = j;
                }
            }
            let limit = best as f64 + slack * (norm(row) + widest);
            if scores.iter().filter(|&&v| (v as f64) <= limit).count() > 1 {
                at = exact_argmin(row, centroids, ip, scores.iter().enumerate().filter(|(_, &v)| (v as f64) <= limit).map(|(j, _)| j));
            }
            *id = at as u32;
            *d = scores[at];
        }
    }
}

/// The exact float64 distance of a row to a centroid, summed in coordinate order: squared l2, or
/// the negated inner product for `ip` (the TypeScript baseline computes the same bits).
pub fn exact_distance(x: &[f32], c: &[f32], ip: bool) -> f64 {
    if ip {
        -x.iter().zip(c).map(|(&a, &b)| a as f64 * b as f64).sum::<f64>()
    } else {
        x.iter().zip(c).map(|(&a, &b)| (a as f64 - b as f64) * (a as f64 - b as f64)).sum::<f64>()
    }
}

/// Of the `candidates` (increasing), the centroid of least exact distance, the first on ties.
fn exact_argmin(x: &[f32], centroids: &[f32], ip: bool, candidates: impl Iterator<Item = usize>) -> usize {
    let dim = x.len();
    let (mut best, mut at) = (f64::INFINITY, 0);
    for j in candidates {
        let d = exact_distance(x, &centroids[j * dim..(j + 1) * dim], ip);
        if d < best {
            best = d;
            at = j;
        }
    }
    at
}
