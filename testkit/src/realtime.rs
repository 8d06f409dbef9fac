//! Real-time priority for a test thread that must act within one of pidone's short bounds
//! (a second for the last log line, 10 ms for a terminal line): on a loaded machine an
//! ordinary thread can wait longer than that for a CPU, and the test fails for it.

/// Puts the calling thread on real-time priority (SCHED_FIFO 1), or back to the normal
/// policy. Best effort: where real-time priority is refused (a container without a
/// real-time budget), the thread keeps the normal policy, and only load can delay it.
pub fn realtime(on: bool) {
    let (policy, priority): (libc::c_int, libc::c_int) = if on {
        (libc::SCHED_FIFO, 1)
    } else {
        (libc::SCHED_OTHER, 0)
    };
    // The kernel's `struct sched_param` is this one int (musl's adds fields it never reads).
    // SAFETY: sched_setscheduler only reads the int; pid 0 is the calling thread. musl's
    // wrapper refuses the call (ENOSYS), hence the system call itself.
    unsafe { libc::syscall(libc::SYS_sched_setscheduler, 0, policy, &priority) };
}
