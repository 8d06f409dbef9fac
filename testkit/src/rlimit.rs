//! Starting pidone under resource limits.

use super::{Mode, Proc, command, spawn};
use std::os::unix::process::CommandExt;

/// `pidone ARGS` as PID 1 of a fresh namespace, with `setup` run in the `unshare` process
/// before it execs (rlimits set there are inherited by pidone and the application).
pub fn pid1_with(
    args: &[&str],
    setup: impl Fn() -> std::io::Result<()> + Send + Sync + 'static,
) -> Proc {
    let mut cmd = command(Mode::Pid1, args);
    // SAFETY: `setup` only makes async-signal-safe system calls (setrlimit).
    unsafe { cmd.pre_exec(setup) };
    spawn(Mode::Pid1, cmd)
}

pub fn set_rlimit(resource: libc::c_int, value: u64) -> std::io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: value,
        rlim_max: value,
    };
    // SAFETY: setrlimit reads a live rlimit; async-signal-safe.
    if unsafe { libc::setrlimit(resource, &limit) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
