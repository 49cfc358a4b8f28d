//! Every SIMD level against the scalar reference, and the scalar reference against hand-computed
//! values from docs/quantization.md.

use super::*;
use crate::parallel::MIN_VALUES_PER_THREAD;
use crate::simd::{supported_levels, Level};

const DIMS: [usize; 9] = [1, 7, 15, 16, 17, 65, 128, 129, 768];

/// SplitMix64: a tiny seeded generator (no crates are available here).
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    fn unit(&mut self) -> f32 {
        ((self.next_u64() >> 40) as f32 / (1u64 << 23) as f32) - 1.0
    }
}

/// Rows that exercise the corners: random at several magnitudes, zeros, constants, denormals,
/// -0.0, exact ties, and values on code boundaries.
fn edge_rows(dim: usize, rng: &mut Rng) -> Vec<f32> {
    let mut rows: Vec<Vec<f32>> = Vec::new();
    for magnitude in [1.0f32, 1e-3, 255.0, 1e30, 1e-38] {
        rows.push((0..dim).map(|_| rng.unit() * magnitude).collect());
    }
    rows.push(vec![0.0; dim]);
    rows.push(vec![-0.0; dim]);
    rows.push(vec![3.25; dim]);
    rows.push(vec![-7.0; dim]);
    rows.push((0..dim).map(|i| f32::from_bits(1 + i as u32 % 5)).collect()); // denormals
    rows.push((0..dim).map(|i| if i % 2 == 0 { -0.0 } else { f32::from_bits(3) }).collect());
    // int8 ties: max 127 gives scale 1, so k + 0.5 is exactly halfway.
    rows.push((0..dim).map(|i| if i == 0 { 127.0 } else { (i % 250) as f32 * 0.5 - 62.5 }).collect());
    // int4/int2 ties: lo 0, hi 15 (step 1 for int4, 5 for int2).
    rows.push(
        (0..dim)
            .map(|i| {
                if i == 0 {
                    0.0
                } else if i == 1 {
                    15.0
                } else {
                    (i % 30) as f32 * 0.5
                }
            })
            .collect(),
    );
    // Whole numbers 0..255 like SIFT.
    rows.push((0..dim).map(|_| (rng.next_u64() % 256) as f32).collect());
    rows.concat()
}

fn random_rows(dim: usize, n: usize, rng: &mut Rng) -> Vec<f32> {
    (0..n * dim).map(|_| rng.unit() * 4.0).collect()
}

fn center_for(scheme: Scheme, x: &[f32], dim: usize) -> Vec<f32> {
    if scheme.file_params(dim) == 0 {
        return Vec::new();
    }
    let mut acc = vec![0f64; dim];
    assert_eq!(column_sums(x, dim, &mut acc).unwrap(), None);
    let n = (x.len() / dim) as f64;
    let center = acc.iter().map(|s| (s / n) as f32);
    if scheme.is_rabitq() {
        rabitq_words(0x5EED_0000_0001 + dim as u64, dim, center.collect())
    } else {
        center.collect()
    }
}

/// A rabitq file-parameter block: rotation words, then the center.
pub(super) fn rabitq_words(seed: u64, dim: usize, center: Vec<f32>) -> Vec<f32> {
    let head = [rabitq::ROTATION_HADAMARD, 0, seed as u32, (seed >> 32) as u32, rotation::padded_dim(dim) as u32, 0, 0, 0];
    head.iter().map(|&w| f32::from_bits(w)).chain(center).collect()
}

struct Encoded {
    codes: Vec<u8>,
    params: Vec<f32>,
    decoded: Vec<f32>,
    bad: Option<usize>,
}

fn run(level: Level, scheme: Scheme, x: &[f32], dim: usize, center: &[f32], threads: usize) -> Encoded {
    let rows = x.len() / dim;
    let mut codes = vec![0xAAu8; rows * scheme.code_bytes(dim)];
    let mut params = vec![f32::NAN; rows * scheme.vector_params()];
    let bad = encode_at(level, scheme, x, dim, center, &mut codes, &mut params, threads).unwrap();
    let mut decoded = vec![f32::NAN; x.len()];
    if bad.is_none() {
        decode_at(level, scheme, &codes, &params, center, dim, &mut decoded, threads).unwrap();
    }
    Encoded { codes, params, decoded, bad }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|f| f.to_bits()).collect()
}

#[test]
fn every_level_matches_scalar_bit_for_bit() {
    let levels = supported_levels();
    println!("levels tested against scalar: {levels:?}");
    for scheme in Scheme::ALL {
        for dim in DIMS {
            let mut rng = Rng(dim as u64 * 31 + scheme.id() as u64);
            for x in [edge_rows(dim, &mut rng), random_rows(dim, 37, &mut rng)] {
                let center = center_for(scheme, &x, dim);
                let reference = run(Level::Scalar, scheme, &x, dim, &center, 1);
                // rabitq's |x - c|^2 overflows float32 on the 1e30 rows: refused, the same everywhere.
                let overflow = scheme.is_rabitq() && reference.bad.is_some();
                assert!(reference.bad.is_none() || overflow, "{} dim {dim}", scheme.name());
                for &level in &levels[1..] {
                    let got = run(level, scheme, &x, dim, &center, 1);
                    let what = format!("{} at {} dim {dim}", scheme.name(), level.name());
                    assert_eq!(got.bad, reference.bad, "{what}");
                    assert_eq!(got.codes, reference.codes, "codes of {what}");
                    assert_eq!(bits(&got.params), bits(&reference.params), "params of {what}");
                    assert_eq!(bits(&got.decoded), bits(&reference.decoded), "decoded of {what}");
                }
            }
        }
    }
}

/// Every scheme but rabitq2 and rabitq4..8, for the tests over millions of values: the rabitq
/// bit counts share one code path, and its scale search makes each a few seconds.
fn sampled_schemes() -> impl Iterator<Item = Scheme> {
    Scheme::ALL.into_iter().filter(|s| !s.is_rabitq() || s.bits() == 1 || s.bits() == 3)
}

/// Rows enough for `threads` threads to each get a block.
fn rows_for_threads(dim: usize, threads: usize) -> usize {
    threads * MIN_VALUES_PER_THREAD / dim + 7
}

#[test]
fn threads_do_not_change_results() {
    let dim = 33;
    assert_eq!(crate::parallel::threads_for(rows_for_threads(dim, 4), dim, 4), 4);
    let x = random_rows(dim, rows_for_threads(dim, 4), &mut Rng(7));
    for scheme in sampled_schemes() {
        let center = center_for(scheme, &x, dim);
        let one = run(simd::level(), scheme, &x, dim, &center, 1);
        let four = run(simd::level(), scheme, &x, dim, &center, 4);
        assert_eq!(one.codes, four.codes);
        assert_eq!(bits(&one.params), bits(&four.params));
        assert_eq!(bits(&one.decoded), bits(&four.decoded));
    }
}

#[test]
fn int8_worked_example() {
    let x = [1.0f32, 2.0, 3.0, 4.0];
    for level in supported_levels() {
        let e = run(level, Scheme::INT8, &x, 4, &[], 1);
        assert_eq!(e.params, [4.0f32 / 127.0]);
        assert_eq!(e.params[0], 0.031_496_063);
        assert_eq!(e.codes, [32, 64, 95, 127]);
        let want = [1.007_874f32, 2.015_748, 2.992_126, 4.0];
        for (got, want) in e.decoded.iter().zip(want) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
    }
}

#[test]
fn int8_distances_match_the_pair_formula_at_every_level() {
    // Every count from 0 to 9 crosses the four-row step and its remainder; dots up to 127^2 * 4096,
    // past float32's integers, and both metrics, including a l2 value that falls below 0.
    let mut rng = Rng(77);
    for n in 0..10 {
        let dots: Vec<f32> =
            (0..n).map(|i| ((rng.next_u64() % 132_000_000) as f32 - 66_000_000.0) * if i % 3 == 0 { 1.0 } else { 1e-3 }).collect();
        let scales: Vec<f32> = (0..n).map(|_| (rng.next_u64() % 1000) as f32 / 997.0 + 1e-3).collect();
        let norms: Vec<f64> = (0..n).map(|_| (rng.next_u64() % 1_000_000) as f64 / 3.0).collect();
        let query = (0.0371f32, 1234.5678f64);
        for l2 in [true, false] {
            let want: Vec<u32> =
                dots.iter().zip(&scales).zip(&norms).map(|((&d, &s), &m)| int8::distance(l2, d, query, (s, m)).to_bits()).collect();
            for level in supported_levels() {
                let mut got = dots.clone();
                int8::distances(level, l2, query, &scales, &norms, &mut got);
                assert_eq!(got.iter().map(|d| d.to_bits()).collect::<Vec<_>>(), want, "{level:?} l2 {l2} n {n}");
            }
        }
    }
}

#[test]
fn int8_ties_round_half_to_even() {
    // m = 127 gives scale exactly 1, so these quotients are exact halves.
    let x = [127.0f32, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -126.5, -127.0];
    for level in supported_levels() {
        let e = run(level, Scheme::INT8, &x, x.len(), &[], 1);
        let codes: Vec<i8> = e.codes.iter().map(|&c| c as i8).collect();
        assert_eq!(codes, [127, 0, 2, 2, 0, -2, -2, 126, -126, -127], "{level:?}");
    }
}

#[test]
fn int4_and_int2_reference_codes() {
    // lo 0, hi 15: int4 step 1 (exact halves tie to even), int2 step 5.
    let x = [0.0f32, 15.0, 0.5, 1.5, 2.5, 7.5, 14.5, 3.0, 9.0];
    for level in supported_levels() {
        let e4 = run(level, Scheme::INT4, &x, x.len(), &[], 1);
        assert_eq!(e4.params, [0.0, 1.0]);
        // Codes 0, 15, 0, 2, 2, 8, 14, 3, 9, packed low nibble first.
        assert_eq!(e4.codes, [0xF0, 0x20, 0x82, 0x3E, 0x09], "{level:?}");
        let e2 = run(level, Scheme::INT2, &x, x.len(), &[], 1);
        assert_eq!(e2.params, [0.0, 5.0]);
        // (x - 0) / 5 rounded: 0, 3, 0, 0, 0 (0.5 ties to 0), 2 (1.5 ties to 2), 3, 1, 2.
        assert_eq!(e2.codes, [0b00_00_11_00, 0b01_11_10_00, 0b0000_0010], "{level:?}");
        assert_eq!(e2.decoded, [0.0, 15.0, 0.0, 0.0, 0.0, 10.0, 15.0, 5.0, 10.0]);
    }
}

#[test]
fn binary_reference_codes() {
    // Two vectors; center = column means = [1, 0, 2].
    let x = [2.0f32, -1.0, 2.0, 0.0, 1.0, 2.0];
    let center = center_for(Scheme::BINARY, &x, 3);
    assert_eq!(center, [1.0, 0.0, 2.0]);
    for level in supported_levels() {
        let e = run(level, Scheme::BINARY, &x, 3, &center, 1);
        assert_eq!(e.codes, [0b001, 0b010]);
        assert_eq!(e.params, [(1.0f32 + 1.0 + 0.0) / 3.0, (1.0f32 + 1.0 + 0.0) / 3.0]);
        let s = e.params[0];
        assert_eq!(e.decoded, [1.0 + s, 0.0 - s, 2.0 - s, 1.0 - s, 0.0 + s, 2.0 - s]);
    }
}

#[test]
fn zero_and_constant_vectors() {
    for level in supported_levels() {
        let z = run(level, Scheme::INT8, &[0.0, -0.0, 0.0], 3, &[], 1);
        assert_eq!((z.codes, bits(&z.params)), (vec![0, 0, 0], vec![0]));
        let c = run(level, Scheme::INT4, &[-0.0, -0.0, -0.0], 3, &[], 1);
        assert_eq!((c.codes, bits(&c.params)), (vec![0, 0], vec![0, 0]), "-0.0 extremes are stored as +0.0");
        let c = run(level, Scheme::INT2, &[2.5; 5], 5, &[], 1);
        assert_eq!((c.codes, c.params, c.decoded), (vec![0, 0], vec![2.5, 0.0], vec![2.5; 5]));
    }
}

#[test]
fn first_bad_row_is_reported_at_every_level_and_thread_count() {
    let dim = 19;
    let rows = rows_for_threads(dim, 4);
    let (early, late) = (rows / 8, rows - 3); // in the first and the last of 4 blocks
                                              // rabitq1 only: rabitq3's scale search would make this test a minute long, and the bad-row
                                              // path is the same for every bit count.
    for scheme in sampled_schemes().filter(|s| *s != Scheme::rabitq(3)) {
        for bad_value in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut x = random_rows(dim, rows, &mut Rng(3));
            x[late * dim + 18] = bad_value;
            let center = if scheme.is_rabitq() { rabitq_words(1, dim, vec![0.0; dim]) } else { vec![0.0; scheme.file_params(dim)] };
            for level in supported_levels() {
                for threads in [1, 2, 4] {
                    let what = format!("{} {level:?} {threads} threads {bad_value}", scheme.name());
                    assert_eq!(run(level, scheme, &x, dim, &center, threads).bad, Some(late), "{what}");
                    let mut both = x.clone();
                    both[early * dim + 3] = bad_value;
                    assert_eq!(run(level, scheme, &both, dim, &center, threads).bad, Some(early), "{what}");
                }
            }
        }
    }
}

#[test]
fn overflowing_ranges_are_reported_not_encoded() {
    let x = [-3.0e38f32, 3.0e38];
    for level in supported_levels() {
        assert_eq!(run(level, Scheme::INT4, &x, 2, &[], 1).bad, Some(0));
        assert_eq!(run(level, Scheme::INT8, &x, 2, &[], 1).bad, None);
        assert_eq!(run(level, Scheme::BINARY, &x, 2, &[-3.0e38, -3.0e38], 1).bad, Some(0));
    }
}

#[test]
fn shapes_are_checked() {
    let mut codes = vec![0u8; 4];
    let mut params = vec![0f32; 1];
    let err = encode(Scheme::INT8, &[1.0; 4], 3, &[], &mut codes, &mut params, 1).unwrap_err();
    assert!(err.to_string().contains("not a multiple of dim 3"), "{err}");
    let err = encode(Scheme::INT8, &[1.0; 4], 0, &[], &mut codes, &mut params, 1).unwrap_err();
    assert!(err.to_string().contains("dim must be between"), "{err}");
    let err = encode(Scheme::INT4, &[1.0; 4], 4, &[], &mut codes, &mut params, 1).unwrap_err();
    assert!(err.to_string().contains("codes buffer holds 4 bytes"), "{err}");
    let err = encode(Scheme::BINARY, &[1.0; 4], 4, &[], &mut codes[..1], &mut params, 1).unwrap_err();
    assert!(err.to_string().contains("center holds 0 floats"), "{err}");
}

#[test]
fn column_sums_and_error_stats_reference_values() {
    let mut acc = vec![0f64; 2];
    assert_eq!(column_sums(&[1.0, 2.0, 3.0, 4.0, f32::NAN, 0.0], 2, &mut acc).unwrap(), Some(2));
    assert_eq!(acc, [4.0, 6.0]);

    let x = [3.0f32, 4.0, 0.0, 0.0];
    let y = [3.0f32, 3.0, 1.0, 0.0];
    let mut stats = vec![0f64; ERROR_STATS_LEN];
    error_stats(&x, &y, 2, &mut stats).unwrap();
    // Errors 0, 1, -1, 0. Row 0: ||e|| = 1, ||x|| = 5. Row 1 has ||x|| = 0 and is left out.
    assert_eq!(stats, [2.0, 1.0, 2.0, 0.2, 1.0]);
}

/// rabitq codes of one random data set, with their block, for the estimator and FastScan tests.
fn encoded(bits: u8, dim: usize, n: usize, seed: u64) -> (Vec<f32>, Vec<f32>, Vec<u8>, Vec<f32>) {
    let scheme = Scheme::rabitq(bits as usize);
    let x = random_rows(dim, n, &mut Rng(seed));
    let words = center_for(scheme, &x, dim);
    let e = run(simd::level(), scheme, &x, dim, &words, 1);
    assert_eq!(e.bad, None);
    (x, words, e.codes, e.params)
}

mod rabitq_tests {
    use super::*;
    use crate::quant::rabitq::{Prepared, DEFAULT_EPS0};
    use crate::quant::rotation::{padded_dim, Rotation};

    #[test]
    fn rotation_is_orthogonal_and_inverts() {
        for dim in [1, 64, 100, 128, 200, 768] {
            let rot = Rotation::new(42, dim);
            let p = padded_dim(dim);
            let mut rng = Rng(dim as u64);
            let x: Vec<f64> = (0..p).map(|_| rng.unit() as f64).collect();
            let y: Vec<f64> = (0..p).map(|_| rng.unit() as f64).collect();
            let (mut rx, mut ry) = (x.clone(), y.clone());
            rot.apply(&mut rx);
            rot.apply(&mut ry);
            let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| u * v).sum::<f64>();
            assert!((dot(&rx, &ry) - dot(&x, &y)).abs() < 1e-9, "inner products kept at dim {dim}");
            assert!((dot(&rx, &rx) - dot(&x, &x)).abs() < 1e-9, "norms kept at dim {dim}");
            assert!(rx.iter().zip(&x).any(|(a, b)| (a - b).abs() > 1e-3), "dim {dim} actually rotates");
            rot.invert(&mut rx);
            assert!(rx.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-12), "inverse at dim {dim}");
        }
    }

    #[test]
    fn every_level_rotates_to_the_same_bits() {
        for dim in [1, 64, 100, 128, 200, 768, 1000, 4096] {
            let p = padded_dim(dim);
            let mut rng = Rng(dim as u64 + 1);
            // Signed zeros and a subnormal among the values: the butterflies must keep their signs.
            let mut x: Vec<f64> = (0..p).map(|_| rng.unit() as f64 * 1e3).collect();
            x[0] = -0.0;
            x[1] = 0.0;
            x[p - 1] = f64::MIN_POSITIVE / 4.0;
            let scalar = Rotation::at(Level::Scalar, 5, dim);
            let (mut want, mut back) = (x.clone(), x.clone());
            scalar.apply(&mut want);
            scalar.invert(&mut back);
            for level in supported_levels() {
                let rot = Rotation::at(level, 5, dim);
                let (mut got, mut inv) = (x.clone(), x.clone());
                rot.apply(&mut got);
                rot.invert(&mut inv);
                let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&got), bits(&want), "{level:?} dim {dim}");
                assert_eq!(bits(&inv), bits(&back), "{level:?} dim {dim} inverse");
            }
        }
    }

    #[test]
    fn one_bit_worked_example() {
        // dim 64 with a zero center: every code bit is the sign of the rotated coordinate, |y| = 4,
        // <y, u> = sum |u| / 2, and f = |u|^2 / <y, u>.
        let dim = 64;
        let x: Vec<f32> = (0..dim).map(|i| i as f32 - 31.5).collect();
        let words = rabitq_words(9, dim, vec![0.0; dim]);
        let e = run(Level::Scalar, Scheme::rabitq(1), &x, dim, &words, 1);
        let mut u: Vec<f64> = x.iter().map(|&v| v as f64).collect();
        Rotation::new(9, dim).apply(&mut u);
        let norm2: f64 = u.iter().map(|v| v * v).sum();
        let ip: f64 = u.iter().map(|v| v.abs() / 2.0).sum();
        assert_eq!(e.params[0], norm2 as f32);
        assert_eq!(e.params[1], (norm2 / ip) as f32);
        for (i, &ui) in u.iter().enumerate() {
            assert_eq!((e.codes[i / 8] >> (i % 8)) & 1 == 1, ui >= 0.0, "bit {i}");
        }
    }

    #[test]
    fn estimates_are_unbiased_and_within_their_bounds() {
        let (dim, n) = (128, 400);
        for bits in [1u8, 2, 4, 8] {
            let (x, words, codes, params) = encoded(bits, dim, n, 11);
            let block = rabitq::read_block(&words, dim).unwrap();
            let cb = Scheme::rabitq(bits as usize).code_bytes(dim);
            // The bound is eps0 standard deviations of the estimator's error: about 94% of the
            // estimates fall inside at eps0 1.9 (the papers' choice), nearly all at 3.
            let (mut err_sum, mut abs_sum, mut outside, mut outside3, mut pairs) = (0f64, 0f64, 0, 0, 0);
            for qi in 0..20 {
                let q = &x[qi * dim..(qi + 1) * dim];
                for l2 in [true, false] {
                    let prepared = Prepared::new(bits as usize, q, &block, l2);
                    for j in 20..n {
                        let v = &x[j * dim..(j + 1) * dim];
                        let exact = if l2 {
                            q.iter().zip(v).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>()
                        } else {
                            1.0 - q.iter().zip(v).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>()
                        };
                        let est = prepared.estimate(&codes[j * cb..(j + 1) * cb], &params[j * 3..(j + 1) * 3], DEFAULT_EPS0);
                        let err = est.distance as f64 - exact;
                        err_sum += err;
                        abs_sum += err.abs();
                        outside += (err.abs() > est.bound as f64 * 1.0001 + 1e-3) as usize;
                        outside3 += (err.abs() > est.bound as f64 * 3.0 / DEFAULT_EPS0 + 1e-3) as usize;
                        pairs += 1;
                    }
                }
            }
            let (bias, mean_abs) = (err_sum / pairs as f64, abs_sum / pairs as f64);
            println!(
                "rabitq{bits}: mean error {bias:.4}, mean |error| {mean_abs:.4}, outside bound {outside}/{pairs}, at eps0 3: {outside3}"
            );
            assert!(bias.abs() < 0.05 * mean_abs, "rabitq{bits} is biased: mean error {bias} against mean |error| {mean_abs}");
            assert!(outside * 100 < pairs * 8, "rabitq{bits}: {outside} of {pairs} estimates outside their bound");
            assert!(outside3 * 200 < pairs, "rabitq{bits}: {outside3} of {pairs} estimates outside 3 sigma");
        }
    }

    #[test]
    fn more_bits_give_smaller_errors() {
        let dim = 100;
        let mut last = f64::INFINITY;
        for bits in 1..=8u8 {
            let (x, words, codes, params) = encoded(bits, dim, 200, 5);
            let mut decoded = vec![0f32; x.len()];
            decode(Scheme::rabitq(bits as usize), &codes, &params, &words, dim, &mut decoded, 1).unwrap();
            let mse: f64 = x.iter().zip(&decoded).map(|(a, b)| ((a - b) as f64).powi(2)).sum::<f64>() / x.len() as f64;
            assert!(mse < last * 0.8, "rabitq{bits}: mse {mse} not below {last}");
            last = mse;
        }
    }

    #[test]
    fn bad_blocks_are_refused() {
        let dim = 10;
        let x = vec![1.0f32; dim];
        let good = rabitq_words(3, dim, vec![0.0; dim]);
        let (mut codes, mut params) = (vec![0u8; Scheme::rabitq(2).code_bytes(dim)], vec![0f32; 3]);
        assert!(encode(Scheme::rabitq(2), &x, dim, &good, &mut codes, &mut params, 1).is_ok());
        for (word, value) in [(0usize, 7u32), (1, 3), (4, 128), (5, 1), (8, f32::NAN.to_bits())] {
            let mut bad = good.clone();
            bad[word] = f32::from_bits(value);
            let err = encode(Scheme::rabitq(2), &x, dim, &bad, &mut codes, &mut params, 1).unwrap_err();
            println!("word {word}: {err}");
        }
        assert!(encode(Scheme::rabitq(2), &x, dim, &good[..dim], &mut codes, &mut params, 1).is_err());
    }
}

mod nibble_tests {
    use super::*;
    use crate::quant::nibble::{self, NibbleQuery};
    use crate::quant::rabitq::Prepared;
    use crate::quant::rotation::padded_dim;

    /// Coordinate i's value read from bit-planes, as docs/format.md describes them.
    fn plane_value(planes: &[u8], p: usize, i: usize) -> i64 {
        (0..4).map(|b| (((planes[b * p / 8 + i / 8] >> (i % 8)) & 1) as i64) << b).sum()
    }

    #[test]
    fn nibbles_hold_each_coordinate_and_convert_back() {
        for dim in [1usize, 64, 100, 768] {
            let (_, _, codes, _) = encoded(4, dim, 9, dim as u64);
            let p = padded_dim(dim);
            for planes in codes.chunks_exact(p / 2) {
                let mut nib = vec![0u8; p / 2];
                nibble::from_planes(p, planes, &mut nib);
                for i in 0..p {
                    assert_eq!((nib[i / 2] >> (4 * (i % 2))) as i64 & 15, plane_value(planes, p, i), "dim {dim} coordinate {i}");
                }
                let mut back = vec![0u8; p / 2];
                nibble::to_planes(p, &nib, &mut back);
                assert_eq!(back, planes, "dim {dim}");
            }
        }
    }

    /// Every level's nibble dot product equals the bit-plane one (`Prepared::code_dot`) and a plain
    /// sum over coordinates, for real queries and codes.
    #[test]
    fn nibble_dots_equal_the_bit_plane_dots() {
        for dim in [1usize, 63, 128, 200, 768] {
            let (x, words, codes, _) = encoded(4, dim, 40, 7 + dim as u64);
            let block = rabitq::read_block(&words, dim).unwrap();
            let p = padded_dim(dim);
            for q in x.chunks_exact(dim).take(4) {
                let prepared = Prepared::new(4, q, &block, true);
                for planes in codes.chunks_exact(p / 2) {
                    let mut nib = vec![0u8; p / 2];
                    nibble::from_planes(p, planes, &mut nib);
                    let want = prepared.code_dot(planes);
                    for level in supported_levels() {
                        assert_eq!(nibble::dot_at(level, &prepared.nibble_query(level), &nib), want, "dim {dim} {level:?}");
                    }
                }
            }
        }
    }

    /// The query's extreme levels (and those around the split at 128) against every code value, and
    /// all 15s at the largest dimension, where the 32-bit lanes come closest to overflowing.
    #[test]
    fn nibble_dots_are_exact_at_the_extremes() {
        let p = 128;
        let levels = [-16383, 16383, -1, 0, 1, 127, 128, -128, -129, 255, -256, 8191];
        let s: Vec<i32> = (0..p).map(|i| levels[i % levels.len()] * if i % 5 == 0 { -1 } else { 1 }).collect();
        let code: Vec<u8> = (0..p / 2).map(|j| ((j * 7) % 16) as u8 | (((j * 11 + 3) % 16) as u8) << 4).collect();
        let want: i64 = (0..p).map(|i| ((code[i / 2] >> (4 * (i % 2))) & 15) as i64 * s[i] as i64).sum();
        for level in supported_levels() {
            assert_eq!(nibble::dot_at(level, &NibbleQuery::new(level, &s), &code), want, "{level:?}");
        }
        let p = padded_dim(MAX_DIM);
        let full = vec![0xffu8; p / 2];
        for sign in [1i32, -1] {
            let s = vec![sign * 16383; p];
            for level in supported_levels() {
                assert_eq!(
                    nibble::dot_at(level, &NibbleQuery::new(level, &s), &full),
                    15 * 16383 * sign as i64 * p as i64,
                    "{level:?} sign {sign}"
                );
            }
        }
    }
}

mod fastscan_tests {
    use super::*;
    use crate::quant::fastscan::{self, Tables, BLOCK};
    use crate::quant::rabitq::DEFAULT_EPS0;
    use crate::quant::rotation::padded_dim;

    #[test]
    fn packing_places_each_nibble_where_the_layout_says() {
        // rabitq2, dim 64 (8 code bytes a plane), 40 rows: byte k of plane b of row j is a
        // distinct value, so every nibble's place can be checked against the documented layout.
        let (bits, dim, rows) = (2, 64, 40);
        let byte = |j: usize, b: usize, k: usize| ((j * 7 + b * 13 + k * 29) % 251) as u8;
        let codes: Vec<u8> = (0..rows).flat_map(|j| (0..bits).flat_map(move |b| (0..8).map(move |k| byte(j, b, k)))).collect();
        let mut packed = vec![0u8; fastscan::packed_bytes(bits, dim, rows)];
        assert_eq!(packed.len(), 2 * bits * 8 * 32);
        rabitq_pack(bits, dim, &codes, &mut packed).unwrap();
        for j in 0..64 {
            for b in 0..bits {
                for r in 0..8 {
                    let reg = &packed[((j / 32 * bits + b) * 8 + r) * 32..][..32];
                    let (slot, shift) = (j % 32 % 16, if j % 32 < 16 { 0 } else { 4 });
                    let (low, high) = ((reg[slot] >> shift) & 15, (reg[16 + slot] >> shift) & 15);
                    let want = if j < rows { byte(j, b, r) } else { 0 };
                    assert_eq!((low, high), (want & 15, want >> 4), "row {j} plane {b} register {r}");
                }
            }
        }
    }

    /// Every level's packed scan gives the row-major estimator's bits, for every B, odd dims and
    /// row counts that leave a partial block, on one and two threads.
    #[test]
    fn packed_scan_equals_the_row_major_estimates() {
        for (dim, rows) in [(1usize, 5usize), (63, 70), (100, 33), (128, 96), (768, 40)] {
            for bits in 1..=8u8 {
                let (x, words, codes, params) = encoded(bits, dim, rows, dim as u64 + bits as u64);
                let queries = &x[..3 * dim];
                let mut packed = vec![0u8; fastscan::packed_bytes(bits as usize, dim, rows)];
                rabitq_pack(bits as usize, dim, &codes, &mut packed).unwrap();
                for l2 in [true, false] {
                    let (mut d0, mut b0) = (vec![0f32; 3 * rows], vec![0f32; 3 * rows]);
                    rabitq_estimate(bits as usize, &words, dim, queries, l2, &codes, &params, DEFAULT_EPS0, &mut d0, &mut b0, 1).unwrap();
                    for level in supported_levels() {
                        for threads in [1, 2] {
                            let (mut d, mut b) = (vec![0f32; 3 * rows], vec![0f32; 3 * rows]);
                            rabitq_scan_at(
                                level,
                                bits as usize,
                                &words,
                                dim,
                                queries,
                                l2,
                                &packed,
                                &params,
                                DEFAULT_EPS0,
                                &mut d,
                                &mut b,
                                threads,
                            )
                            .unwrap();
                            assert_eq!(super::bits(&d), super::bits(&d0), "rabitq{bits} dim {dim} {level:?} l2 {l2} threads {threads}");
                            assert_eq!(super::bits(&b), super::bits(&b0), "bounds: rabitq{bits} dim {dim} {level:?}");
                        }
                    }
                }
            }
        }
    }

    /// The largest table sums at the largest dimension: every code bit set against a query at its
    /// extreme levels. The 16-bit lanes (widened every 256 registers) and the 32-bit totals must
    /// hold P x 16383 exactly (and the offset must bring the all-negative query back to -P x 16383).
    #[test]
    fn accumulation_cannot_overflow() {
        let p = padded_dim(MAX_DIM);
        for bits in [1usize, 8] {
            let block = vec![0xffu8; bits * p * BLOCK / 8];
            for sign in [1i32, -1] {
                let s = vec![sign * 16383; p];
                let t = Tables::new(&s);
                let want: i64 = (sign as i64 * 16383 * p as i64) * ((1 << bits) - 1);
                for level in supported_levels() {
                    let mut dots = [0i64; BLOCK];
                    fastscan::block_dots(level, &t, bits, &block, &mut dots);
                    assert!(dots.iter().all(|&d| d == want), "{level:?} bits {bits} sign {sign}: {} != {want}", dots[0]);
                }
            }
            // Mixed signs put the largest values in the high-byte tables and the offset.
            let s: Vec<i32> = (0..p).map(|i| if i % 3 == 0 { -16383 } else { 16383 - (i % 7) as i32 }).collect();
            let t = Tables::new(&s);
            let want: i64 = s.iter().map(|&v| v as i64).sum::<i64>() * ((1 << bits) - 1);
            for level in supported_levels() {
                let mut dots = [0i64; BLOCK];
                fastscan::block_dots(level, &t, bits, &block, &mut dots);
                assert!(dots.iter().all(|&d| d == want), "{level:?} bits {bits} mixed: {} != {want}", dots[0]);
            }
        }
    }

    #[test]
    fn bad_shapes_are_refused() {
        let (dim, rows) = (16, 3);
        let words = rabitq_words(1, dim, vec![0.0; dim]);
        let codes = vec![0u8; rows * 8];
        let mut packed = vec![0u8; fastscan::packed_bytes(1, dim, rows)];
        assert!(rabitq_pack(1, dim, &codes[1..], &mut packed).is_err());
        assert!(rabitq_pack(1, dim, &codes, &mut packed[1..]).is_err());
        assert!(rabitq_pack(9, dim, &codes, &mut packed).is_err());
        assert!(rabitq_pack(1, 0, &codes, &mut packed).is_err());
        rabitq_pack(1, dim, &codes, &mut packed).unwrap();
        let params = vec![1f32; rows * 3];
        let (mut d, mut b) = (vec![0f32; rows], vec![0f32; rows]);
        let q = vec![0.5f32; dim];
        assert!(rabitq_scan(1, &words, dim, &q, true, &packed, &params, 1.9, &mut d, &mut b, 1).is_ok());
        assert!(rabitq_scan(1, &words, dim, &q, true, &packed[32..], &params, 1.9, &mut d, &mut b, 1).is_err());
        assert!(rabitq_scan(1, &words, dim, &q, true, &packed, &params[1..], 1.9, &mut d, &mut b, 1).is_err());
        assert!(rabitq_scan(1, &words, dim, &q[1..], true, &packed, &params, 1.9, &mut d, &mut b, 1).is_err());
        assert!(rabitq_scan(1, &words, dim, &q, true, &packed, &params, 1.9, &mut d[1..], &mut b, 1).is_err());
        assert!(rabitq_scan(1, &words, 0, &q, true, &packed, &params, 1.9, &mut d, &mut b, 1).is_err());
        assert!(rabitq_estimate(1, &words, 0, &q, true, &codes, &params, 1.9, &mut d, &mut b, 1).is_err());
    }
}
