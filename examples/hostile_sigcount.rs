//! Signal counter for the signal-storm test: takes every signal (1-64, including the
//! three musl keeps for itself) with raw system calls and counts each kind, printing
//! nothing while it counts, so a flood cannot back up on its output.
//!
//!   hostile_sigcount
//!
//! Prints `ready pid=P`. On SIGWINCH prints `marker`; on SIGRTMAX (64) prints
//! `counts N1 N2 ... N64` (how many of each signal 1-64 it has taken so far); on SIGTERM
//! prints `term` and exits 42. The kernel hands out the lowest-numbered pending signal
//! first, so when 64 is taken every lower signal queued before it has been taken too.

use std::io::Write;

fn take(set: &u64) -> i32 {
    loop {
        // SAFETY: `set` is a live 8-byte mask, the kernel's sigset size; no info, no timeout.
        let sig = unsafe {
            libc::syscall(
                libc::SYS_rt_sigtimedwait,
                set as *const u64,
                std::ptr::null_mut::<libc::siginfo_t>(),
                std::ptr::null::<libc::timespec>(),
                8usize,
            )
        };
        if sig > 0 {
            return sig as i32;
        }
    }
}

fn main() {
    let all: u64 = !0;
    // SAFETY: blocks every signal with the kernel's 8-byte mask; no old mask is kept.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_BLOCK,
            &all as *const u64,
            std::ptr::null_mut::<u64>(),
            8usize,
        );
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready pid={}", std::process::id()).unwrap();
    out.flush().unwrap();
    let mut counts = [0u64; 65];
    loop {
        let sig = take(&all);
        counts[sig as usize] += 1;
        match sig {
            libc::SIGWINCH => writeln!(out, "marker").unwrap(),
            64 => {
                let list: Vec<String> = counts[1..].iter().map(|c| c.to_string()).collect();
                writeln!(out, "counts {}", list.join(" ")).unwrap();
            }
            libc::SIGTERM => {
                writeln!(out, "term").unwrap();
                out.flush().unwrap();
                std::process::exit(42);
            }
            _ => continue,
        }
        out.flush().unwrap();
    }
}
