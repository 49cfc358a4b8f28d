//! Every level against references computed here in float64 / int64 (float32 kernels agree within a
//! tolerance, since their summation orders differ by design; integer kernels exactly).

use super::matrix::{matrix_at, peak_gflops};
use super::*;
use crate::simd::supported_levels;

const DIMS: [usize; 10] = [1, 7, 15, 16, 17, 65, 128, 129, 768, 1536];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn f32s(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| (self.next() % 20_001) as f32 / 10_000.0 - 1.0).collect()
    }
    fn i8s(&mut self, n: usize) -> Vec<i8> {
        (0..n).map(|_| self.next() as u8 as i8).collect()
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// (exact value in float64, sum of |terms| for the tolerance).
fn reference_f32(metric: Metric, a: &[f32], b: &[f32]) -> (f64, f64) {
    let (mut s, mut mag, mut aa, mut bb) = (0f64, 0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        let (x, y) = (x as f64, y as f64);
        let t = match metric {
            Metric::L2sq => (x - y) * (x - y),
            Metric::Manhattan => (x - y).abs(),
            _ => x * y,
        };
        s += t;
        mag += t.abs();
        aa += x * x;
        bb += y * y;
    }
    if metric == Metric::Cosine {
        let cos = if aa == 0.0 || bb == 0.0 { 1.0 } else { 1.0 - s / (aa * bb).sqrt() };
        return (cos, 1.0);
    }
    (s, mag)
}

fn reference_i8(metric: Metric, a: &[i8], b: &[i8]) -> f32 {
    let dot = |u: &[i8], v: &[i8]| u.iter().zip(v).map(|(&x, &y)| x as i64 * y as i64).sum::<i64>();
    match metric {
        Metric::L2sq => a.iter().zip(b).map(|(&x, &y)| (x as i64 - y as i64).pow(2)).sum::<i64>() as f32,
        Metric::Dot => dot(a, b) as f32,
        _ => cosine_from(dot(a, b) as f64, dot(a, a) as f64, dot(b, b) as f64),
    }
}

#[test]
fn f32_kernels_match_float64_reference_at_every_level() {
    for dim in DIMS {
        let mut rng = Rng(dim as u64 + 1);
        let (a, b) = (rng.f32s(dim), rng.f32s(dim));
        for metric in [Metric::L2sq, Metric::Dot, Metric::Cosine, Metric::Manhattan] {
            let (want, mag) = reference_f32(metric, &a, &b);
            for level in supported_levels() {
                let got = pair_at(level, metric, Vectors::F32(&a), Vectors::F32(&b)).unwrap() as f64;
                let tol = 1e-5 * mag + 1e-6;
                assert!((got - want).abs() <= tol, "{} {level:?} dim {dim}: {got} vs {want}", metric.name());
            }
        }
    }
}

#[test]
fn int8_and_hamming_kernels_are_exact_at_every_level() {
    for dim in DIMS {
        let mut rng = Rng(dim as u64 * 7 + 3);
        let (a, b) = (rng.i8s(dim), rng.i8s(dim));
        let (x, y) = (rng.bytes(dim), rng.bytes(dim));
        let hamming_want = x.iter().zip(&y).map(|(p, q)| (p ^ q).count_ones()).sum::<u32>() as f32;
        for level in supported_levels() {
            for metric in [Metric::L2sq, Metric::Dot, Metric::Cosine] {
                let got = pair_at(level, metric, Vectors::I8(&a), Vectors::I8(&b)).unwrap();
                assert_eq!(got, reference_i8(metric, &a, &b), "{} {level:?} dim {dim}", metric.name());
            }
            assert_eq!(pair_at(level, Metric::Hamming, Vectors::Bits(&x), Vectors::Bits(&y)).unwrap(), hamming_want);
        }
    }
}

#[test]
fn code_dots_are_exact_for_int8_codes_at_every_row_count() {
    // Every row count from 0 to 9 crosses the four-row step and its remainder; `spare` bytes after
    // the rows move which rows read their partial 32 bytes in place and which copy them.
    for dim in [1, 31, 32, 33, 63, 100, 128, 129, 768, 4099] {
        let mut rng = Rng(dim as u64 * 7 + 3);
        let code = |rng: &mut Rng, n: usize| rng.i8s(n).into_iter().map(|c| c.max(-127)).collect::<Vec<i8>>();
        let q = code(&mut rng, dim);
        for n in 0..10 {
            for spare in [0, 1, 31] {
                let rows = code(&mut rng, n * dim + spare);
                let want: Vec<f32> = rows
                    .chunks_exact(dim)
                    .take(n)
                    .map(|r| q.iter().zip(r).map(|(&a, &b)| a as i64 * b as i64).sum::<i64>() as f32)
                    .collect();
                for (name, k) in all_tables() {
                    let mut got = vec![f32::NAN; n];
                    // SAFETY: `all_tables` lists only tables this CPU supports; `rows` holds n rows.
                    unsafe { (k.i8_code_dots)(&q, &rows, &mut got) };
                    assert_eq!(got, want, "{name} dim {dim} rows {n} spare {spare}");
                }
            }
        }
    }
    // The extremes: every pair sum at 2 * 127 * 127, the most `maddubs` must hold without saturating.
    for (a, b) in [(127i8, 127i8), (-127, 127), (-127, -127)] {
        let (q, rows) = (vec![a; 4099], vec![b; 4099 * 5]);
        for (name, k) in all_tables() {
            let mut got = vec![0f32; 5];
            // SAFETY: as above.
            unsafe { (k.i8_code_dots)(&q, &rows, &mut got) };
            assert_eq!(got, vec![(a as i64 * b as i64 * 4099) as f32; 5], "{name} {a} x {b}");
        }
    }
}

#[test]
fn every_avx512_variant_is_exact_on_int8_and_hamming() {
    // `kernels` picks one AVX-512 table per CPU; the others (without VNNI or VPOPCNTDQ) run here too.
    let scalar = all_tables()[0].1;
    for dim in DIMS.into_iter().chain([MAX_DIM]) {
        let mut rng = Rng(dim as u64 * 11 + 5);
        let (a, rows) = (rng.i8s(dim), rng.i8s(dim * 3));
        let (x, bits) = (rng.bytes(dim), rng.bytes(dim * 3));
        for (name, k) in all_tables() {
            for slot in 0..3 {
                let (mut want, mut got) = (vec![0f32; 3], vec![0f32; 3]);
                // SAFETY: `all_tables` lists only tables this CPU supports; lengths match.
                unsafe {
                    (scalar.i8_many[slot])(&a, &rows, &mut want);
                    (k.i8_many[slot])(&a, &rows, &mut got);
                    assert_eq!(got, want, "{name} int8 slot {slot} dim {dim}");
                    assert_eq!((k.i8_pair[slot])(&a, &rows[..dim]), want[0], "{name} int8 pair slot {slot} dim {dim}");
                    (scalar.hamming_many)(&x, &bits, &mut want);
                    (k.hamming_many)(&x, &bits, &mut got);
                    assert_eq!(got, want, "{name} hamming dim {dim}");
                }
            }
        }
    }
    // Extremes: -128 is where the VNNI offset (a ^ 0x80) wraps to 0.
    let (a, b) = (vec![-128i8; 4099], vec![-128i8; 4099]);
    for (name, k) in all_tables() {
        // SAFETY: as above.
        assert_eq!(unsafe { (k.i8_pair[1])(&a, &b) }, (16_384 * 4099) as f32, "{name}");
    }
}

#[test]
fn int8_l2sq_uses_the_full_u32_range() {
    // 65,536 x 255^2 = 4,261,478,400: past i32, within u32.
    let (a, b) = (vec![-128i8; MAX_DIM], vec![127i8; MAX_DIM]);
    for level in supported_levels() {
        let got = pair_at(level, Metric::L2sq, Vectors::I8(&a), Vectors::I8(&b)).unwrap();
        assert_eq!(got, 4_261_478_400u64 as f32, "{level:?}");
    }
}

#[test]
fn cosine_of_a_zero_vector_is_one() {
    let (z, v) = (vec![0f32; 9], vec![1f32; 9]);
    for level in supported_levels() {
        assert_eq!(pair_at(level, Metric::Cosine, Vectors::F32(&z), Vectors::F32(&v)).unwrap(), 1.0);
    }
}

#[test]
fn many_equals_pair_row_by_row_and_threads_do_not_matter() {
    for dim in [7usize, 128, 129] {
        let mut rng = Rng(dim as u64);
        let n = 2 * crate::parallel::MIN_VALUES_PER_THREAD / dim + 5;
        let (q, rows) = (rng.f32s(dim), rng.f32s(n * dim));
        let (qi, rowsi) = (rng.i8s(dim), rng.i8s(n * dim));
        for level in supported_levels() {
            for metric in [Metric::L2sq, Metric::Dot, Metric::Cosine, Metric::Manhattan] {
                let mut one = vec![0f32; n];
                let mut two = vec![0f32; n];
                many_at(level, metric, Vectors::F32(&q), Vectors::F32(&rows), &mut one, 1).unwrap();
                many_at(level, metric, Vectors::F32(&q), Vectors::F32(&rows), &mut two, 2).unwrap();
                assert_eq!(one, two);
                for j in [0, n / 2, n - 1] {
                    let row = &rows[j * dim..(j + 1) * dim];
                    assert_eq!(one[j], pair_at(level, metric, Vectors::F32(&q), Vectors::F32(row)).unwrap());
                }
            }
            let mut out = vec![0f32; n];
            many_at(level, Metric::Dot, Vectors::I8(&qi), Vectors::I8(&rowsi), &mut out, 2).unwrap();
            assert_eq!(out[n - 1], reference_i8(Metric::Dot, &qi, &rowsi[(n - 1) * dim..]));
        }
    }
}

#[test]
fn wrong_shapes_and_metrics_are_refused() {
    let a = [1f32; 4];
    assert!(pair(Metric::L2sq, Vectors::F32(&a), Vectors::F32(&a[..3])).is_err());
    assert!(pair(Metric::Hamming, Vectors::F32(&a), Vectors::F32(&a)).is_err());
    assert!(many(Metric::L2sq, Vectors::F32(&a), Vectors::F32(&a), &mut [0.0; 2], 1).is_err());
    assert!(matrix::matrix(Metric::L2sq, &a, &a, 3, &mut [0.0; 1], 1).is_err());
}

#[test]
fn matrix_matches_reference_at_awkward_shapes() {
    for (m, n, dim) in [(1usize, 1usize, 1usize), (13, 70, 7), (9, 33, 129), (17, 64, 128)] {
        let mut rng = Rng((m * n * dim) as u64);
        let (q, b) = (rng.f32s(m * dim), rng.f32s(n * dim));
        for level in supported_levels() {
            for metric in [Metric::L2sq, Metric::Dot, Metric::Cosine, Metric::Manhattan] {
                let mut out = vec![f32::NAN; m * n];
                matrix_at(level, metric, &q, &b, dim, &mut out, 2).unwrap();
                for i in 0..m {
                    for j in 0..n {
                        let (qa, bb) = (&q[i * dim..(i + 1) * dim], &b[j * dim..(j + 1) * dim]);
                        let (want, mag) = reference_f32(metric, qa, bb);
                        // l2sq via norms loses precision to cancellation: allow for the norms' size.
                        let norms = reference_f32(Metric::Dot, qa, qa).0 + reference_f32(Metric::Dot, bb, bb).0;
                        let tol = 1e-5 * (mag + norms) + 1e-5;
                        let got = out[i * n + j] as f64;
                        assert!((got - want).abs() <= tol, "{} {level:?} {m}x{n}x{dim} at ({i},{j}): {got} vs {want}", metric.name());
                    }
                }
            }
        }
    }
}

#[test]
fn peak_is_measured() {
    for level in supported_levels() {
        assert!(peak_gflops(level, 5) > 0.1, "{level:?}");
    }
}

#[test]
fn two_row_kernels_give_the_pair_kernels_values_bit_for_bit() {
    let mut rng = Rng(77);
    let mut checked = 0;
    for level in supported_levels() {
        for l2 in [true, false] {
            let Some(two) = f32_two_rows(level, l2) else { continue };
            let pair = kernels(level).f32_pair[if l2 { 0 } else { 1 }];
            for dim in DIMS.into_iter().chain([2, 8, 31, 32, 33, 96, 100, 200]) {
                let (q, a, b) = (rng.f32s(dim), rng.f32s(dim), rng.f32s(dim));
                // SAFETY: kernels of a supported level, on slices of one length.
                let (x, y) = unsafe { two(&q, &a, &b) };
                let want = unsafe { (pair(&q, &a), pair(&q, &b)) };
                assert_eq!((x.to_bits(), y.to_bits()), (want.0.to_bits(), want.1.to_bits()), "{level:?} l2 {l2} dim {dim}");
                checked += 1;
            }
        }
    }
    #[cfg(target_arch = "x86_64")]
    assert!(checked > 0 || !Level::Avx2.is_supported(), "an AVX2 machine checks its two-row kernels");
}
