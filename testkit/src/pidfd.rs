//! Killing a process for certain by a descriptor of it, never by a number that may have
//! been reused: a failed test must not leave its processes behind, nor hit a stranger.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// SIGKILLs its process when dropped, unless that has exited already.
pub struct KillOnDrop(Option<OwnedFd>);

impl KillOnDrop {
    /// For `pid`, which must exist now (a child not yet reaped, or a process just seen).
    pub fn new(pid: i32) -> KillOnDrop {
        // SAFETY: pidfd_open takes a pid and flags, and returns a new descriptor or -1.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        // SAFETY: a descriptor pidfd_open just returned belongs to nobody else.
        KillOnDrop((fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd as i32) }))
    }
}

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(fd) = &self.0 {
            // SAFETY: a live pidfd, no siginfo; ESRCH (already gone) is fine.
            unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    libc::SIGKILL,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                )
            };
        }
    }
}
