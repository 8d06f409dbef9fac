//! Signals: the mask, taking signals synchronously, sending them, SIGCHLD's disposition.
//!
//! Signal sets are plain `u64` bit sets handed to the raw `rt_sig*` system calls: musl's
//! `sigfillset` leaves out signals 32-34, and an unblocked real-time signal would kill
//! pidone when it is not PID 1.

use core::ptr;

use super::{Errno, Pid, check, retrying};

/// A set of signals 1..=64: bit `n - 1` for signal `n`, the kernel's own sigset layout, so
/// `bits()` goes straight to the `rt_sig*` system calls.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(transparent)]
pub struct SignalSet(u64);

impl SignalSet {
    pub const EMPTY: SignalSet = SignalSet(0);
    pub const ALL: SignalSet = SignalSet(!0);

    const fn bit(sig: i32) -> u64 {
        // 1..=64 shifts by 0..=63; anything else is no signal.
        match sig.checked_sub(1) {
            Some(shift @ 0..=63) => match 1u64.checked_shl(shift.unsigned_abs()) {
                Some(bit) => bit,
                None => 0,
            },
            _ => 0,
        }
    }

    pub const fn of(sig: i32) -> SignalSet {
        SignalSet(Self::bit(sig))
    }

    pub const fn with(self, sig: i32) -> SignalSet {
        SignalSet(self.0 | Self::bit(sig))
    }

    pub const fn contains(self, sig: i32) -> bool {
        Self::bit(sig) != 0 && self.0 & Self::bit(sig) != 0
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn bits(self) -> u64 {
        self.0
    }
}

/// Replaces the signal mask and returns the old one. Async-signal-safe.
pub fn set_mask(how: i32, mask: SignalSet) -> SignalSet {
    let mut old = SignalSet::EMPTY;
    // SAFETY: both pointers are to live u64s and the size passed is 8, the kernel's sigset
    // size on Linux; rt_sigprocmask only reads `mask` and writes `old`.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            how,
            &mask as *const SignalSet,
            &mut old as *mut SignalSet,
            core::mem::size_of::<SignalSet>(),
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
pub fn wait_signal(set: SignalSet, timeout_ns: Option<u64>) -> Option<Received> {
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
    // SAFETY: `set`, `info` and `ts` outlive the call; the size is that of the u64 set.
    let sig = retrying(|| unsafe {
        libc::syscall(
            libc::SYS_rt_sigtimedwait,
            &set as *const SignalSet,
            &mut info as *mut libc::siginfo_t,
            ts_ptr,
            core::mem::size_of::<SignalSet>(),
        )
    });
    // Err(EAGAIN) is the timeout; anything else cannot happen with valid arguments, and
    // returning lets the caller re-check its deadline instead of spinning.
    let signo = i32::try_from(sig.ok()?).ok().filter(|s| *s > 0)?;
    // SAFETY: the kernel filled `info` for the signal it returned; si_pid is valid to read
    // for every signal (zero where no sender is recorded).
    let sender = unsafe { info.si_pid() };
    Some(Received { signo, sender })
}

/// The signals pending for pidone (blocked, not yet taken).
pub fn pending() -> SignalSet {
    let mut set = SignalSet::EMPTY;
    // SAFETY: `set` is a live u64 the kernel writes; the size is that of the u64 set.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigpending,
            &mut set as *mut SignalSet,
            core::mem::size_of::<SignalSet>(),
        )
    };
    set
}

/// `kill(2)`. Async-signal-safe.
pub fn kill(pid: Pid, sig: i32) -> Result<(), Errno> {
    // SAFETY: kill has no memory effects; any pid and signal number is safe to pass.
    check(unsafe { libc::kill(pid, sig) })
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

#[cfg(test)]
mod tests {
    use super::SignalSet;

    #[test]
    fn sets() {
        let s = SignalSet::EMPTY.with(1).with(64).with(0).with(65);
        assert!(s.contains(1) && s.contains(64) && !s.contains(63));
        assert!(!s.contains(0) && !s.contains(65) && !s.contains(-1));
        assert_eq!(s.bits(), 1 | 1 << 63);
        assert!(SignalSet::ALL.contains(33));
        assert!(SignalSet::EMPTY.is_empty() && !s.is_empty());
        // Adding a signal twice keeps it.
        assert!(SignalSet::EMPTY.with(5).with(5).contains(5));
    }
}
