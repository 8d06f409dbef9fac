//! Facts about processes from /proc: what the kernel says, not what pidone logs.

/// A `kB` field of /proc/PID/status, in KiB.
pub fn status_kb(pid: i32, field: &str) -> u64 {
    super::status_field(pid, field)
        .trim_end_matches(" kB")
        .trim()
        .parse()
        .unwrap()
}

/// The fields of /proc/PID/stat the tests read.
pub struct Stat {
    /// The one-letter state (R, S, T, Z, ...).
    pub state: char,
    pub pgrp: i32,
    pub session: i32,
}

/// A process's /proc/PID/stat, or None once it is gone (reaped).
pub fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name, which is in parentheses and may hold any byte.
    let mut rest = text.rsplit_once(')')?.1.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let _ppid = rest.next()?;
    let pgrp = rest.next()?.parse().ok()?;
    let session = rest.next()?.parse().ok()?;
    Some(Stat {
        state,
        pgrp,
        session,
    })
}

/// The one-letter state of a process (R, S, T, Z, ...), or None once it is gone (reaped).
pub fn state_of(pid: i32) -> Option<char> {
    stat(pid).map(|s| s.state)
}

/// The parent of a process (the PPid field of /proc/PID/status), or None once it is gone.
pub fn parent_of(pid: i32) -> Option<i32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))?
        .trim()
        .parse()
        .ok()
}

/// The command name of a process (/proc/PID/comm), or "" once it is gone.
pub fn comm_of(pid: i32) -> String {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .unwrap_or_default()
        .trim()
        .to_string()
}
