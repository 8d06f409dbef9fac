//! Thin, panic-free wrappers over the system calls pidone makes. Every `unsafe` in the
//! runtime is here or in `spawn.rs`, each with the reason it is sound.
//!
//! Signal masks are plain `u64` bit sets handed to the raw `rt_sig*` system calls: musl's
//! `sigfillset` leaves out signals 32-34, and an unblocked real-time signal would kill
//! pidone when it is not PID 1.

use core::ptr;

pub type Pid = libc::pid_t;

/// A set of signals 1..=64, bit `n - 1` for signal `n`, as the kernel lays it out.
pub type Mask = u64;

pub const ALL_SIGNALS: Mask = !0;

pub fn mask_of(sig: i32) -> Mask {
    if (1..=64).contains(&sig) {
        1 << (sig - 1)
    } else {
        0
    }
}

pub fn errno() -> i32 {
    nix::errno::Errno::last_raw()
}

/// The C library's text for an errno value, e.g. "No such file or directory".
pub fn strerror(err: i32) -> &'static str {
    nix::errno::Errno::from_raw(err).desc()
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
    let ts = timeout_ns.map(|ns| {
        // SAFETY: timespec is plain data; all-zero is valid. Fields are set below so the
        // code does not depend on time_t's width.
        let mut ts: libc::timespec = unsafe { core::mem::zeroed() };
        ts.tv_sec = (ns / 1_000_000_000) as _;
        ts.tv_nsec = (ns % 1_000_000_000) as _;
        ts
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
        if sig > 0 {
            // SAFETY: the kernel filled `info` for the signal it returned; si_pid is valid
            // to read for every signal (zero where no sender is recorded).
            let sender = unsafe { info.si_pid() };
            return Some(Received {
                signo: sig as i32,
                sender,
            });
        }
        match errno() {
            libc::EINTR => continue,
            // EAGAIN is the timeout; anything else cannot happen with valid arguments,
            // and returning lets the caller re-check its deadline instead of spinning.
            _ => return None,
        }
    }
}

/// The signals pending for pidone (blocked, not yet taken).
pub fn pending() -> Mask {
    let mut set: Mask = 0;
    // SAFETY: `set` is a live u64 the kernel writes; the size is that of the u64 mask.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigpending,
            &mut set as *mut Mask,
            core::mem::size_of::<Mask>(),
        )
    };
    set
}

/// The process group of `pid`, if it exists.
pub fn getpgid(pid: Pid) -> Option<Pid> {
    // SAFETY: getpgid has no memory effects.
    let pgid = unsafe { libc::getpgid(pid) };
    (pgid >= 0).then_some(pgid)
}

/// One result of a non-blocking `waitpid(-1)`.
pub enum Reaped {
    Child(Pid, i32),
    NoneExited,
    NoChildren,
}

pub fn reap_one() -> Reaped {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a live c_int the kernel writes the wait status into.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid > 0 {
            return Reaped::Child(pid, status);
        }
        if pid == 0 {
            return Reaped::NoneExited;
        }
        match errno() {
            libc::EINTR => continue,
            _ => return Reaped::NoChildren,
        }
    }
}

/// Waits for one specific child, retrying EINTR. Returns its wait status.
pub fn wait_for(pid: Pid) -> Option<i32> {
    let mut status = 0;
    loop {
        // SAFETY: as in `reap_one`.
        let got = unsafe { libc::waitpid(pid, &mut status, 0) };
        if got == pid {
            return Some(status);
        }
        if got < 0 && errno() == libc::EINTR {
            continue;
        }
        return None;
    }
}

/// Whether `pid`, a child of ours, is stopped (SIGSTOP, SIGTSTP). WNOWAIT leaves the stop
/// unreported, so this asks about the current state without changing anything.
pub fn is_stopped(pid: Pid) -> bool {
    // SAFETY: siginfo_t is plain data, all-zero valid; waitid writes it for a child.
    unsafe {
        let mut info: libc::siginfo_t = core::mem::zeroed();
        let flags = libc::WSTOPPED | libc::WNOHANG | libc::WNOWAIT;
        libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, flags) == 0 && info.si_pid() != 0
    }
}

/// `kill(2)`: Err(errno) on failure.
pub fn kill(pid: Pid, sig: i32) -> Result<(), i32> {
    // SAFETY: kill has no memory effects; any pid and signal number is safe to pass.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

pub fn getpid() -> Pid {
    // SAFETY: getpid cannot fail and touches no memory.
    unsafe { libc::getpid() }
}

/// Monotonic time in nanoseconds.
pub fn now_ns() -> u64 {
    let (s, ns) = clock(libc::CLOCK_MONOTONIC);
    s.saturating_mul(1_000_000_000).saturating_add(ns)
}

/// Wall-clock seconds and nanoseconds since the epoch, for log timestamps.
pub fn realtime() -> (u64, u64) {
    clock(libc::CLOCK_REALTIME)
}

fn clock(id: libc::clockid_t) -> (u64, u64) {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live timespec; clock_gettime with a valid clock id only writes it.
    unsafe { libc::clock_gettime(id, &mut ts) };
    (ts.tv_sec.max(0) as u64, ts.tv_nsec.max(0) as u64)
}

/// Writes all of `buf`, retrying EINTR and short writes. A full non-blocking pipe drops the
/// rest: PID 1 must never spin or die over a log line.
pub fn write_all(fd: i32, mut buf: &[u8]) {
    while !buf.is_empty() {
        // SAFETY: the pointer and length describe the live slice `buf`.
        let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
        if n > 0 {
            buf = buf.get(n as usize..).unwrap_or(&[]);
        } else if n < 0 && errno() == libc::EINTR {
            continue;
        } else {
            return;
        }
    }
}

/// `prctl(PR_SET_CHILD_SUBREAPER, 1)`: orphans below pidone are re-parented to it.
pub fn set_child_subreaper() -> Result<(), i32> {
    prctl(libc::PR_SET_CHILD_SUBREAPER, 1)
}

/// `prctl(PR_SET_PDEATHSIG, sig)`: pidone gets `sig` when its parent dies.
pub fn set_parent_death_signal(sig: i32) -> Result<(), i32> {
    prctl(libc::PR_SET_PDEATHSIG, sig as libc::c_ulong)
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`. Async-signal-safe.
pub fn set_no_new_privs() -> Result<(), i32> {
    prctl(libc::PR_SET_NO_NEW_PRIVS, 1)
}

fn prctl(option: libc::c_int, arg: libc::c_ulong) -> Result<(), i32> {
    // SAFETY: these prctl options take one integer argument and touch no memory of ours.
    if unsafe {
        libc::prctl(
            option,
            arg,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    } == 0
    {
        Ok(())
    } else {
        Err(errno())
    }
}

/// Moves pidone off the directory it was started in, so it pins no mount.
pub fn chdir_root() {
    // SAFETY: the argument is a NUL-terminated literal.
    unsafe { libc::chdir(c"/".as_ptr()) };
}

/// Closes every descriptor from 3 up: pidone needs none, and a held socket or file would
/// keep it open for the container's life. The application already has its copies.
pub fn close_fds_from_3() {
    // SAFETY: close_range only closes descriptors; none of 3.. is used by pidone after spawn.
    let done = unsafe { libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) } == 0;
    if !done {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a live rlimit that getrlimit writes.
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
        let top = limit.rlim_cur.min(65_536) as i32;
        for fd in 3..top {
            // SAFETY: closing a descriptor pidone does not use; EBADF is harmless.
            unsafe { libc::close(fd) };
        }
    }
}

/// The disposition of SIGCHLD, and whether it was SIG_IGN (which makes the kernel reap
/// children itself and waitpid useless). Resets it to SIG_DFL in pidone.
pub fn reset_sigchld() -> bool {
    // SAFETY: sigaction with a zeroed struct and SIG_DFL is a valid request; `old` is a live
    // struct the kernel writes.
    unsafe {
        let mut old: libc::sigaction = core::mem::zeroed();
        let mut new: libc::sigaction = core::mem::zeroed();
        new.sa_sigaction = libc::SIG_DFL;
        libc::sigaction(libc::SIGCHLD, &new, &mut old);
        old.sa_sigaction == libc::SIG_IGN
    }
}

/// Sets SIGCHLD back to SIG_IGN in the child when the caller had it so. Async-signal-safe.
pub fn ignore_sigchld() {
    // SAFETY: as in `reset_sigchld`; sigaction is async-signal-safe.
    unsafe {
        let mut new: libc::sigaction = core::mem::zeroed();
        new.sa_sigaction = libc::SIG_IGN;
        libc::sigaction(libc::SIGCHLD, &new, ptr::null_mut());
    }
}

/// Reads an environment variable as bytes. Only called before the child starts.
pub fn getenv(name: &core::ffi::CStr) -> Option<&'static [u8]> {
    // SAFETY: pidone is single-threaded and never modifies its environment, so the pointer
    // getenv returns stays valid and unchanged for the life of the process.
    unsafe {
        let p = libc::getenv(name.as_ptr());
        if p.is_null() {
            None
        } else {
            Some(core::ffi::CStr::from_ptr(p).to_bytes())
        }
    }
}
