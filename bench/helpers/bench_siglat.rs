//! Signal forwarding latency, sender side: how long a signal sent to PID 1 from outside
//! takes to reach the application's handler through the init.
//!
//!   bench_siglat PID FIFO COUNT [GAP_US] [WARMUP]
//!
//! Opens FIFO for reading and waits for `bench_app`'s all-zero "listening" marker. Then,
//! WARMUP (default 20) untimed times and COUNT timed times: reads CLOCK_MONOTONIC, sends
//! SIGUSR1 to PID (the init, PID 1 of its namespace, or the app itself for the no-init
//! baseline) and waits for the app's handler to write its own CLOCK_MONOTONIC stamp to the
//! FIFO. Both ends read the same clock of the same machine (no time namespace is involved),
//! so the difference is kill() to handler, with nothing of this program's own reading time
//! in it. Between samples it sleeps GAP_US microseconds (default 1000) so that the init is
//! back asleep: each sample is a wake-from-idle, as in production.
//!
//! Prints one latency in nanoseconds per line. A sample whose stamp does not come within
//! 2 s is printed as `lost` (a dropped or coalesced signal) and the next one is sent.

use std::io::Write;

#[path = "clock.rs"]
mod clock;
use clock::now_ns;

/// Reads one 8-byte stamp, waiting at most `timeout_ms`.
fn read_stamp(fd: i32, timeout_ms: i32) -> Option<i64> {
    let mut bytes = [0u8; 8];
    let mut got = 0;
    while got < bytes.len() {
        let mut pfd = libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: poll reads and writes one pollfd; read writes into the unfilled tail.
        let n = unsafe {
            if libc::poll(&mut pfd, 1, timeout_ms) <= 0 {
                return None;
            }
            libc::read(fd, bytes[got..].as_mut_ptr().cast(), bytes.len() - got)
        };
        if n <= 0 {
            return None;
        }
        got += n as usize;
    }
    Some(i64::from_ne_bytes(bytes))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: u64| -> u64 {
        args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default)
    };
    let (Some(pid), Some(fifo)) = (
        args.first().and_then(|a| a.parse::<i32>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: bench_siglat PID FIFO COUNT [GAP_US] [WARMUP]");
        std::process::exit(2);
    };
    let count = number(2, 500);
    let gap = std::time::Duration::from_micros(number(3, 1000));
    let warmup = number(4, 20);
    let Ok(path) = std::ffi::CString::new(fifo.as_str()) else {
        std::process::exit(2);
    };
    // SAFETY: open reads a NUL-terminated path; it blocks until the app opens the FIFO.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
    if fd < 0 || read_stamp(fd, 10_000) != Some(0) {
        eprintln!("bench_siglat: the app never said it was listening");
        std::process::exit(1);
    }
    let mut samples: Vec<Option<i64>> = Vec::with_capacity(count as usize);
    for i in 0..warmup + count {
        std::thread::sleep(gap);
        let sent = now_ns();
        // SAFETY: kill has no memory effects.
        if unsafe { libc::kill(pid, libc::SIGUSR1) } != 0 {
            eprintln!("bench_siglat: kill failed");
            std::process::exit(1);
        }
        let latency = read_stamp(fd, 2_000).map(|handled| handled - sent);
        if i >= warmup {
            samples.push(latency);
        }
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for sample in samples {
        let _ = match sample {
            Some(ns) => writeln!(out, "{ns}"),
            None => writeln!(out, "lost"),
        };
    }
    let _ = out.flush();
}
