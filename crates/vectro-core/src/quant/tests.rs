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
    rows.push((0..dim).map(|i| if i == 0 { 0.0 } else if i == 1 { 15.0 } else { (i % 30) as f32 * 0.5 }).collect());
    // Whole numbers 0..255 like SIFT.
    rows.push((0..dim).map(|_| (rng.next_u64() % 256) as f32).collect());
    rows.concat()
}

fn random_rows(dim: usize, n: usize, rng: &mut Rng) -> Vec<f32> {
    (0..n * dim).map(|_| rng.unit() * 4.0).collect()
}

fn center_for(scheme: Scheme, x: &[f32], dim: usize) -> Vec<f32> {
    if scheme != Scheme::Binary {
        return Vec::new();
    }
    let mut acc = vec![0f64; dim];
    assert_eq!(column_sums(x, dim, &mut acc).unwrap(), None);
    let n = (x.len() / dim) as f64;
    acc.iter().map(|s| (s / n) as f32).collect()
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
                assert_eq!(reference.bad, None, "{} dim {dim}", scheme.name());
                for &level in &levels[1..] {
                    let got = run(level, scheme, &x, dim, &center, 1);
                    let what = format!("{} at {} dim {dim}", scheme.name(), level.name());
                    assert_eq!(got.bad, None, "{what}");
                    assert_eq!(got.codes, reference.codes, "codes of {what}");
                    assert_eq!(bits(&got.params), bits(&reference.params), "params of {what}");
                    assert_eq!(bits(&got.decoded), bits(&reference.decoded), "decoded of {what}");
                }
            }
        }
    }
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
    for scheme in Scheme::ALL {
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
        let e = run(level, Scheme::Int8, &x, 4, &[], 1);
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
fn int8_ties_round_half_to_even() {
    // m = 127 gives scale exactly 1, so these quotients are exact halves.
    let x = [127.0f32, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -126.5, -127.0];
    for level in supported_levels() {
        let e = run(level, Scheme::Int8, &x, x.len(), &[], 1);
        let codes: Vec<i8> = e.codes.iter().map(|&c| c as i8).collect();
        assert_eq!(codes, [127, 0, 2, 2, 0, -2, -2, 126, -126, -127], "{level:?}");
    }
}

#[test]
fn int4_and_int2_reference_codes() {
    // lo 0, hi 15: int4 step 1 (exact halves tie to even), int2 step 5.
    let x = [0.0f32, 15.0, 0.5, 1.5, 2.5, 7.5, 14.5, 3.0, 9.0];
    for level in supported_levels() {
        let e4 = run(level, Scheme::Int4, &x, x.len(), &[], 1);
        assert_eq!(e4.params, [0.0, 1.0]);
        // Codes 0, 15, 0, 2, 2, 8, 14, 3, 9, packed low nibble first.
        assert_eq!(e4.codes, [0xF0, 0x20, 0x82, 0x3E, 0x09], "{level:?}");
        let e2 = run(level, Scheme::Int2, &x, x.len(), &[], 1);
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
    let center = center_for(Scheme::Binary, &x, 3);
    assert_eq!(center, [1.0, 0.0, 2.0]);
    for level in supported_levels() {
        let e = run(level, Scheme::Binary, &x, 3, &center, 1);
        assert_eq!(e.codes, [0b001, 0b010]);
        assert_eq!(e.params, [(1.0f32 + 1.0 + 0.0) / 3.0, (1.0f32 + 1.0 + 0.0) / 3.0]);
        let s = e.params[0];
        assert_eq!(e.decoded, [1.0 + s, 0.0 - s, 2.0 - s, 1.0 - s, 0.0 + s, 2.0 - s]);
    }
}

#[test]
fn zero_and_constant_vectors() {
    for level in supported_levels() {
        let z = run(level, Scheme::Int8, &[0.0, -0.0, 0.0], 3, &[], 1);
        assert_eq!((z.codes, bits(&z.params)), (vec![0, 0, 0], vec![0]));
        let c = run(level, Scheme::Int4, &[-0.0, -0.0, -0.0], 3, &[], 1);
        assert_eq!((c.codes, bits(&c.params)), (vec![0, 0], vec![0, 0]), "-0.0 extremes are stored as +0.0");
        let c = run(level, Scheme::Int2, &[2.5; 5], 5, &[], 1);
        assert_eq!((c.codes, c.params, c.decoded), (vec![0, 0], vec![2.5, 0.0], vec![2.5; 5]));
    }
}

#[test]
fn first_bad_row_is_reported_at_every_level_and_thread_count() {
    let dim = 19;
    let rows = rows_for_threads(dim, 4);
    let (early, late) = (rows / 8, rows - 3); // in the first and the last of 4 blocks
    for scheme in Scheme::ALL {
        for bad_value in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
            let mut x = random_rows(dim, rows, &mut Rng(3));
            x[late * dim + 18] = bad_value;
            let center = vec![0.0; scheme.file_params(dim)];
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
        assert_eq!(run(level, Scheme::Int4, &x, 2, &[], 1).bad, Some(0));
        assert_eq!(run(level, Scheme::Int8, &x, 2, &[], 1).bad, None);
        assert_eq!(run(level, Scheme::Binary, &x, 2, &[-3.0e38, -3.0e38], 1).bad, Some(0));
    }
}

#[test]
fn shapes_are_checked() {
    let mut codes = vec![0u8; 4];
    let mut params = vec![0f32; 1];
    let err = encode(Scheme::Int8, &[1.0; 4], 3, &[], &mut codes, &mut params, 1).unwrap_err();
    assert!(err.to_string().contains("not a multiple of dim 3"), "{err}");
    let err = encode(Scheme::Int8, &[1.0; 4], 0, &[], &mut codes, &mut params, 1).unwrap_err();
    assert!(err.to_string().contains("dim must be between"), "{err}");
    let err = encode(Scheme::Int4, &[1.0; 4], 4, &[], &mut codes, &mut params, 1).unwrap_err();
    assert!(err.to_string().contains("codes buffer holds 4 bytes"), "{err}");
    let err = encode(Scheme::Binary, &[1.0; 4], 4, &[], &mut codes[..1], &mut params, 1).unwrap_err();
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
