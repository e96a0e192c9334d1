//! Decompression bombs: caps on the bytes a compressed input may expand to. Each
//! archive member (zip, cab) and each gzip stream is capped on its own
//! ([`Limits::member`]), and all of one ticket's (one run's, one `scan_with`'s)
//! compressed inputs together ([`Limits::total`]). Past a cap the input fails with
//! an error that names the cap and the flag that raises it; every other input goes on.
//! Plain files are never capped: their size is what is on disk.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The caps, in bytes of decompressed output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes one member or gzip stream may expand to (`--max-member`).
    pub member: u64,
    /// Most bytes all compressed inputs of one ticket may expand to (`--max-ticket`).
    pub total: u64,
}

/// Default of [`Limits::member`]: 16 GiB (a Procmon PML of a long capture is a few GiB).
pub const MEMBER_DEFAULT: u64 = 16 << 30;
/// Default of [`Limits::total`]: 64 GiB.
pub const TOTAL_DEFAULT: u64 = 64 << 30;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            member: MEMBER_DEFAULT,
            total: TOTAL_DEFAULT,
        }
    }
}

/// The caps of one scan and the bytes its compressed inputs expanded to so far.
#[derive(Debug, Default)]
pub struct Budget {
    limits: Limits,
    used: AtomicU64,
}

impl Budget {
    pub fn new(limits: Limits) -> Arc<Budget> {
        Arc::new(Budget {
            limits,
            used: AtomicU64::new(0),
        })
    }
}

/// A cap was passed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Expansion {
    #[error(
        "expands past {0} bytes, the cap of one compressed member or stream (a decompression bomb? --max-member raises it)"
    )]
    Member(u64),
    #[error(
        "the ticket's compressed inputs expand past {0} bytes in all, their cap (a decompression bomb? --max-ticket raises it)"
    )]
    Total(u64),
}

/// A decompressing reader under the caps.
pub struct Capped<R> {
    inner: R,
    read: u64,
    budget: Arc<Budget>,
}

impl<R> Capped<R> {
    pub fn new(inner: R, budget: Arc<Budget>) -> Capped<R> {
        Capped {
            inner,
            read: 0,
            budget,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        let l = self.budget.limits;
        if self.read > l.member {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                Expansion::Member(l.member),
            ));
        }
        let total = self.budget.used.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if total > l.total {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                Expansion::Total(l.total),
            ));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(r: &mut dyn Read) -> io::Result<u64> {
        io::copy(r, &mut io::sink())
    }

    #[test]
    fn each_stream_and_all_together_are_capped() {
        let b = Budget::new(Limits {
            member: 100,
            total: 150,
        });
        let mut ok = Capped::new(io::repeat(b'x').take(100), b.clone());
        assert_eq!(drain(&mut ok).unwrap(), 100, "at the cap is fine");
        let mut big = Capped::new(io::repeat(b'x').take(101), Budget::new(Limits::default()));
        assert_eq!(drain(&mut big).unwrap(), 101, "another budget");
        let mut over = Capped::new(io::repeat(b'x').take(101), Budget::new(b.limits));
        let e = drain(&mut over).unwrap_err();
        assert!(e.to_string().contains("--max-member"), "{e}");
        // 100 used of 150: the next stream fails past 50 more.
        let mut second = Capped::new(io::repeat(b'x').take(80), b.clone());
        let e = drain(&mut second).unwrap_err();
        assert!(e.to_string().contains("--max-ticket"), "{e}");
    }
}
