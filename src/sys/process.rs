//! Processes: reaping, prctl, ids, and the calls the child makes between fork and exec
//! (each marked async-signal-safe; nothing here allocates).

use super::{Errno, Pid, check, errno, retrying};

/// One result of a non-blocking `waitpid(-1)`.
pub enum Reaped {
    Child(Pid, i32),
    NoneExited,
    NoChildren,
}

pub fn reap_one() -> Reaped {
    let mut status = 0;
    // SAFETY: `status` is a live c_int the kernel writes the wait status into.
    match retrying(|| unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) }) {
        Ok(0) => Reaped::NoneExited,
        Ok(pid) => Reaped::Child(pid, status),
        Err(_) => Reaped::NoChildren,
    }
}

/// Waits for one specific child, retrying EINTR. Returns its wait status.
pub fn wait_for(pid: Pid) -> Option<i32> {
    let mut status = 0;
    // SAFETY: as in `reap_one`.
    let got = retrying(|| unsafe { libc::waitpid(pid, &mut status, 0) });
    (got == Ok(pid)).then_some(status)
}

/// Whether `pid`, a child of ours, is stopped (SIGSTOP, SIGTSTP). WNOWAIT leaves the stop
/// unreported, so this asks about the current state without changing anything.
pub fn is_stopped(pid: Pid) -> bool {
    let Ok(id) = libc::id_t::try_from(pid) else {
        return false;
    };
    // SAFETY: siginfo_t is plain data; all-zero is a valid value.
    let mut info: libc::siginfo_t = unsafe { core::mem::zeroed() };
    let flags = libc::WSTOPPED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: `info` is a live siginfo_t that waitid writes for a child of ours.
    let found = unsafe { libc::waitid(libc::P_PID, id, &mut info, flags) } == 0;
    // SAFETY: waitid filled `info` (or left it zeroed); si_pid is valid to read either way.
    found && unsafe { info.si_pid() } != 0
}

/// The process group of `pid`, if it exists.
pub fn getpgid(pid: Pid) -> Option<Pid> {
    // SAFETY: getpgid has no memory effects.
    let pgid = unsafe { libc::getpgid(pid) };
    (pgid >= 0).then_some(pgid)
}

/// Async-signal-safe.
pub fn getpid() -> Pid {
    // SAFETY: getpid cannot fail and touches no memory.
    unsafe { libc::getpid() }
}

/// `fork(2)`: `Ok(0)` in the child, the child's pid in the parent.
///
/// Only for a single-threaded process (pidone is one): the child is a full copy with no
/// lock held by another thread, so it may go on to its async-signal-safe set-up.
pub fn fork() -> Result<Pid, Errno> {
    // SAFETY: pidone is single-threaded (see above); the caller's child branch makes only
    // async-signal-safe calls and ends in exec or _exit.
    let pid = unsafe { libc::fork() };
    if pid < 0 { Err(errno()) } else { Ok(pid) }
}

/// Ends the process at once, running nothing (no atexit, no stdio). Async-signal-safe.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit has no preconditions and never returns.
    unsafe { libc::_exit(code) }
}

/// `setsid(2)`. Async-signal-safe.
pub fn setsid() -> Result<(), Errno> {
    // SAFETY: setsid has no memory effects.
    if unsafe { libc::setsid() } < 0 {
        Err(errno())
    } else {
        Ok(())
    }
}

/// Puts the caller in a new process group of its own. Async-signal-safe.
pub fn new_process_group() {
    // SAFETY: setpgid has no memory effects; (0, 0) means "me, in a group of my own".
    unsafe { libc::setpgid(0, 0) };
}

/// The real uid, real gid and effective uid. Async-signal-safe.
pub fn ids() -> (u32, u32, u32) {
    // SAFETY: getuid cannot fail and touches no memory.
    let uid = unsafe { libc::getuid() };
    // SAFETY: as getuid.
    let gid = unsafe { libc::getgid() };
    // SAFETY: as getuid.
    let euid = unsafe { libc::geteuid() };
    (uid, gid, euid)
}

/// `setgroups(2)`. Async-signal-safe.
pub fn setgroups(groups: &[u32]) -> Result<(), Errno> {
    // SAFETY: the pointer and count describe the live slice `groups`, which the kernel
    // only reads.
    check(unsafe { libc::setgroups(groups.len(), groups.as_ptr()) })
}

/// `setgid(2)`. Async-signal-safe.
pub fn setgid(gid: u32) -> Result<(), Errno> {
    // SAFETY: setgid takes a plain integer and touches no memory.
    check(unsafe { libc::setgid(gid) })
}

/// `setuid(2)`. Async-signal-safe.
pub fn setuid(uid: u32) -> Result<(), Errno> {
    // SAFETY: setuid takes a plain integer and touches no memory.
    check(unsafe { libc::setuid(uid) })
}

/// `prctl(PR_SET_CHILD_SUBREAPER, 1)`: orphans below pidone are re-parented to it.
pub fn set_child_subreaper() -> Result<(), Errno> {
    prctl(libc::PR_SET_CHILD_SUBREAPER, 1)
}

/// `prctl(PR_GET_CHILD_SUBREAPER)`: whether pidone already is a subreaper, a bit kept across
/// exec from a parent that set it.
pub fn is_child_subreaper() -> bool {
    let mut on: libc::c_int = 0;
    // SAFETY: PR_GET_CHILD_SUBREAPER writes one int through the pointer, which points to
    // the live `on`.
    let rc = unsafe {
        libc::prctl(
            libc::PR_GET_CHILD_SUBREAPER,
            &mut on as *mut libc::c_int,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    rc == 0 && on != 0
}

/// `prctl(PR_SET_PDEATHSIG, sig)`: pidone gets `sig` when its parent dies.
pub fn set_parent_death_signal(sig: i32) -> Result<(), Errno> {
    prctl(
        libc::PR_SET_PDEATHSIG,
        libc::c_ulong::try_from(sig).unwrap_or(0),
    )
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`. Async-signal-safe.
pub fn set_no_new_privs() -> Result<(), Errno> {
    prctl(libc::PR_SET_NO_NEW_PRIVS, 1)
}

fn prctl(option: libc::c_int, arg: libc::c_ulong) -> Result<(), Errno> {
    // SAFETY: these prctl options take one integer argument and touch no memory of ours.
    let rc = unsafe {
        libc::prctl(
            option,
            arg,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
            0 as libc::c_ulong,
        )
    };
    check(rc)
}

/// Moves pidone off the directory it was started in, so it pins no mount.
pub fn chdir_root() {
    // SAFETY: the argument is a NUL-terminated literal.
    unsafe { libc::chdir(c"/".as_ptr()) };
}

/// Whether /proc is the one of pidone's own PID namespace: `/proc/self` names pidone's own
/// pid. A /proc mounted for another namespace (a container that shares the host's, an
/// `unshare --pid` without `--mount-proc`) names other processes by the same numbers, so
/// nothing in it may be read as pidone's children; no /proc at all is not ours either.
pub fn proc_is_ours() -> bool {
    let mut buf = [0u8; 24];
    // SAFETY: the pointer and length describe the live, writable `buf`; readlink writes at
    // most that many bytes and adds no NUL.
    let n = unsafe { libc::readlink(c"/proc/self".as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    let link = usize::try_from(n).ok().and_then(|n| buf.get(..n));
    let pid = link.and_then(|l| crate::decimal::parse(l, u64::from(u32::MAX)));
    pid.is_some_and(|pid| i64::try_from(pid).ok() == Some(i64::from(getpid())))
}
