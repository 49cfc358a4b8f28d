//! Top-k against a full sort.

use crate::simd::supported_levels;
use crate::topk::smallest_at;

fn by_sort(scores: &[f32], k: usize) -> (Vec<u32>, Vec<f32>) {
    let key = |s: f32| if s.is_nan() { f32::INFINITY } else { s };
    let mut order: Vec<u32> = (0..scores.len() as u32).collect();
    order.sort_by(|&a, &b| key(scores[a as usize]).total_cmp(&key(scores[b as usize])).then(a.cmp(&b)));
    order.truncate(k);
    let dist = order.iter().map(|&i| scores[i as usize]).collect();
    (order, dist)
}

#[test]
fn smallest_k_matches_a_full_sort() {
    let mut state = 12345u64;
    let mut next = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) as u32
    };
    let random: Vec<f32> = (0..100_000).map(|_| (next() % 1_000_000) as f32 / 7.0).collect();
    let ties: Vec<f32> = (0..5_000).map(|_| (next() % 4) as f32).collect();
    let mut with_nan = random[..1000].to_vec();
    for i in (0..1000).step_by(3) {
        with_nan[i] = f32::NAN;
    }
    let descending: Vec<f32> = (0..10_000).rev().map(|i| i as f32).collect();
    for scores in [&random, &ties, &with_nan, &descending] {
        for k in [1usize, 10, 100, scores.len().min(700)] {
            let want = by_sort(scores, k);
            for level in supported_levels() {
                let (mut idx, mut dist) = (vec![0u32; k], vec![0f32; k]);
                smallest_at(level, scores, k, &mut idx, &mut dist).unwrap();
                assert_eq!(idx, want.0, "{level:?} k {k}");
                assert_eq!(dist.iter().map(|d| d.to_bits()).collect::<Vec<_>>(), want.1.iter().map(|d| d.to_bits()).collect::<Vec<_>>());
            }
        }
    }
}

#[test]
fn k_out_of_range_is_refused() {
    let s = [1.0f32, 2.0];
    assert!(crate::topk::smallest(&s, 0, &mut [], &mut []).is_err());
    assert!(crate::topk::smallest(&s, 3, &mut [0; 3], &mut [0.0; 3]).is_err());
}
