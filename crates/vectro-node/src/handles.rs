//! What the index handles share: the lock rules of a JS-held `Arc<RwLock<_>>` and the arguments
//! every index call parses the same way (metric, storage, seed).

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::js::{Args, Fail, Result};
use vectro_core::flat::IndexMetric;
use vectro_core::storage::Storage;

const BUSY: &str = "the index is busy with an async add or search; await it before calling the sync API";

/// A read lock without waiting: sync calls on a busy index throw instead of blocking the event loop.
pub fn read<T>(h: &Arc<RwLock<T>>) -> Result<RwLockReadGuard<'_, T>> {
    h.try_read().map_err(|_| Fail::Error(BUSY.into()))
}

/// A write lock without waiting, as `read`.
pub fn write<T>(h: &Arc<RwLock<T>>) -> Result<RwLockWriteGuard<'_, T>> {
    h.try_write().map_err(|_| Fail::Error(BUSY.into()))
}

pub fn metric_arg(a: &Args, i: usize) -> Result<IndexMetric> {
    let id = a.index(i, "metric", u32::MAX as usize)?;
    IndexMetric::from_id(id as u32).ok_or_else(|| Fail::Range(format!("unknown index metric id {id}")))
}

pub fn storage_arg(a: &Args, i: usize) -> Result<Storage> {
    let id = a.index(i, "storage", u32::MAX as usize)?;
    Storage::from_id(id as u32).ok_or_else(|| Fail::Range(format!("unknown index storage id {id}")))
}

/// A 64-bit seed passed as two u32 halves, high first, at arguments `i` and `i + 1`.
pub fn seed_arg(a: &Args, i: usize) -> Result<u64> {
    Ok(((a.index(i, "seedHigh", u32::MAX as usize)? as u64) << 32) | a.index(i + 1, "seedLow", u32::MAX as usize)? as u64)
}
