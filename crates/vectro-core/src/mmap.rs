//! Read-only memory maps of index files, and `Region`: a slice that is either owned or a window
//! on a map. An IVF index opened with a map reads its lists from the page cache on demand, so an
//! index larger than the free memory can be searched.
//!
//! A map sees the file as it is on disk. vectro replaces files by renaming a new one over them,
//! which leaves a mapped file untouched; a file rewritten or truncated in place by another program
//! is detected by [`Mapping::check_unchanged`] (size and modification time), which the index calls
//! before every search. A truncation *during* a search can still end the process with SIGBUS, as for
//! any reader of mapped files.

use std::fs::File;
use std::ops::Deref;
use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use crate::error::{invalid, Error};

/// A whole file mapped read-only (private, random access).
pub struct Mapping {
    ptr: *const u8,
    len: usize,
    file: File,
    /// Size and modification time when mapped.
    stamp: (u64, Option<SystemTime>),
}

// SAFETY: the map is read-only and lives until drop; sharing its pointer between threads is safe.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

#[cfg(all(unix, target_pointer_width = "64"))]
mod sys {
    use std::ffi::{c_int, c_void};
    pub const PROT_READ: c_int = 1;
    pub const MAP_PRIVATE: c_int = 2;
    /// The same value on Linux and macOS.
    pub const MADV_RANDOM: c_int = 1;
    extern "C" {
        pub fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, offset: i64) -> *mut c_void;
        pub fn munmap(addr: *mut c_void, len: usize) -> c_int;
        pub fn madvise(addr: *mut c_void, len: usize, advice: c_int) -> c_int;
    }
    #[cfg(target_os = "linux")]
    pub const POSIX_FADV_DONTNEED: c_int = 4;
    #[cfg(target_os = "linux")]
    extern "C" {
        pub fn posix_fadvise(fd: c_int, offset: i64, len: i64, advice: c_int) -> c_int;
    }
}

fn stamp_of(file: &File) -> std::io::Result<(u64, Option<SystemTime>)> {
    let meta = file.metadata()?;
    Ok((meta.len(), meta.modified().ok()))
}

impl Mapping {
    /// Maps `path` whole. Lists are read at random, so read-ahead is turned off (`MADV_RANDOM`).
    #[cfg(all(unix, target_pointer_width = "64"))]
    pub fn open(path: &Path) -> Result<Mapping, Error> {
        use std::os::unix::io::AsRawFd;
        let file = File::open(path).map_err(|e| invalid(format!("cannot open {}: {e}", path.display())))?;
        let stamp = stamp_of(&file).map_err(|e| invalid(format!("cannot read {}: {e}", path.display())))?;
        let len = usize::try_from(stamp.0).map_err(|_| invalid("the file is too large to map"))?;
        if len == 0 {
            return Err(invalid(format!("{} is empty", path.display())));
        }
        // SAFETY: a fresh read-only private map of an open file; failure returns MAP_FAILED (-1).
        let ptr = unsafe { sys::mmap(std::ptr::null_mut(), len, sys::PROT_READ, sys::MAP_PRIVATE, file.as_raw_fd(), 0) };
        if ptr as isize == -1 {
            return Err(invalid(format!("cannot map {}: {}", path.display(), std::io::Error::last_os_error())));
        }
        // SAFETY: the range just mapped. Advice is a hint: its failure changes nothing.
        unsafe { sys::madvise(ptr, len, sys::MADV_RANDOM) };
        Ok(Mapping { ptr: ptr as *const u8, len, file, stamp })
    }

    #[cfg(not(all(unix, target_pointer_width = "64")))]
    pub fn open(_path: &Path) -> Result<Mapping, Error> {
        Err(invalid("memory-mapped indexes need a 64-bit Linux or macOS build; load the index instead"))
    }

    /// Asks the kernel to drop the file's pages from the page cache (Linux; elsewhere a no-op),
    /// so that what follows reads from disk as if the file had never been read: how a search of an
    /// index larger than memory behaves, and what its resident memory then is. Call it before
    /// reading through the map (pages this process has mapped stay).
    pub fn drop_cached(&self) {
        #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
        {
            use std::os::unix::io::AsRawFd;
            // SAFETY: advice on an open descriptor; it reads no memory of ours, and failure is harmless.
            unsafe { sys::posix_fadvise(self.file.as_raw_fd(), 0, 0, sys::POSIX_FADV_DONTNEED) };
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Errors when the file's size or modification time is no longer what it was when mapped.
    pub fn check_unchanged(&self) -> Result<(), Error> {
        match stamp_of(&self.file) {
            Ok(now) if now == self.stamp => Ok(()),
            _ => Err(invalid("the index file changed on disk since it was mapped; open it again")),
        }
    }

    /// `len` values of type T from byte `offset`, checked to lie inside the file and be aligned.
    pub fn region<T: Plain>(self: &Arc<Self>, offset: usize, len: usize) -> Result<Region<T>, Error> {
        let size = std::mem::size_of::<T>();
        let end = len.checked_mul(size).and_then(|b| b.checked_add(offset));
        if !offset.is_multiple_of(std::mem::align_of::<T>()) || end.is_none_or(|e| e > self.len) {
            return Err(invalid(format!("a section of {len} values at byte {offset} does not lie inside the {}-byte file", self.len)));
        }
        Ok(Region::Mapped { map: Arc::clone(self), offset, len })
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        #[cfg(all(unix, target_pointer_width = "64"))]
        // SAFETY: the range `open` mapped, unmapped once; no Region outlives its Arc<Mapping>.
        unsafe {
            sys::munmap(self.ptr as *mut _, self.len);
        }
    }
}

/// Types every bit pattern of which is a valid value, so that file bytes can be read as them.
pub trait Plain: Copy + sealed::Sealed {}
impl Plain for u8 {}
impl Plain for u32 {}
impl Plain for f32 {}
mod sealed {
    pub trait Sealed {}
    impl Sealed for u8 {}
    impl Sealed for u32 {}
    impl Sealed for f32 {}
}

/// Values held in memory, or read from a mapped file.
pub enum Region<T: Plain> {
    Owned(Vec<T>),
    Mapped { map: Arc<Mapping>, offset: usize, len: usize },
}

impl<T: Plain> Default for Region<T> {
    fn default() -> Self {
        Region::Owned(Vec::new())
    }
}

impl<T: Plain> From<Vec<T>> for Region<T> {
    fn from(v: Vec<T>) -> Self {
        Region::Owned(v)
    }
}

impl<T: Plain> Deref for Region<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        match self {
            Region::Owned(v) => v,
            // SAFETY: `Mapping::region` checked that the range lies in the map and is aligned for
            // T, any bit pattern is a T (`Plain`), and the Arc keeps the map alive.
            Region::Mapped { map, offset, len } => unsafe { std::slice::from_raw_parts(map.ptr.add(*offset).cast::<T>(), *len) },
        }
    }
}
