//! Thin, panic-free wrappers over the system calls pidone makes: every call into libc is
//! here, each `unsafe` operation with the reason it is sound. The rest of pidone is safe
//! Rust (the only other `unsafe` reads the C runtime's argv and environ, in `args` and
//! `child`).
//!
//! - `fd`: an owned descriptor, open/read/write/poll, what kind of file a descriptor is;
//! - `signal`: masks, waiting for signals, kill, SIGCHLD's disposition;
//! - `process`: reaping, prctl, ids, and the async-signal-safe calls the child makes
//!   between fork and exec;
//! - `tty`: the terminal calls of `terminal`;
//! - `time`: the clocks.

mod environ;
mod fd;
mod peek;
mod process;
mod region;
mod signal;
mod time;
mod tty;

pub use environ::*;
pub use fd::*;
pub use peek::*;
pub use process::*;
pub use region::*;
pub use signal::*;
pub use time::*;
pub use tty::*;

pub type Pid = libc::pid_t;

pub fn errno() -> i32 {
    nix::errno::Errno::last_raw()
}

/// Sets errno, for a failure pidone detects itself on the way to a system call.
pub fn set_errno(err: i32) {
    nix::errno::Errno::set_raw(err);
}

/// The C library's text for an errno value, e.g. "No such file or directory".
pub fn strerror(err: i32) -> &'static str {
    nix::errno::Errno::from_raw(err).desc()
}

/// Reads an environment variable as bytes. Only called before the child starts.
pub fn getenv(name: &core::ffi::CStr) -> Option<&'static [u8]> {
    // SAFETY: `name` is NUL-terminated; pidone is single-threaded and never modifies its
    // environment, so getenv races with nothing.
    let p = unsafe { libc::getenv(name.as_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: a non-NULL getenv result is a NUL-terminated string inside the environment,
    // which pidone never changes: it stays valid and unchanged for the life of the process.
    Some(unsafe { core::ffi::CStr::from_ptr(p) }.to_bytes())
}
