//! Signals: the mask, taking signals synchronously, sending them, SIGCHLD's disposition.
//!
//! Signal masks are plain `u64` bit sets handed to the raw `rt_sig*` system calls: musl's
//! `sigfillset` leaves out signals 32-34, and an unblocked real-time signal would kill
//! pidone when it is not PID 1.

use core::ptr;

use super::{Pid, errno};

/// A set of signals 1..=64, bit `n - 1` for signal `n`, as the kernel lays it out.
pub type Mask = u64;

pub const ALL_SIGNALS: Mask = !0;

pub fn mask_of(sig: i32) -> Mask {
    crate::signals::SignalSet::of(sig).bits()
}

/// Replaces the signal mask and returns the old one. Async-signal-safe.
pub fn set_mask(how: i32, mask: Mask) -> Mask {
    let mut old: Mask = 0;
    // SAFETY: both pointers are to live u64s and the size passed is 8, the kernel's sigset
    // size on Linux; rt_sigprocmask only reads `mask` and writes `old`.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            how,
            &mask as *const Mask,
            &mut old as *mut Mask,
            core::mem::size_of::<Mask>(),
        );
    }
    old
}

/// A signal taken from the pending set.
#[derive(Clone, Copy, Debug)]
pub struct Received {
    pub signo: i32,
    /// Who sent it (0 when the kernel did).
    pub sender: Pid,
}

/// Blocks until a signal in `set` is pending or `timeout_ns` passes (`None`: no timeout).
/// Returns `None` on timeout. EINTR (pidone stopped and continued) just waits again.
pub fn wait_signal(set: Mask, timeout_ns: Option<u64>) -> Option<Received> {
    // SAFETY: siginfo_t is plain old data; all-zero is a valid value.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    let ts = timeout_ns.map(|ns| libc::timespec {
        // Both fit: the quotient of a u64 by 1e9 is below 2^35, the remainder below 1e9.
        tv_sec: (ns / 1_000_000_000).try_into().unwrap_or(i32::MAX.into()),
        tv_nsec: (ns % 1_000_000_000).try_into().unwrap_or(0),
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(ptr::null(), |t| t as *const libc::timespec);
    loop {
        // SAFETY: `set`, `info` and `ts` outlive the call; the size is that of the u64 mask.
        let sig = unsafe {
            libc::syscall(
                libc::SYS_rt_sigtimedwait,
                &set as *const Mask,
                &mut info as *mut libc::siginfo_t,
                ts_ptr,
                core::mem::size_of::<Mask>(),
            )
        };
        if let Some(signo) = i32::try_from(sig).ok().filter(|s| *s > 0) {
            // SAFETY: the kernel filled `info` for the signal it returned; si_pid is valid
            // to read for every signal (zero where no sender is recorded).
            let sender = unsafe { info.si_pid() };
            return Some(Received { signo, sender });
        }
        match errno() {
            libc::EINTR => continue,
            // EAGAIN is the timeout; anything else cannot happen with valid arguments,
            // and returning lets the caller re-check its deadline instead of spinning.
            _ => return None,
        }
    }
}

/// `kill(2)`: Err(errno) on failure. Async-signal-safe.
pub fn kill(pid: Pid, sig: i32) -> Result<(), i32> {
    // SAFETY: kill has no memory effects; any pid and signal number is safe to pass.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

fn set_sigchld(handler: libc::sighandler_t) -> libc::sighandler_t {
    // SAFETY: sigaction is plain data; all-zero is a valid value.
    let mut new: libc::sigaction = unsafe { core::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { core::mem::zeroed() };
    new.sa_sigaction = handler;
    // SAFETY: SIG_DFL and SIG_IGN with no flags are valid requests; `old` is a live struct
    // the kernel writes. sigaction is async-signal-safe.
    unsafe { libc::sigaction(libc::SIGCHLD, &new, &mut old) };
    old.sa_sigaction
}

/// The disposition of SIGCHLD, and whether it was SIG_IGN (which makes the kernel reap
/// children itself and waitpid useless). Resets it to SIG_DFL in pidone.
pub fn reset_sigchld() -> bool {
    set_sigchld(libc::SIG_DFL) == libc::SIG_IGN
}

/// Sets SIGCHLD back to SIG_IGN in the child when the caller had it so. Async-signal-safe.
pub fn ignore_sigchld() {
    set_sigchld(libc::SIG_IGN);
}
