//! What /proc says about pidone's processes (not `child`, which starts the application):
//! pidone's own children, listed whole for the machine, and whether one is stopped. The
//! kernel lists the children in /proc/self/task/PID/children. Read in fixed buffers.

use core::ffi::CStr;

use crate::machine::{Kid, Listing};
use crate::sys;

/// pidone's children now; `main` is the main child, whose process group is the one
/// `Kid::in_group` means (0 in pause mode: none is).
pub fn list(main: sys::Pid) -> Listing {
    let mut list = Listing::new();
    list.complete = for_each(|pid| {
        let in_group = main > 0 && sys::getpgid(pid) == Some(main);
        list.push(Kid::new(pid, in_group));
    });
    list
}

/// Calls `each` with each current child of pidone. Returns false when the list cannot be
/// read (no /proc, no descriptor left).
fn for_each(mut each: impl FnMut(sys::Pid)) -> bool {
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
                    each(pid);
                }
                pid = 0;
            }
        }
    }
    if pid > 1 {
        each(pid);
    }
    true
}

/// Whether `pid`, a child of pidone, is stopped. /proc/PID/stat's state `T` sees every stop,
/// also one the process's old parent already collected with WUNTRACED (a shell's job
/// control), which `waitid` no longer reports; without /proc, `waitid` is all there is.
pub fn is_stopped(pid: sys::Pid) -> bool {
    let mut digits = [0u8; 20];
    let number = crate::decimal::format(u64::try_from(pid).unwrap_or(0), &mut digits);
    let mut path = [0u8; 40];
    let parts = [&b"/proc/"[..], number, b"/stat\0"];
    for (slot, b) in path.iter_mut().zip(parts.iter().flat_map(|p| p.iter())) {
        *slot = *b;
    }
    let stat = CStr::from_bytes_until_nul(&path)
        .ok()
        .and_then(|path| sys::open(path, libc::O_RDONLY).ok());
    let Some(fd) = stat else {
        return sys::is_stopped(pid);
    };
    // "PID (COMM) S ...": COMM may hold anything, so the state follows the last ')'. A
    // long COMM is at most 16 bytes, so the state is within the first read.
    let mut buf = [0u8; 256];
    let n = fd.read(&mut buf).unwrap_or(0);
    let text = buf.get(..n).unwrap_or(&[]);
    match text.iter().rposition(|b| *b == b')') {
        Some(close) => matches!(text.get(close.saturating_add(2)), Some(b'T' | b't')),
        None => sys::is_stopped(pid),
    }
}

/// Whether pidone can list its children at all (checked once at start, to warn early).
pub fn listable() -> bool {
    sys::readable(c"/proc/self/task")
}
