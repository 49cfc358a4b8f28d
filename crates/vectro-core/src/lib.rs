//! vectro-core: the numeric kernels behind vectro.
//!
//! Everything here works on plain slices; the Node-API binding lives in `vectro-node`.
//! Kernels pick their instruction set once per process (see [`simd`]), and every SIMD path
//! produces bit-identical results to the scalar one, which is the reference.

pub mod distance;
pub mod error;
pub mod flat;
pub mod hnsw;
pub mod ivf;
pub mod mmap;
pub mod parallel;
pub mod quant;
pub mod simd;
pub mod storage;
pub mod topk;

pub use error::Error;

#[cfg(test)]
mod topk_tests;
