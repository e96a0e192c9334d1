//! Mapped input files that cannot kill the process when they shrink.
//!
//! A file truncated by another process while it is mapped makes every read past its
//! new end fault (SIGBUS), which would end the run and lose every finding. Each input
//! map is registered here; a SIGBUS inside a registered map replaces the faulting page
//! with a page of zeros and marks the map, so the read goes on. The scan then notices
//! the size change and fails that input by name (`scan::changed_while_read`), and
//! every other input is kept. A SIGBUS anywhere else keeps its default action.

use std::ops::Deref;

use memmap2::Mmap;

/// A read-only map of an input file, guarded against truncation while mapped.
pub struct Guarded {
    map: Mmap,
    slot: Option<usize>,
}

impl Guarded {
    /// Maps `file` and registers the map.
    ///
    /// # Safety
    /// As [`Mmap::map`]: the map is read-only and private; a file truncated under it is
    /// what this type guards against (on Unix).
    pub unsafe fn map(file: &std::fs::File) -> std::io::Result<Guarded> {
        // SAFETY: the caller's contract, as for `Mmap::map`.
        let map = unsafe { Mmap::map(file)? };
        let slot = imp::register(map.as_ptr() as usize, map.len());
        Ok(Guarded { map, slot })
    }

    /// A map that needs no guard (an anonymous temporary file nobody else can touch).
    pub fn unguarded(map: Mmap) -> Guarded {
        Guarded { map, slot: None }
    }

    /// Whether a read faulted past the file's end (it was truncated while mapped).
    pub fn faulted(&self) -> bool {
        self.slot.is_some_and(imp::faulted)
    }
}

impl Deref for Guarded {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.map
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        if let Some(s) = self.slot {
            imp::unregister(s);
        }
    }
}

#[cfg(unix)]
mod imp {
    use std::sync::Once;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Maps guarded at once (more are mapped unguarded, as before).
    const SLOTS: usize = 1024;
    static USED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
    static START: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
    static END: [AtomicUsize; SLOTS] = [const { AtomicUsize::new(0) }; SLOTS];
    static FAULTED: [AtomicBool; SLOTS] = [const { AtomicBool::new(false) }; SLOTS];
    static PAGE: AtomicUsize = AtomicUsize::new(4096);
    static INSTALL: Once = Once::new();

    extern "C" fn on_sigbus(
        _sig: libc::c_int,
        info: *mut libc::siginfo_t,
        _ctx: *mut libc::c_void,
    ) {
        // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers.
        let addr = unsafe { (*info).si_addr() } as usize;
        let page = PAGE.load(Ordering::Relaxed);
        for i in 0..SLOTS {
            let start = START[i].load(Ordering::Acquire);
            if start != 0 && addr >= start && addr < END[i].load(Ordering::Acquire) {
                let at = addr & !(page - 1);
                // SAFETY: the page lies inside a read-only map this process owns; a
                // private anonymous page of zeros replaces it (the map's later munmap
                // releases it with the rest).
                let p = unsafe {
                    libc::mmap(
                        at as *mut libc::c_void,
                        page,
                        libc::PROT_READ,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                        -1,
                        0,
                    )
                };
                if p != libc::MAP_FAILED {
                    FAULTED[i].store(true, Ordering::Relaxed);
                    return;
                }
            }
        }
        // Not a guarded map: what SIGBUS does by default.
        // SAFETY: both are async-signal-safe.
        unsafe {
            libc::signal(libc::SIGBUS, libc::SIG_DFL);
            libc::raise(libc::SIGBUS);
        }
    }

    fn install() {
        INSTALL.call_once(|| {
            // SAFETY: sysconf and sigaction are called once, before any guarded map
            // exists; the handler only touches atomics and async-signal-safe calls.
            unsafe {
                let p = libc::sysconf(libc::_SC_PAGESIZE);
                if p > 0 {
                    PAGE.store(p as usize, Ordering::Relaxed);
                }
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = on_sigbus as *const () as usize;
                sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(libc::SIGBUS, &sa, std::ptr::null_mut());
            }
        });
    }

    pub fn register(start: usize, len: usize) -> Option<usize> {
        if len == 0 {
            return None;
        }
        install();
        for i in 0..SLOTS {
            if USED[i]
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
            {
                FAULTED[i].store(false, Ordering::Relaxed);
                END[i].store(start + len, Ordering::Release);
                START[i].store(start, Ordering::Release);
                return Some(i);
            }
        }
        None
    }

    pub fn unregister(i: usize) {
        START[i].store(0, Ordering::Release);
        END[i].store(0, Ordering::Release);
        USED[i].store(false, Ordering::Release);
    }

    pub fn faulted(i: usize) -> bool {
        FAULTED[i].load(Ordering::Relaxed)
    }
}

#[cfg(not(unix))]
mod imp {
    pub fn register(_start: usize, _len: usize) -> Option<usize> {
        None
    }
    pub fn unregister(_i: usize) {}
    pub fn faulted(_i: usize) -> bool {
        false
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn a_file_truncated_under_its_map_reads_zeros_instead_of_killing_the_process() {
        let mut f = tempfile::tempfile().unwrap();
        let page = 4096 * 4; // past any page size in use
        f.write_all(&vec![b'x'; page * 3]).unwrap();
        // SAFETY: a private temporary file; truncating it is the point of the test.
        let map = unsafe { Guarded::map(&f) }.unwrap();
        assert_eq!(map[page * 2], b'x');
        assert!(!map.faulted());
        f.set_len(page as u64).unwrap();
        // Past the new end: without the guard, SIGBUS ends the test process.
        let tail: u64 = map[page * 2..].iter().map(|&b| u64::from(b)).sum();
        assert_eq!(tail, 0, "zeros where the file was cut");
        assert!(map.faulted());
        assert_eq!(map[0], b'x', "what is still in the file reads as before");
    }
}
