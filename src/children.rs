//! pidone's own children, for when it is not PID 1 and `kill(-1)` would reach the whole
//! system: the kernel lists them in /proc/self/task/PID/children. Read in a fixed buffer.

use core::ffi::CStr;

use crate::sys;

/// Sends `sig` to each current child of pidone. Returns false when the list cannot be read
/// (no /proc, no descriptor left): then only the process group the caller signalled was
/// reached.
pub fn signal_children(sig: i32) -> bool {
    let mut digits = [0u8; 20];
    let pid = crate::decimal::format(u64::try_from(sys::getpid()).unwrap_or(0), &mut digits);
    let mut path = [0u8; 48];
    let parts = [&b"/proc/self/task/"[..], pid, b"/children\0"];
    for (slot, b) in path.iter_mut().zip(parts.iter().flat_map(|p| p.iter())) {
        *slot = *b;
    }
    let Ok(path) = CStr::from_bytes_until_nul(&path) else {
        return false;
    };
    let Ok(fd) = sys::open(path, libc::O_RDONLY) else {
        return false;
    };
    let mut buf = [0u8; 4096];
    let mut pid: i32 = 0;
    while let Ok(n) = fd.read(&mut buf) {
        if n == 0 {
            break;
        }
        // A pid may straddle two reads, so digits accumulate across them.
        for &b in buf.get(..n).unwrap_or(&[]) {
            if let Some(d) = b.checked_sub(b'0').filter(|d| *d <= 9) {
                pid = pid.saturating_mul(10).saturating_add(i32::from(d));
            } else {
                // These are unreaped children of ours, so their pids cannot be reused.
                if pid > 1 {
                    let _ = sys::kill(pid, sig);
                }
                pid = 0;
            }
        }
    }
    if pid > 1 {
        let _ = sys::kill(pid, sig);
    }
    true
}

/// Whether pidone can list its children at all (checked once at start, to warn early).
pub fn listable() -> bool {
    sys::readable(c"/proc/self/task")
}
