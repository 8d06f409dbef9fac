//! The one clock every benchmark helper stamps with, so stamps from different processes
//! compare: CLOCK_MONOTONIC, in nanoseconds. Shared by the `bench_*` helpers beside it
//! via #[path].

/// CLOCK_MONOTONIC now, in nanoseconds. Async-signal-safe (used in a signal handler).
pub fn now_ns() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec; it is async-signal-safe.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}
