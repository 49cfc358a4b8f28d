//! Which instruction set the kernels use, chosen once per process.
//!
//! The best level the CPU supports is used, capped by the `VECTRO_SIMD` environment variable
//! (`scalar`, `avx2` or `avx512`) when it is set: useful to compare paths or work around a CPU bug.

use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Scalar,
    /// AVX2 + FMA (Haswell and later, Zen).
    Avx2,
    /// AVX-512 F + BW + VL (Skylake-X and later, Zen 4).
    Avx512,
}

impl Level {
    pub fn name(self) -> &'static str {
        match self {
            Level::Scalar => "scalar",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512",
        }
    }

    pub fn parse(name: &str) -> Option<Level> {
        match name.trim().to_ascii_lowercase().as_str() {
            "scalar" => Some(Level::Scalar),
            "avx2" => Some(Level::Avx2),
            "avx512" => Some(Level::Avx512),
            _ => None,
        }
    }

    /// Whether this CPU can run code of this level.
    pub fn is_supported(self) -> bool {
        match self {
            Level::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => {
                is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("avx512vl")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }
}

/// Every level this CPU supports, lowest first (tests run each against scalar).
pub fn supported_levels() -> Vec<Level> {
    [Level::Scalar, Level::Avx2, Level::Avx512].into_iter().filter(|l| l.is_supported()).collect()
}

/// The best supported level at or below `cap` (cheap: feature checks are cached by std).
pub fn best_level(cap: Level) -> Level {
    [Level::Avx512, Level::Avx2].into_iter().find(|&l| l <= cap && l.is_supported()).unwrap_or(Level::Scalar)
}

/// The level the kernels use in this process.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let cap = std::env::var("VECTRO_SIMD").ok().and_then(|v| Level::parse(&v)).unwrap_or(Level::Avx512);
        best_level(cap)
    })
}
