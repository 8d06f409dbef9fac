//! Benchmark application: the program each init supervises in `bench/run.sh`. It measures
//! nothing itself; it is the far end of the signal-latency and shutdown measurements.
//!
//!   bench_app [--fifo PATH] [--ignore-term] [--worker-ms MS]
//!
//! - Prints `ready` once its handlers are in place, then sleeps in pause(): it has no
//!   timers, so the init's idle wake-ups and memory are measured next to a truly idle app.
//! - SIGUSR1 (signal latency): the handler reads CLOCK_MONOTONIC and writes the 8-byte
//!   nanosecond stamp to the FIFO at PATH. The FIFO is opened for writing after `ready`
//!   (so it waits for `bench_siglat` to open the other end), and an all-zero stamp is
//!   written first as a "listening" marker. `bench_siglat` reads the same clock just
//!   before kill(), so stamp minus that is the time from kill() to the app's handler.
//! - SIGTERM: passes SIGTERM on to the worker (if any) and exits 0 at once. The signal is
//!   handled, so this works when the app itself is PID 1 (the "no init" baseline). With
//!   `--ignore-term` SIGTERM is ignored and only SIGKILL ends the app.
//! - `--worker-ms MS`: starts a worker first, a grandchild of the init in the app's process
//!   group, which on SIGTERM works for MS milliseconds, prints `worker finished` and exits
//!   0. An init that waits for it lets it finish; one that exits with the app has the
//!   kernel SIGKILL it (PID 1 leaving ends its namespace) and `worker finished` never comes.

use std::sync::atomic::{AtomicI32, Ordering};

/// The FIFO's write end, once open; -1 before.
static FIFO: AtomicI32 = AtomicI32::new(-1);
/// The worker's pid, 0 for none.
static WORKER: AtomicI32 = AtomicI32::new(0);

#[path = "clock.rs"]
mod clock;
use clock::now_ns;

fn write_all(fd: i32, bytes: &[u8]) {
    // SAFETY: write reads `bytes.len()` bytes from a live slice; async-signal-safe.
    unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
}

extern "C" fn on_usr1(_: libc::c_int) {
    let stamp = now_ns().to_ne_bytes();
    let fd = FIFO.load(Ordering::Relaxed);
    if fd >= 0 {
        write_all(fd, &stamp);
    }
}

extern "C" fn on_term(_: libc::c_int) {
    let worker = WORKER.load(Ordering::Relaxed);
    // SAFETY: kill and _exit are async-signal-safe system calls.
    unsafe {
        if worker > 0 {
            libc::kill(worker, libc::SIGTERM);
        }
        libc::_exit(0);
    }
}

fn install(sig: libc::c_int, handler: extern "C" fn(libc::c_int)) {
    // SAFETY: a zeroed sigaction is valid; the handler only makes async-signal-safe calls.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(sig, &action, std::ptr::null_mut());
    }
}

fn signal_set(signals: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set before sigaddset uses it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &sig in signals {
            libc::sigaddset(&mut set, sig);
        }
        set
    }
}

/// Forks the worker and returns its pid once it is waiting for SIGTERM.
fn start_worker(work_ms: u64) -> i32 {
    let term = signal_set(&[libc::SIGTERM]);
    let mut ready = [0i32; 2];
    // SAFETY: plain fork/pipe/read calls; the worker runs only this block and exits.
    unsafe {
        libc::pipe(ready.as_mut_ptr());
        let pid = libc::fork();
        if pid == 0 {
            libc::close(ready[0]);
            libc::signal(libc::SIGUSR1, libc::SIG_IGN);
            libc::sigprocmask(libc::SIG_BLOCK, &term, std::ptr::null_mut());
            libc::close(ready[1]);
            let mut sig = 0;
            libc::sigwait(&term, &mut sig);
            std::thread::sleep(std::time::Duration::from_millis(work_ms));
            write_all(1, b"worker finished\n");
            libc::_exit(0);
        }
        libc::close(ready[1]);
        let mut byte = 0u8;
        libc::read(ready[0], (&mut byte as *mut u8).cast(), 1);
        libc::close(ready[0]);
        pid
    }
}

fn main() {
    let mut fifo: Option<String> = None;
    let mut ignore_term = false;
    let mut worker_ms: Option<u64> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--fifo" => fifo = args.next(),
            "--ignore-term" => ignore_term = true,
            "--worker-ms" => worker_ms = args.next().and_then(|ms| ms.parse().ok()),
            other => {
                eprintln!("bench_app: unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    if let Some(ms) = worker_ms {
        WORKER.store(start_worker(ms), Ordering::Relaxed);
    }
    install(libc::SIGUSR1, on_usr1);
    if ignore_term {
        // SAFETY: setting a disposition has no memory effects.
        unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) };
    } else {
        install(libc::SIGTERM, on_term);
    }
    // Some inits hand the application a signal mask (catatonit blocks job-control signals):
    // make sure the two signals this app relies on can arrive.
    let ours = signal_set(&[libc::SIGUSR1, libc::SIGTERM]);
    // SAFETY: sigprocmask reads a valid, initialised set.
    unsafe { libc::sigprocmask(libc::SIG_UNBLOCK, &ours, std::ptr::null_mut()) };
    write_all(1, b"ready\n");
    if let Some(path) = fifo {
        let Ok(path) = std::ffi::CString::new(path) else {
            std::process::exit(2);
        };
        // SAFETY: open reads a NUL-terminated path; it blocks until a reader opens the FIFO.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            eprintln!("bench_app: cannot open the FIFO");
            std::process::exit(1);
        }
        FIFO.store(fd, Ordering::Relaxed);
        write_all(fd, &0i64.to_ne_bytes());
    }
    loop {
        // SAFETY: pause only waits for a signal.
        unsafe { libc::pause() };
    }
}
