//! Read-only memory maps of index files, and `Region`: a slice that is either owned or a window
//! on a map. An IVF index opened with a map reads its lists from the page cache on demand, so an
//! index larger than the free memory can be searched.
//!
//! A map sees the file as it is on disk. vectro replaces files by renaming a new one over them,
//! which leaves a mapped file untouched; a file rewritten or truncated in place by another program
//! is detected by [`Mapping::check_unchanged`] (size and modification time), which the index calls
//! before and after every search. A truncation *during* a search makes the pages past the new end
//! unreadable: a read there raises SIGBUS, which would end the process. On Linux the [`guard`]
//! module catches it for the mapped ranges: it maps a page of zeros over the faulting page, so the
//! read completes, and marks the mapping; the search then fails with "shrank while mapped" instead
//! of returning what it read. This costs nothing on the search path (a registration per map).

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
    path: std::path::PathBuf,
    /// The guard slot watching this range for SIGBUS, if one was free.
    slot: Option<usize>,
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
        let slot = guard::watch(ptr as usize, len);
        Ok(Mapping { ptr: ptr as *const u8, len, file, path: path.to_path_buf(), slot, stamp })
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

    /// Errors when the file's size or modification time is no longer what it was when mapped, or
    /// when a read of the map has faulted (the file shrank under it).
    pub fn check_unchanged(&self) -> Result<(), Error> {
        if self.slot.is_some_and(guard::faulted) {
            return Err(invalid(format!("the index file {} shrank while mapped; what the search read is discarded", self.path.display())));
        }
        match stamp_of(&self.file) {
            Ok(now) if now == self.stamp => Ok(()),
            _ => Err(invalid(format!("the index file {} changed on disk since it was mapped; open it again", self.path.display()))),
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
        if let Some(slot) = self.slot {
            guard::unwatch(slot);
        }
        #[cfg(all(unix, target_pointer_width = "64"))]
        // SAFETY: the range `open` mapped, unmapped once; no Region outlives its Arc<Mapping>.
        unsafe {
            sys::munmap(self.ptr as *mut _, self.len);
        }
    }
}

/// SIGBUS on mapped ranges turned into an error (Linux on x86-64 and aarch64; elsewhere a fault
/// ends the process as before). Up to `SLOTS` maps are watched at once; more go unwatched.
#[cfg(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod guard {
    use std::ffi::{c_int, c_void};
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::OnceLock;

    const SLOTS: usize = 64;
    static START: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
    static END: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
    static FAULTED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
    static PAGE: AtomicUsize = AtomicUsize::new(4096);

    const SIGBUS: c_int = 7;
    const SA_SIGINFO: c_int = 4;
    const SA_ONSTACK: c_int = 0x0800_0000;
    const SA_RESTART: c_int = 0x1000_0000;
    const PROT_READ: c_int = 1;
    const MAP_PRIVATE: c_int = 2;
    const MAP_FIXED: c_int = 0x10;
    const MAP_ANONYMOUS: c_int = 0x20;
    const SC_PAGESIZE: c_int = 30;
    /// `si_addr` in glibc's siginfo_t: after three ints and padding, on both architectures.
    const SI_ADDR_OFFSET: usize = 16;

    /// glibc's `struct sigaction` (the same layout on x86-64 and aarch64).
    #[repr(C)]
    struct SigAction {
        handler: usize,
        mask: [u64; 16],
        flags: c_int,
        restorer: usize,
    }

    extern "C" {
        fn sigaction(sig: c_int, act: *const SigAction, old: *mut SigAction) -> c_int;
        fn mmap(addr: *mut c_void, len: usize, prot: c_int, flags: c_int, fd: c_int, offset: i64) -> *mut c_void;
        fn sysconf(name: c_int) -> i64;
    }

    /// The handler that was installed before ours: faults outside our maps go to it.
    struct Previous(SigAction);
    // SAFETY: written once before our handler can run, only read afterwards.
    unsafe impl Sync for Previous {}
    unsafe impl Send for Previous {}
    static PREVIOUS: OnceLock<Previous> = OnceLock::new();

    extern "C" fn on_sigbus(sig: c_int, info: *mut c_void, context: *mut c_void) {
        // SAFETY: the kernel passes a valid siginfo_t with SA_SIGINFO.
        let addr = unsafe { *(info.cast::<u8>().add(SI_ADDR_OFFSET) as *const usize) };
        for slot in 0..SLOTS {
            let (start, end) = (START[slot].load(Ordering::Acquire), END[slot].load(Ordering::Acquire));
            if start != 0 && addr >= start && addr < end {
                let page = PAGE.load(Ordering::Relaxed);
                // SAFETY: replaces one page of our own read-only map with zeros, so the faulting
                // read completes; mmap is a plain system call, safe to make in a handler.
                unsafe { mmap((addr & !(page - 1)) as *mut c_void, page, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) };
                FAULTED[slot].store(true, Ordering::Release);
                return;
            }
        }
        let Some(Previous(old)) = PREVIOUS.get() else { return };
        match old.handler {
            // SIG_DFL or SIG_IGN: restore the default, so the read faults again and ends the process.
            0 | 1 => {
                let default = SigAction { handler: 0, mask: [0; 16], flags: 0, restorer: 0 };
                // SAFETY: a valid action for a valid signal.
                unsafe { sigaction(SIGBUS, &default, std::ptr::null_mut()) };
            }
            h if old.flags & SA_SIGINFO != 0 => {
                // SAFETY: the previous handler, called as it was registered (three arguments).
                let f: extern "C" fn(c_int, *mut c_void, *mut c_void) = unsafe { std::mem::transmute(h) };
                f(sig, info, context);
            }
            h => {
                // SAFETY: the previous handler, called as it was registered (one argument).
                let f: extern "C" fn(c_int) = unsafe { std::mem::transmute(h) };
                f(sig);
            }
        }
    }

    fn install() -> bool {
        static INSTALLED: OnceLock<bool> = OnceLock::new();
        *INSTALLED.get_or_init(|| {
            // SAFETY: sysconf has no preconditions.
            let page = unsafe { sysconf(SC_PAGESIZE) };
            if page > 0 {
                PAGE.store(page as usize, Ordering::Relaxed);
            }
            let mut old = SigAction { handler: 0, mask: [0; 16], flags: 0, restorer: 0 };
            let ours = SigAction {
                handler: on_sigbus as *const () as usize,
                mask: [0; 16],
                flags: SA_SIGINFO | SA_ONSTACK | SA_RESTART,
                restorer: 0,
            };
            // SAFETY: reads the current action into `old`, then installs ours.
            if unsafe { sigaction(SIGBUS, std::ptr::null(), &mut old) } != 0 {
                return false;
            }
            let _ = PREVIOUS.set(Previous(old));
            // SAFETY: `ours` is a valid action whose handler lives as long as the process.
            unsafe { sigaction(SIGBUS, &ours, std::ptr::null_mut()) == 0 }
        })
    }

    /// Watches `len` bytes from `start`; the slot, or None when the guard is unavailable or full.
    pub fn watch(start: usize, len: usize) -> Option<usize> {
        if !install() {
            return None;
        }
        for slot in 0..SLOTS {
            if START[slot].compare_exchange(0, usize::MAX, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
                FAULTED[slot].store(false, Ordering::Relaxed);
                END[slot].store(start + len, Ordering::Release);
                START[slot].store(start, Ordering::Release);
                return Some(slot);
            }
        }
        None
    }

    pub fn unwatch(slot: usize) {
        END[slot].store(0, Ordering::Release);
        START[slot].store(0, Ordering::Release);
    }

    pub fn faulted(slot: usize) -> bool {
        FAULTED[slot].load(Ordering::Acquire)
    }
}

#[cfg(not(all(target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64"))))]
mod guard {
    pub fn watch(_start: usize, _len: usize) -> Option<usize> {
        None
    }
    pub fn unwatch(_slot: usize) {}
    pub fn faulted(_slot: usize) -> bool {
        false
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

#[cfg(all(test, target_os = "linux", any(target_arch = "x86_64", target_arch = "aarch64")))]
mod tests {
    use super::*;

    #[test]
    fn a_file_cut_short_under_its_map_is_an_error_not_a_crash() {
        let path = std::env::temp_dir().join(format!("vectro-guard-{}.bin", std::process::id()));
        std::fs::write(&path, vec![7u8; 64 * 1024]).unwrap();
        let map = Arc::new(Mapping::open(&path).unwrap());
        let region: Region<u8> = map.region(0, 64 * 1024).unwrap();
        assert_eq!(region[60 * 1024], 7);
        map.check_unchanged().unwrap();
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(4096).unwrap();
        // Past the new end: without the guard this read raises SIGBUS and ends the test process.
        let past: u32 = region[8192..].iter().map(|&b| b as u32).sum();
        assert_eq!(past, 0, "the guard maps zeros over the lost pages");
        assert_eq!(region[0], 7, "pages inside the file still read from it");
        let err = map.check_unchanged().unwrap_err().to_string();
        assert!(err.contains("shrank while mapped") && err.contains("vectro-guard-"), "{err}");
        drop(region);
        drop(map);
        std::fs::remove_file(&path).unwrap();
        // A new map of the same (now short) file is watched afresh and reads fine.
        std::fs::write(&path, vec![1u8; 4096]).unwrap();
        let again = Arc::new(Mapping::open(&path).unwrap());
        again.check_unchanged().unwrap();
        drop(again);
        std::fs::remove_file(&path).unwrap();
    }
}
