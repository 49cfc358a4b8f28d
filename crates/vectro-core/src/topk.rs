//! The k smallest of n scores, with their indexes, ascending; ties go to the smaller index, and
//! NaN counts as +infinity. The answer is unique under that order, so every implementation
//! (and the js baseline) returns exactly the same indexes and scores.
//!
//! A max-heap of the k best so far, and a pass that skips whole 16-score blocks none of which
//! beats the heap's worst: after the first few thousand scores almost every block is skipped.

use crate::error::{invalid, Error};
use crate::simd::{self, Level};

#[inline(always)]
fn key(s: f32) -> f32 {
    if s.is_nan() {
        f32::INFINITY
    } else {
        s
    }
}

/// Whether (a, i) ranks after (b, j).
#[inline(always)]
fn worse(a: (f32, u32), b: (f32, u32)) -> bool {
    a.0 > b.0 || (a.0 == b.0 && a.1 > b.1)
}

fn sift_down(heap: &mut [(f32, u32)], mut at: usize) {
    loop {
        let (l, r) = (2 * at + 1, 2 * at + 2);
        let mut top = at;
        if l < heap.len() && worse(heap[l], heap[top]) {
            top = l;
        }
        if r < heap.len() && worse(heap[r], heap[top]) {
            top = r;
        }
        if top == at {
            return;
        }
        heap.swap(at, top);
        at = top;
    }
}

/// The k best (smallest) scores seen so far, fed block by block: ties go to the smaller index,
/// NaN counts as +infinity. Blocks must arrive in increasing index order.
pub struct TopK {
    k: usize,
    heap: Vec<(f32, u32)>,
}

impl TopK {
    pub fn new(k: usize) -> TopK {
        TopK { k, heap: Vec::with_capacity(k) }
    }

    /// The score a new entry must beat to get in (+infinity until k entries are in).
    #[inline(always)]
    pub fn threshold(&self) -> f32 {
        if self.heap.len() < self.k {
            f32::INFINITY
        } else {
            self.heap[0].0
        }
    }

    /// Offers `scores[i]` as index `first + i`, for every i.
    #[inline(always)]
    pub fn offer(&mut self, scores: &[f32], first: u32) {
        let mut i = 0;
        // Fill the heap first, then heapify once.
        while self.heap.len() < self.k && i < scores.len() {
            self.heap.push((key(scores[i]), first + i as u32));
            i += 1;
            if self.heap.len() == self.k {
                for at in (0..self.k / 2).rev() {
                    sift_down(&mut self.heap, at);
                }
            }
        }
        let mut threshold = self.threshold();
        const BLOCK: usize = 16;
        while i < scores.len() {
            let end = (i + BLOCK).min(scores.len());
            // Branch-free test of the whole block, so it vectorises; NaN never passes `<`.
            let any = scores[i..end].iter().fold(false, |any, &s| any | (s < threshold));
            if any {
                for (j, &s) in scores[i..end].iter().enumerate() {
                    if s < threshold {
                        self.heap[0] = (s, first + (i + j) as u32); // s < threshold: not NaN
                        sift_down(&mut self.heap, 0);
                        threshold = self.heap[0].0;
                    }
                }
            }
            i = end;
        }
    }

    /// The entries, best first: (key, index).
    pub fn into_sorted(mut self) -> Vec<(f32, u32)> {
        self.heap.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.heap
    }
}

#[inline(always)]
fn select_generic(scores: &[f32], k: usize, idx: &mut [u32], dist: &mut [f32]) {
    let mut top = TopK::new(k);
    top.offer(scores, 0);
    for ((o, d), (_, j)) in idx.iter_mut().zip(dist.iter_mut()).zip(top.into_sorted()) {
        *o = j;
        *d = scores[j as usize];
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn select_avx512(scores: &[f32], k: usize, idx: &mut [u32], dist: &mut [f32]) {
    select_generic(scores, k, idx, dist)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn select_avx2(scores: &[f32], k: usize, idx: &mut [u32], dist: &mut [f32]) {
    select_generic(scores, k, idx, dist)
}

/// Writes the k smallest scores' indexes and scores, ascending. `1 <= k <= scores.len()`, and
/// `idx` and `dist` hold exactly k entries.
pub fn smallest(scores: &[f32], k: usize, idx: &mut [u32], dist: &mut [f32]) -> Result<(), Error> {
    smallest_at(simd::level(), scores, k, idx, dist)
}

pub fn smallest_at(level: Level, scores: &[f32], k: usize, idx: &mut [u32], dist: &mut [f32]) -> Result<(), Error> {
    if k == 0 || k > scores.len() || scores.len() > u32::MAX as usize {
        return Err(invalid(format!("k must be between 1 and the number of scores ({}), got {k}", scores.len())));
    }
    if idx.len() != k || dist.len() != k {
        return Err(invalid(format!("outputs hold {} and {} entries, k is {k}", idx.len(), dist.len())));
    }
    match simd::best_level(level) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported.
        Level::Avx512 => unsafe { select_avx512(scores, k, idx, dist) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is supported.
        Level::Avx2 => unsafe { select_avx2(scores, k, idx, dist) },
        _ => select_generic(scores, k, idx, dist),
    }
    Ok(())
}
