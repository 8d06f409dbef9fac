//! Looking at an exited child before reaping it (issue 24's OOM kills): while it is a
//! zombie, its /proc entry still names its command.

use super::Pid;

/// The next exited child, left unreaped: its pid, and whether SIGKILL ended it; `None`
/// when no child has exited (or none is left).
pub fn peek_exited() -> Option<(Pid, bool)> {
    // SAFETY: siginfo_t is plain data; all-zero is a valid value.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    loop {
        // SAFETY: `info` is a live siginfo_t that waitid writes; P_ALL takes no id.
        let got = unsafe { libc::waitid(libc::P_ALL, 0, &mut info, flags) };
        if got == 0 || super::errno() != libc::EINTR {
            break;
        }
    }
    // SAFETY: waitid filled `info` for a child, or left it zeroed (si_pid 0): both valid.
    let pid = unsafe { info.si_pid() };
    // SAFETY: as above; for CLD_KILLED si_status is the signal.
    let status = unsafe { info.si_status() };
    (pid > 0).then_some((
        pid,
        info.si_code == libc::CLD_KILLED && status == libc::SIGKILL,
    ))
}
