//! pidone's own children, for when it is not PID 1 and `kill(-1)` would reach the whole
//! system: the kernel lists them in /proc/self/task/PID/children. Read in a fixed buffer.

use crate::sys;

/// Calls `each` with each current child of pidone. Returns false when the list cannot be
/// read (no /proc, no descriptor left).
pub fn for_each(mut each: impl FnMut(sys::Pid)) -> bool {
    let mut path = crate::log::Line::new();
    path.str("/proc/self/task/")
        .num(i64::from(sys::getpid()))
        .str("/children\0");
    let path = path.as_bytes();
    // SAFETY: `path` is NUL-terminated and lives across the call.
    let fd = unsafe { libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 {
        return false;
    }
    let mut buf = [0u8; 4096];
    let mut pid: i32 = 0;
    loop {
        // SAFETY: the pointer and length describe the live buffer.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 && sys::errno() == libc::EINTR {
            continue;
        }
        if n <= 0 {
            break;
        }
        // A pid may straddle two reads, so digits accumulate across them.
        for &b in buf.get(..n as usize).unwrap_or(&[]) {
            if b.is_ascii_digit() {
                pid = pid.saturating_mul(10).saturating_add(i32::from(b - b'0'));
            } else {
                // These are unreaped children of ours, so their pids cannot be reused.
                if pid > 1 {
                    each(pid);
                }
                pid = 0;
            }
        }
    }
    if pid > 1 {
        each(pid);
    }
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(fd) };
    true
}

/// Whether pidone can list its children at all (checked once at start, to warn early).
pub fn listable() -> bool {
    // SAFETY: the path is a NUL-terminated literal; access only checks it.
    unsafe { libc::access(c"/proc/self/task".as_ptr(), libc::R_OK) == 0 }
}
