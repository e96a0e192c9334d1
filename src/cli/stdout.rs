//! Standard output that was closed before the process started.

/// Whether descriptor 1 was closed when the process started. Rust's runtime reopens a
/// closed standard descriptor on `/dev/null` before `main`, so the check runs earlier,
/// from the ELF initialiser list, where the descriptor table is still as inherited.
#[cfg(target_os = "linux")]
static STDOUT_CLOSED_AT_START: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static CHECK_STDOUT_AT_START: extern "C" fn() = {
    extern "C" fn check() {
        use std::os::fd::BorrowedFd;
        // SAFETY: fd 1 is only borrowed for a duplicate (F_DUPFD_CLOEXEC) that is
        // closed at once; an invalid descriptor makes the call fail with EBADF.
        let fd = unsafe { BorrowedFd::borrow_raw(1) };
        let closed = fd.try_clone_to_owned().is_err();
        STDOUT_CLOSED_AT_START.store(closed, std::sync::atomic::Ordering::Relaxed);
    }
    check
};

/// Fails when standard output was closed (`culprit ... >&-`): a report nobody receives
/// must not exit 0 (`cat` fails the same way).
pub(super) fn stdout_open() -> anyhow::Result<()> {
    #[cfg(target_os = "linux")]
    if STDOUT_CLOSED_AT_START.load(std::sync::atomic::Ordering::Relaxed) {
        anyhow::bail!("standard output is closed: nowhere to write the report (use -o FILE)");
    }
    Ok(())
}
