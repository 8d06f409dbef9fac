//! Thin, panic-free wrappers over the system calls pidone makes: all of pidone's FFI is
//! here, each `unsafe` operation with the reason it is sound. Everything else is safe Rust,
//! which `#![deny(unsafe_code)]` in lib.rs checks (only this module is exempt; the binary's
//! `main` hands the C runtime's argv to `Args`).
//!
//! - `args`: pidone's argv, and the command's argv as execve takes it;
//! - `env`: pidone's environment, and an edited copy for the child;
//! - `fd`: an owned descriptor, open/read/write/poll, what kind of file a descriptor is;
//! - `net`: stream sockets (`pidone health`);
//! - `signal`: signal sets, masks, waiting for signals, kill, SIGCHLD's disposition;
//! - `process`: reaping, prctl, ids, and the async-signal-safe calls the child makes
//!   between fork and exec;
//! - `tty`: the terminal calls of `terminal`;
//! - `time`: the clocks.
//!
//! Failures are `Errno`s; `retrying` is the one loop that retries EINTR.

mod args;
mod env;
mod errno;
mod fd;
mod net;
mod peek;
mod process;
mod region;
mod signal;
mod time;
mod tty;

pub use args::*;
pub use env::*;
pub use errno::Errno;
pub use fd::*;
pub use net::*;
pub use peek::*;
pub use process::*;
pub use region::*;
pub use signal::*;
pub use time::*;
pub use tty::*;

pub type Pid = libc::pid_t;

/// The errno of the last failed call.
pub fn errno() -> Errno {
    Errno::last()
}

/// The C library's text for an errno value, e.g. "No such file or directory".
pub fn strerror(err: Errno) -> &'static str {
    err.desc()
}

/// Makes a system call until it is not interrupted: its non-negative result, or the errno
/// of its failure (-1). Async-signal-safe.
fn retrying<T: Copy + Default + PartialOrd>(mut call: impl FnMut() -> T) -> Result<T, Errno> {
    loop {
        let ret = call();
        if ret >= T::default() {
            return Ok(ret);
        }
        match errno() {
            Errno::EINTR => continue,
            err => return Err(err),
        }
    }
}

/// `Ok` for a call that returned 0, else its errno. Async-signal-safe.
fn check(ret: libc::c_int) -> Result<(), Errno> {
    if ret == 0 { Ok(()) } else { Err(errno()) }
}
