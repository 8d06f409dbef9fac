//! Fork bomb for the hardening tests, meant to run under a process limit (RLIMIT_NPROC as
//! a non-root user, or a cgroup pids limit). It ignores SIGTERM, so only SIGKILL stops it.
//!
//!   hostile_forkbomb
//!
//! Prints `ready`, then forks forever. The main process keeps forking and never exits
//! (SIGCHLD ignored, so its own children are reaped by the kernel); a failed fork there
//! waits 1 ms and retries. Every other process tries twice to fork (each child a bomber
//! too) and exits, orphaning what it made: the init must reap them, or the zombies fill
//! the process limit and the bomb stalls.

fn pause_1ms() {
    let ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000,
    };
    // SAFETY: `ts` is a live timespec; no remainder is asked for.
    unsafe { libc::nanosleep(&ts, std::ptr::null_mut()) };
}

/// Forks once, retrying until it works. Returns fork's result (0 in the child).
fn fork_retrying() -> i32 {
    loop {
        // SAFETY: the child only continues the loop below: system calls and _exit.
        let pid = unsafe { libc::fork() };
        if pid >= 0 {
            return pid;
        }
        pause_1ms();
    }
}

fn main() {
    // SAFETY: setting dispositions to SIG_IGN.
    unsafe {
        libc::signal(libc::SIGTERM, libc::SIG_IGN);
        libc::signal(libc::SIGCHLD, libc::SIG_IGN);
    }
    println!("ready");
    // The main process: a child per iteration, forever.
    loop {
        if fork_retrying() == 0 {
            break;
        }
    }
    // A bomber: two tries at a child, then exit; each child is a bomber too.
    // SAFETY: restoring SIGCHLD's default, so the orphans become zombies of the init.
    unsafe { libc::signal(libc::SIGCHLD, libc::SIG_DFL) };
    let mut tries = 0;
    while tries < 2 {
        // SAFETY: the child only continues this loop: system calls and _exit.
        if unsafe { libc::fork() } == 0 {
            tries = 0;
            continue;
        }
        tries += 1;
    }
    // SAFETY: _exit ends the process without running anything.
    unsafe { libc::_exit(0) }
}
