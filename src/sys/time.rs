//! The clocks: monotonic for deadlines, real time for log timestamps.

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
    (
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u64::try_from(ts.tv_nsec).unwrap_or(0),
    )
}
