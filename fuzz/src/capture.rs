//! Captures what pidone writes to standard error (its log) into a memfd, so a check can
//! read the exact bytes of every line.

use std::sync::OnceLock;

struct Fds {
    memfd: i32,
    /// The real standard error, restored after each capture and before a panic report.
    saved: i32,
}

static FDS: OnceLock<Fds> = OnceLock::new();

fn fds() -> &'static Fds {
    FDS.get_or_init(|| {
        // SAFETY: plain system calls on descriptors this process owns; the name is a
        // NUL-terminated literal.
        let (memfd, saved) = unsafe {
            (
                libc::memfd_create(c"pidone-fuzz-stderr".as_ptr(), libc::MFD_CLOEXEC),
                libc::fcntl(2, libc::F_DUPFD_CLOEXEC, 10),
            )
        };
        assert!(memfd >= 0 && saved >= 0, "memfd/dup failed");
        // A failed property panics while fd 2 may still be the memfd: put the real one
        // back first, so the report is seen.
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            // SAFETY: dup2 onto fd 2 from a descriptor kept open for the whole run.
            unsafe { libc::dup2(saved, 2) };
            previous(info);
        }));
        Fds { memfd, saved }
    })
}

/// Sets up the capture; call from a target's init, before the fuzzer runs.
pub fn init() {
    fds();
}

/// Runs `f` with fd 2 going to the memfd and returns everything written meanwhile.
pub fn stderr_of(f: impl FnOnce()) -> Vec<u8> {
    let fds = fds();
    // SAFETY: ftruncate/lseek/dup2 on descriptors owned by this process.
    unsafe {
        libc::ftruncate(fds.memfd, 0);
        libc::lseek(fds.memfd, 0, libc::SEEK_SET);
        libc::dup2(fds.memfd, 2);
    }
    f();
    // SAFETY: as above.
    let len = unsafe {
        libc::dup2(fds.saved, 2);
        libc::lseek(fds.memfd, 0, libc::SEEK_CUR)
    };
    let mut out = vec![0u8; usize::try_from(len).unwrap_or(0)];
    // SAFETY: the buffer is `out.len()` writable bytes.
    let n = unsafe { libc::pread(fds.memfd, out.as_mut_ptr().cast(), out.len(), 0) };
    out.truncate(usize::try_from(n).unwrap_or(0));
    out
}
