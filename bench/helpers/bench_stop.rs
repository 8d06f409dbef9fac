//! Shutdown time: sends a signal (default SIGTERM) to a process, PID 1 of a namespace in
//! `bench/run.sh`, and measures the time until that process has exited.
//!
//!   bench_stop PID TIMEOUT_MS [SIGNAL]
//!
//! The process is watched through a pidfd (pidfd_open + poll), which becomes readable the
//! moment it exits; no polling interval is involved. For a namespace's PID 1 that moment
//! comes after the kernel has killed and reaped everything else in the namespace, so the
//! time includes that clean-up. CLOCK_MONOTONIC is read just before kill().
//!
//! Prints `exited NS`, or, when it has not exited within TIMEOUT_MS, sends SIGKILL and
//! prints `timeout NS` (NS being the time waited).

#[path = "clock.rs"]
mod clock;
use clock::now_ns;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(pid), Some(timeout_ms)) = (
        args.first().and_then(|a| a.parse::<i32>().ok()),
        args.get(1).and_then(|a| a.parse::<i32>().ok()),
    ) else {
        eprintln!("usage: bench_stop PID TIMEOUT_MS [SIGNAL]");
        std::process::exit(2);
    };
    let sig = args
        .get(2)
        .and_then(|a| a.parse::<i32>().ok())
        .unwrap_or(libc::SIGTERM);
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) } as i32;
    if pidfd < 0 {
        eprintln!("bench_stop: no process {pid}");
        std::process::exit(1);
    }
    let mut pfd = libc::pollfd {
        fd: pidfd,
        events: libc::POLLIN,
        revents: 0,
    };
    let start = now_ns();
    // SAFETY: kill has no memory effects; poll reads and writes one pollfd.
    let exited = unsafe {
        libc::kill(pid, sig);
        loop {
            let left = timeout_ms as i64 - (now_ns() - start) / 1_000_000;
            if left <= 0 {
                break false;
            }
            let n = libc::poll(&mut pfd, 1, left as i32);
            if n > 0 {
                break true;
            }
            if n == 0 {
                break false;
            }
        }
    };
    let waited = now_ns() - start;
    if exited {
        println!("exited {waited}");
    } else {
        // SAFETY: as above.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
            pfd.revents = 0;
            libc::poll(&mut pfd, 1, 5_000);
        }
        println!("timeout {waited}");
    }
}
